package apikey

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
)

// Key format: "dmr_" + prefix + "." + secret.
const (
	// KeyPrefix starts every key, so that secret scanners (and people)
	// recognise one.
	KeyPrefix = "dmr_"
	// PrefixLength is the length of the public prefix: 12 lower-case hex
	// digits (48 random bits), unique per key, used to look the key up.
	PrefixLength = 12
	// SecretBytes is the random part's size: 256 bits from crypto/rand,
	// written as 43 characters of unpadded base64url.
	SecretBytes  = 32
	secretLength = 43
	// KeyLength is the length of a whole key.
	KeyLength = len(KeyPrefix) + PrefixLength + 1 + secretLength
)

// ErrMalformed: the presented value is not a key of this format.
var ErrMalformed = errors.New("apikey: malformed API key")

// Generate returns a new key and its public prefix, from crypto/rand.
func Generate() (key, prefix string, err error) {
	var b [PrefixLength/2 + SecretBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", err
	}
	prefix = hex.EncodeToString(b[:PrefixLength/2])
	return KeyPrefix + prefix + "." + base64.RawURLEncoding.EncodeToString(b[PrefixLength/2:]), prefix, nil
}

// ParseKey checks that key has the format of [Generate] and returns its
// prefix; anything else is ErrMalformed. It does not say whether the key
// exists.
func ParseKey(key string) (prefix string, err error) {
	if len(key) != KeyLength || !strings.HasPrefix(key, KeyPrefix) {
		return "", ErrMalformed
	}
	prefix = key[len(KeyPrefix) : len(KeyPrefix)+PrefixLength]
	if !ValidPrefix(prefix) || key[len(KeyPrefix)+PrefixLength] != '.' {
		return "", ErrMalformed
	}
	secret := key[len(KeyPrefix)+PrefixLength+1:]
	// Strict: the one canonical spelling of 32 bytes (the last character
	// carries 4 unused bits that must be zero).
	var buf [SecretBytes]byte
	n, err := base64.RawURLEncoding.Strict().Decode(buf[:], []byte(secret))
	if err != nil || n != SecretBytes {
		return "", ErrMalformed
	}
	return prefix, nil
}

// ValidPrefix reports whether p is a key prefix: PrefixLength lower-case
// hex digits.
func ValidPrefix(p string) bool {
	if len(p) != PrefixLength {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// HashKey returns what the store keeps of a key: the hex SHA-256 of the
// whole key. (A password hasher is not needed: the key has 256 random bits,
// so its hash cannot be reversed by guessing, and a fast hash keeps every
// request cheap.)
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// matches compares key's hash with the stored one in constant time.
func matches(key, hashed string) bool {
	var sum [sha256.Size]byte
	sum = sha256.Sum256([]byte(key))
	var want [sha256.Size]byte
	if len(hashed) != hex.EncodedLen(sha256.Size) {
		return false
	}
	if _, err := hex.Decode(want[:], []byte(hashed)); err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(sum[:], want[:]) == 1
}
