package csrf

import (
	"crypto/rand"
)

// Token sizes and alphabet, as in django.middleware.csrf.
const (
	// SecretLength is the length of the secret kept in the cookie or session.
	SecretLength = 32
	// TokenLength is the length of a masked token (mask followed by cipher).
	TokenLength = 2 * SecretLength
	// AllowedChars is Django's CSRF_ALLOWED_CHARS (ascii_letters + digits), in
	// its order: the masking arithmetic depends on each character's index.
	AllowedChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
)

const nChars = len(AllowedChars) // 62

// charIndex maps a byte to its index in AllowedChars, or -1.
var charIndex = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < nChars; i++ {
		t[AllowedChars[i]] = int8(i)
	}
	return t
}()

// randomString returns n characters drawn uniformly from AllowedChars with
// crypto/rand (rejection sampling, so there is no modulo bias).
func randomString(n int) string {
	out := make([]byte, 0, n)
	var buf [64]byte
	for len(out) < n {
		rand.Read(buf[:]) // never returns an error (crypto/rand, Go ≥ 1.24)
		for _, b := range buf {
			if b < 248 { // 248 = 4*62: keep only values that map uniformly
				out = append(out, AllowedChars[int(b)%nChars])
				if len(out) == n {
					break
				}
			}
		}
	}
	return string(out)
}

// NewSecret returns a fresh random 32-character secret.
func NewSecret() string { return randomString(SecretLength) }

// Mask returns a 64-character token for secret (which must be 32 valid
// characters): a fresh random mask followed by the secret enciphered with it,
// so that every rendered token differs (BREACH mitigation).
func Mask(secret string) string {
	return maskWith(secret, randomString(SecretLength))
}

// maskWith is Django's _mask_cipher_secret with a given mask.
func maskWith(secret, mask string) string {
	var out [TokenLength]byte
	copy(out[:], mask)
	for i := 0; i < SecretLength; i++ {
		s, m := int(charIndex[secret[i]]), int(charIndex[mask[i]])
		out[SecretLength+i] = AllowedChars[(s+m)%nChars]
	}
	return string(out[:])
}

// Unmask returns the secret enciphered in a 64-character token. It returns
// false when the token does not have 64 valid characters.
func Unmask(token string) (string, bool) {
	var out [SecretLength]byte
	if !unmaskInto(&out, token) {
		return "", false
	}
	return string(out[:]), true
}

// unmaskInto is Django's _unmask_cipher_token without allocating.
func unmaskInto(out *[SecretLength]byte, token string) bool {
	if len(token) != TokenLength {
		return false
	}
	for i := 0; i < SecretLength; i++ {
		m, c := int(charIndex[token[i]]), int(charIndex[token[SecretLength+i]])
		if m < 0 || c < 0 {
			return false
		}
		d := c - m
		if d < 0 {
			d += nChars
		}
		out[i] = AllowedChars[d]
	}
	return true
}

// formatProblem is Django's _check_token_format: "" when the token has 32 or
// 64 characters, all in AllowedChars; otherwise the reason suffix. n is the
// token's length as Django counts it (bytes for headers, which WSGI decodes as
// latin-1; code points for cookies and form fields, which are UTF-8 decoded).
func formatProblem(token string, n int) string {
	if n != SecretLength && n != TokenLength {
		return reasonIncorrectLength
	}
	for i := 0; i < len(token); i++ {
		if charIndex[token[i]] < 0 {
			return reasonInvalidCharacters
		}
	}
	return ""
}

// secretOf returns the secret a well-formed (32 or 64 valid characters) token
// stands for: the token itself or its unmasked form.
func secretOf(out *[SecretLength]byte, token string) []byte {
	if len(token) == TokenLength {
		unmaskInto(out, token)
		return out[:]
	}
	copy(out[:], token)
	return out[:len(token)]
}

// constantTimeEqual compares a and b in time that depends only on their
// lengths.
func constantTimeEqual(a []byte, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var v byte
	for i := 0; i < len(a); i++ {
		v |= a[i] ^ b[i]
	}
	return v == 0
}

// constantTimeEqualBytes is constantTimeEqual for two byte slices.
func constantTimeEqualBytes(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	var v byte
	for i := 0; i < len(a); i++ {
		v |= a[i] ^ b[i]
	}
	return v == 0
}
