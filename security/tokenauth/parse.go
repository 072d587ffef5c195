package tokenauth

import (
	"net/http"
	"unicode/utf8"

	"github.com/dmr-go/dmr/apierror"
)

// DRF's messages (rest_framework.authentication.TokenAuthentication), each
// answered 401 with type "security".
const (
	MsgNoCredentials = "Invalid token header. No credentials provided."
	MsgSpaces        = "Invalid token header. Token string should not contain spaces."
	MsgInvalidChars  = "Invalid token header. Token string should not contain invalid characters."
	MsgInvalidToken  = "Invalid token."
	MsgInactive      = "User inactive or deleted."
)

// Refusal is a 401 of the token auth, with one of DRF's messages as its
// text.
type Refusal string

// The refusals.
const (
	ErrNoCredentials Refusal = MsgNoCredentials
	ErrSpaces        Refusal = MsgSpaces
	ErrInvalidChars  Refusal = MsgInvalidChars
	ErrInvalidToken  Refusal = MsgInvalidToken
	ErrInactive      Refusal = MsgInactive
)

func (r Refusal) Error() string { return "tokenauth: " + string(r) }

// APIError implements apierror.Coder: 401
// {"detail":[{"msg":"<DRF's message>","type":"security"}]}.
func (r Refusal) APIError() *apierror.Error {
	return apierror.New(http.StatusUnauthorized, string(r), apierror.TypeSecurity)
}

// ParseAuthorization reads an Authorization header value as DRF's
// TokenAuthentication.authenticate does: the value's bytes are split on
// ASCII whitespace (Python's bytes.split(): space, \t, \n, \v, \f, \r);
// when there is no word, or the first word is not keyword (compared with
// ASCII case folding, as bytes.lower() does), the header is not for this
// auth (ok false, err nil). Otherwise there must be exactly one more word
// (ErrNoCredentials, ErrSpaces) and it must be valid UTF-8
// (ErrInvalidChars); it is the key.
func ParseAuthorization(header, keyword string) (key string, ok bool, err error) {
	first, rest := nextField(header)
	if first == "" || !equalASCIIFold(first, keyword) {
		return "", false, nil
	}
	key, rest = nextField(rest)
	if key == "" {
		return "", true, ErrNoCredentials
	}
	if more, _ := nextField(rest); more != "" {
		return "", true, ErrSpaces
	}
	if !utf8.ValidString(key) {
		return "", true, ErrInvalidChars
	}
	return key, true, nil
}

// isSpace is Python's bytes.isspace for one byte.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// nextField returns the first whitespace-separated word of s and what
// follows it.
func nextField(s string) (field, rest string) {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	j := i
	for j < len(s) && !isSpace(s[j]) {
		j++
	}
	return s[i:j], s[j:]
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// equalASCIIFold compares a and b after lower-casing ASCII letters only
// (strings.EqualFold would also fold the Kelvin sign to k).
func equalASCIIFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}
