package basicauth

import (
	"encoding/base64"
	"errors"
	"strings"
	"unicode/utf8"
)

// ErrNotBasic: the Authorization value uses another scheme (Bearer, Token…)
// or is empty; the Basic auth leaves such a request to the next auth.
var ErrNotBasic = errors.New("basicauth: not Basic credentials")

// ErrMalformed: the value uses the Basic scheme but its credentials cannot
// be read (no token68, bad base64, no colon, an empty user-id, a control
// character, invalid UTF-8, too long). The Basic auth answers 401.
var ErrMalformed = errors.New("basicauth: malformed Basic credentials")

// MaxEncodedLength bounds the token68 of a Basic value (so a password is at
// most about 6 KiB): longer credentials are malformed, before any
// decoding or hashing.
const MaxEncodedLength = 8192

// ParseBasic reads an Authorization header value as RFC 7617 Basic
// credentials:
//
//	credentials = "Basic" 1*SP token68
//
// The scheme is matched without regard to case; the token68 is standard
// base64 with padding; the decoded text is user-id ":" password, split at the
// first colon (a user-id cannot contain one; the password can), and must be
// valid UTF-8 (the charset the challenge announces) without control
// characters. It returns ErrNotBasic for another scheme and ErrMalformed for
// Basic credentials it cannot read. An empty user-id is malformed; an empty
// password is not (it fails authentication like any wrong password).
func ParseBasic(value string) (username, password string, err error) {
	scheme, rest, _ := strings.Cut(value, " ")
	if !strings.EqualFold(scheme, "Basic") {
		return "", "", ErrNotBasic
	}
	// 1*SP before the token68; optional whitespace after it (RFC 9110
	// field values are trimmed of OWS, which net/http has done already for
	// the ends).
	rest = strings.TrimLeft(rest, " ")
	rest = strings.TrimRight(rest, " \t")
	if rest == "" || len(rest) > MaxEncodedLength || !isToken68(rest) {
		return "", "", ErrMalformed
	}
	dec, err := base64.StdEncoding.Strict().DecodeString(rest)
	if err != nil {
		return "", "", ErrMalformed
	}
	user, pass, ok := strings.Cut(string(dec), ":")
	if !ok || user == "" || !utf8.ValidString(user) || !utf8.ValidString(pass) || hasCTL(user) || hasCTL(pass) {
		return "", "", ErrMalformed
	}
	return user, pass, nil
}

// isToken68 reports whether s is an RFC 9110 token68 limited to base64's
// alphabet: 1*( ALPHA / DIGIT / "+" / "/" ) *"=".
func isToken68(s string) bool {
	i := 0
	for i < len(s) {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '/' {
			i++
			continue
		}
		break
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != '=' {
			return false
		}
	}
	return true
}

// hasCTL reports a control character (RFC 5234 CTL, and the C1 controls):
// RFC 7617 forbids them in the user-id and the password.
func hasCTL(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return true
		}
	}
	return false
}

// Encode returns the Authorization value for username and password
// ("Basic " + base64(user-id ":" password)), for clients and tests. A
// username containing a colon cannot be sent with Basic.
func Encode(username, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(username+":"+password))
}
