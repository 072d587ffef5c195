package jwtauth

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// SimpleJWT's token types (the token_type claim).
const (
	TypeAccess  = "access"
	TypeRefresh = "refresh"
)

// SimpleJWT's messages, used as the msg of our error details.
const (
	MsgInvalid         = "Token is invalid"
	MsgExpired         = "Token is expired"
	MsgNoExp           = "Token has no 'exp' claim"
	MsgNoID            = "Token has no id"
	MsgNoType          = "Token has no type"
	MsgWrongType       = "Token has wrong type"
	MsgBlacklisted     = "Token is blacklisted"
	MsgNoUserID        = "Token contained no recognizable user identification"
	MsgUserNotFound    = "User not found"
	MsgUserInactive    = "User is inactive"
	MsgPasswordChanged = "The user's password has been changed."
	MsgBadHeader       = "Authorization header must contain two space-delimited values"
	MsgNoActiveAccount = "No active account found with the given credentials"
	MsgNoActiveForTok  = "No active account found for the given token."
)

// MaxTokenLength bounds the tokens Decode looks at; longer ones are refused
// unread.
const MaxTokenLength = 8192

// Claim is one claim of a token's payload, its value as JSON text.
type Claim struct {
	Name  string
	Value json.RawMessage
}

// Token is a verified token's payload.
type Token struct {
	// Type is the token_type claim ("access", "refresh").
	Type string
	// JTI is the jti claim.
	JTI string
	// UserID is the user-id claim as Django's str() of it: a JSON number
	// as its decimal text (SimpleJWT before 5.3 writes integer keys as
	// numbers), a string as itself. HasUserID tells whether it was there.
	UserID    string
	HasUserID bool
	// Exp and IssuedAt are the exp and iat claims, in whole seconds.
	Exp, IssuedAt int64
	// Revoke is the REVOKE_TOKEN_CLAIM value when present.
	Revoke string
	// Extra holds the claims other than token_type, exp, iat, jti (and the
	// user-id claim), in token order, when the decode asked for them: the
	// claims a refresh copies into its access token.
	Extra []Claim
	// Raw is the token as it was given.
	Raw string
}

// TokenError is a refused token, with SimpleJWT's message.
type TokenError struct{ Msg string }

func (e *TokenError) Error() string { return "jwtauth: " + e.Msg }

func tokenErr(msg string) error { return &TokenError{Msg: msg} }

// ParseBearer extracts the token from an Authorization header value as
// SimpleJWT's JWTAuthentication.get_raw_token does: the value is split on
// ASCII whitespace; no part, or a first part that is not one of types
// (case-sensitive), means "not a JWT header" (ok false, err nil); a
// matching first part with anything but exactly one more part is an error.
func ParseBearer(header string, types []string) (token string, ok bool, err error) {
	var parts [3]string
	n := 0
	for i := 0; i < len(header); {
		for i < len(header) && isSpace(header[i]) {
			i++
		}
		if i == len(header) {
			break
		}
		j := i
		for j < len(header) && !isSpace(header[j]) {
			j++
		}
		if n < len(parts) {
			parts[n] = header[i:j]
		}
		n++
		i = j
	}
	if n == 0 {
		return "", false, nil
	}
	known := false
	for _, t := range types {
		if parts[0] == t {
			known = true
			break
		}
	}
	if !known {
		return "", false, nil
	}
	if n != 2 {
		return "", false, tokenErr(MsgBadHeader)
	}
	return parts[1], true, nil
}

// isSpace is Python's bytes.isspace.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// claimNames are the payload claims a decode looks for.
type claimNames struct {
	userID string // USER_ID_CLAIM
	revoke string // REVOKE_TOKEN_CLAIM, "" when not checked
}

// verifyOptions are PyJWT's checks as SimpleJWT's TokenBackend asks for them.
type verifyOptions struct {
	now      time.Time
	leeway   time.Duration
	audience []string // checked when non-empty
	issuer   string   // checked when non-empty
}

// decode verifies raw's signature with k and its registered claims (exp,
// nbf, iat, iss, aud as PyJWT does), then SimpleJWT's Token.verify (exp
// and jti present, token_type present and equal to typ unless typ is "").
func decode(k *keySet, raw string, typ string, names claimNames, o verifyOptions, extras bool) (*Token, error) {
	if len(raw) > MaxTokenLength {
		return nil, tokenErr(MsgInvalid)
	}
	d1 := strings.IndexByte(raw, '.')
	if d1 < 0 {
		return nil, tokenErr(MsgInvalid)
	}
	d2 := strings.IndexByte(raw[d1+1:], '.')
	if d2 < 0 {
		return nil, tokenErr(MsgInvalid)
	}
	d2 += d1 + 1
	if strings.IndexByte(raw[d2+1:], '.') >= 0 {
		return nil, tokenErr(MsgInvalid)
	}
	hdr, body, sig := raw[:d1], raw[d1+1:d2], raw[d2+1:]
	if hdr != k.header && !checkHeader(hdr, k.alg) {
		return nil, tokenErr(MsgInvalid)
	}
	if !k.verifySignature(raw[:d2], sig) {
		return nil, tokenErr(MsgInvalid)
	}
	bp := payloadPool.Get().(*[]byte)
	defer payloadPool.Put(bp)
	n := base64.RawURLEncoding.DecodedLen(len(body))
	if cap(*bp) < n+len(body) {
		*bp = make([]byte, 0, n+len(body))
	}
	src := append((*bp)[:0], body...)
	m, err := base64.RawURLEncoding.Strict().Decode(src[len(body):len(body)+n], src)
	if err != nil {
		return nil, tokenErr(MsgInvalid)
	}
	payload := src[len(body) : len(body)+m]
	t := &Token{Raw: raw}
	var exp, iat, nbf, tokType, jti, iss, aud, uid, rev, sub []byte
	err = scanObject(payload, func(name string, value []byte) {
		switch name {
		case "exp":
			exp = value
			return
		case "iat":
			iat = value
			return
		case "nbf":
			nbf = value
		case "token_type":
			tokType = value
			return
		case "jti":
			jti = value
			return
		case "iss":
			iss = value
		case "sub":
			sub = value
		case "aud":
			aud = value
		}
		switch {
		case name == names.userID:
			uid = value
			return
		case names.revoke != "" && name == names.revoke:
			rev = value
		}
		if extras {
			t.Extra = appendClaim(t.Extra, name, value)
		}
	})
	if err != nil {
		return nil, tokenErr(MsgInvalid)
	}
	// PyJWT's registered claims: each must be a number when present.
	now := float64(o.now.UnixNano()) / 1e9
	lw := o.leeway.Seconds()
	if exp != nil {
		v, ok := intClaim(exp)
		if !ok {
			return nil, tokenErr(MsgInvalid)
		}
		if float64(v) <= now-lw {
			return nil, tokenErr(MsgExpired)
		}
		t.Exp = v
	}
	if iat != nil {
		v, ok := intClaim(iat)
		if !ok || float64(v) > now+lw {
			return nil, tokenErr(MsgInvalid)
		}
		t.IssuedAt = v
	}
	if nbf != nil {
		v, ok := intClaim(nbf)
		if !ok || float64(v) > now+lw {
			return nil, tokenErr(MsgInvalid)
		}
	}
	// PyJWT 2.10+: jti and sub, when present, must be strings.
	if _, ok := stringClaim(jti); jti != nil && !ok {
		return nil, tokenErr(MsgInvalid)
	}
	if _, ok := stringClaim(sub); sub != nil && !ok {
		return nil, tokenErr(MsgInvalid)
	}
	if o.issuer != "" {
		s, ok := stringClaim(iss)
		if !ok || s != o.issuer {
			return nil, tokenErr(MsgInvalid)
		}
	}
	if len(o.audience) > 0 && !audienceOK(aud, o.audience) {
		return nil, tokenErr(MsgInvalid)
	}
	// SimpleJWT's Token.verify.
	if exp == nil {
		return nil, tokenErr(MsgNoExp)
	}
	if jti == nil {
		return nil, tokenErr(MsgNoID)
	}
	t.JTI, _ = stringClaim(jti)
	if typ != "" {
		if tokType == nil {
			return nil, tokenErr(MsgNoType)
		}
		if s, ok := stringClaim(tokType); !ok || s != typ {
			return nil, tokenErr(MsgWrongType)
		}
		t.Type = typ
	} else if tokType != nil {
		t.Type, _ = stringClaim(tokType)
	}
	if uid != nil {
		if s, ok := stringClaim(uid); ok {
			t.UserID, t.HasUserID = s, true
		} else if v, ok := intValue(uid); ok {
			t.UserID, t.HasUserID = strconv.FormatInt(v, 10), true
		} else if !bytes.Equal(uid, []byte("null")) {
			// Another JSON value: Django would look the user up by it
			// and find nobody.
			t.UserID, t.HasUserID = "", true
		}
	}
	if rev != nil {
		t.Revoke, _ = stringClaim(rev)
	}
	if extras {
		if names.userID != "" && uid != nil {
			t.Extra = append([]Claim{{Name: names.userID, Value: json.RawMessage(bytes.Clone(uid))}}, t.Extra...)
		}
		if rev != nil {
			t.Extra = appendClaim(t.Extra, names.revoke, rev)
		}
	}
	return t, nil
}

func appendClaim(c []Claim, name string, value []byte) []Claim {
	for i := range c {
		if c[i].Name == name { // a duplicate key: the last one wins, as in Python
			c[i].Value = bytes.Clone(value)
			return c
		}
	}
	return append(c, Claim{Name: strings.Clone(name), Value: bytes.Clone(value)})
}

// checkHeader parses a JOSE header other than the canonical one: a JSON
// object whose alg is exactly alg, with no crit (we understand no
// extension, RFC 7515 §4.1.11).
func checkHeader(seg, alg string) bool {
	b, err := base64.RawURLEncoding.Strict().DecodeString(seg)
	if err != nil {
		return false
	}
	var h map[string]json.RawMessage
	if err := json.Unmarshal(b, &h); err != nil || h == nil {
		return false
	}
	if _, crit := h["crit"]; crit {
		return false
	}
	if kid, ok := h["kid"]; ok { // PyJWT: the key ID must be a string
		if _, ok := stringClaim(kid); !ok {
			return false
		}
	}
	var a string
	if err := json.Unmarshal(h["alg"], &a); err != nil {
		return false
	}
	return a == alg
}

// intClaim is PyJWT's int(payload[claim]) for a JSON number: floats are
// truncated toward zero. Other JSON values are refused.
func intClaim(v []byte) (int64, bool) {
	if n, ok := intValue(v); ok {
		return n, true
	}
	if len(v) == 0 || !(v[0] == '-' || v[0] >= '0' && v[0] <= '9') {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil || math.IsNaN(f) || math.Abs(f) > 1<<62 {
		return 0, false
	}
	return int64(f), true
}

// intValue parses a JSON integer without a fraction or exponent.
func intValue(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 19 {
		return 0, false
	}
	neg := v[0] == '-'
	i := 0
	if neg {
		i = 1
		if len(v) == 1 {
			return 0, false
		}
	}
	var n int64
	for ; i < len(v); i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// stringClaim decodes a JSON string value.
func stringClaim(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' {
		return "", false
	}
	if bytes.IndexByte(v, '\\') < 0 {
		return string(v[1 : len(v)-1]), true
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		return "", false
	}
	return s, true
}

// audienceOK is PyJWT's _validate_aud: aud must be present, a string or a
// list of strings, and name one of want.
func audienceOK(aud []byte, want []string) bool {
	if aud == nil {
		return false
	}
	var list []string
	if s, ok := stringClaim(aud); ok {
		list = []string{s}
	} else if json.Unmarshal(aud, &list) != nil {
		return false
	}
	for _, a := range list {
		for _, w := range want {
			if a == w {
				return true
			}
		}
	}
	return false
}

var errJSON = errors.New("jwtauth: bad JSON")

// scanObject calls f with each member of the JSON object data (names
// unescaped, values as raw JSON text). data must be one object.
func scanObject(data []byte, f func(name string, value []byte)) error {
	if !json.Valid(data) {
		return errJSON
	}
	i := skipWS(data, 0)
	if i >= len(data) || data[i] != '{' {
		return errJSON
	}
	i = skipWS(data, i+1)
	if i < len(data) && data[i] == '}' {
		return nil
	}
	for i < len(data) {
		end := skipString(data, i)
		key := data[i:end]
		name, ok := keyName(key)
		if !ok {
			return errJSON
		}
		i = skipWS(data, end)
		i = skipWS(data, i+1) // ':'
		vend := skipValue(data, i)
		f(name, data[i:vend])
		i = skipWS(data, vend)
		if data[i] == '}' {
			return nil
		}
		i = skipWS(data, i+1) // ','
	}
	return errJSON
}

// keyName unescapes a member name, without copying when it has no escape.
func keyName(key []byte) (string, bool) {
	if bytes.IndexByte(key, '\\') < 0 {
		return unsafeString(key[1 : len(key)-1]), true
	}
	var name string
	if json.Unmarshal(key, &name) != nil {
		return "", false
	}
	return name, true
}

// payloadPool holds the buffers payloads are decoded into.
var payloadPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] ('"').
func skipString(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(b)
}

// skipValue returns the index after the (valid) JSON value at b[i].
func skipValue(b []byte, i int) int {
	depth := 0
	for j := i; j < len(b); j++ {
		switch c := b[j]; c {
		case '"':
			j = skipString(b, j) - 1
			if depth == 0 {
				return j + 1
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return j
			}
			depth--
			if depth == 0 {
				return j + 1
			}
		case ',':
			if depth == 0 {
				return j
			}
		case ' ', '\t', '\n', '\r':
			if depth == 0 {
				return j
			}
		}
	}
	return len(b)
}

// newJTI is SimpleJWT's uuid4().hex.
func newJTI() string {
	var u [16]byte
	_, _ = rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return hex.EncodeToString(u[:])
}

func jsonString(s string) (string, error) {
	b, err := json.Marshal(s)
	return string(b), err
}

// unsafeString views b as a string without copying; the result must not
// outlive b's contents (appendClaim clones what it keeps).
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
