package hashers

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/scrypt"
)

// Django's scrypt parameters: N = 2^14, r = 8, and p = 5 since 5.1 (1 in
// 4.0–5.0).
const (
	DefaultScryptN = 1 << 14
	DefaultScryptR = 8
	DefaultScryptP = 5
)

// scryptMaxMem is OpenSSL's default memory limit (SCRYPT_MAX_MEM), which
// applies to Django's hashlib.scrypt(maxmem=0) call: hashes whose parameters
// need more memory fail there, and fail here too instead of allocating it.
const scryptMaxMem = 32 << 20

// Scrypt is Django's scrypt hasher (4.0+):
//
//	scrypt$<N>$<salt>$<r>$<p>$<base64(scrypt(password, salt, N, r, p, 64))>
//
// Hashes with any other N, r or p report MustUpdate (the salt length is not
// checked, as in Django).
type Scrypt struct {
	// Zero fields mean Django 5.2's defaults (N 16384, r 8, p 5).
	N, R, P int
}

func (s *Scrypt) params() (n, r, p int) {
	n, r, p = s.N, s.R, s.P
	if n == 0 {
		n = DefaultScryptN
	}
	if r == 0 {
		r = DefaultScryptR
	}
	if p == 0 {
		p = DefaultScryptP
	}
	return n, r, p
}

func (s *Scrypt) Algorithm() string     { return "scrypt" }
func (s *Scrypt) Salt() (string, error) { return NewSalt(), nil }

func (s *Scrypt) Encode(password, salt string) (string, error) {
	n, r, p := s.params()
	return scryptEncode(password, salt, n, r, p)
}

// scryptCheckParams applies OpenSSL's EVP_PBE_scrypt checks with its
// default memory limit.
func scryptCheckParams(n, r, p int) error {
	if r < 1 || p < 1 || n < 2 || n&(n-1) != 0 {
		return fmt.Errorf("hashers: invalid scrypt parameters")
	}
	if 16*r <= 63 && uint64(n) >= 1<<(16*uint(r)) {
		return fmt.Errorf("hashers: invalid scrypt parameters")
	}
	if p > ((1<<30)-1)/r {
		return fmt.Errorf("hashers: invalid scrypt parameters")
	}
	mem := uint64(p)*128*uint64(r) + 32*uint64(r)*(uint64(n)+2)*4
	if mem > scryptMaxMem {
		return fmt.Errorf("hashers: scrypt parameters need %d bytes, over the %d limit", mem, scryptMaxMem)
	}
	return nil
}

func scryptEncode(password, salt string, n, r, p int) (string, error) {
	if err := checkSalt(salt); err != nil {
		return "", err
	}
	if err := scryptCheckParams(n, r, p); err != nil {
		return "", err
	}
	key, err := scrypt.Key([]byte(password), []byte(salt), n, r, p, 64)
	if err != nil {
		return "", fmt.Errorf("hashers: scrypt: %w", err)
	}
	return fmt.Sprintf("scrypt$%d$%s$%d$%d$%s", n, salt, r, p, base64.StdEncoding.EncodeToString(key)), nil
}

type scryptDecoded struct {
	n, r, p    int
	salt, hash string
}

func decodeScrypt(encoded string) (scryptDecoded, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "scrypt" {
		return scryptDecoded{}, malformed("scrypt", "want scrypt$N$salt$r$p$hash")
	}
	var d scryptDecoded
	var err error
	for _, f := range []struct {
		dst *int
		s   string
	}{{&d.n, parts[1]}, {&d.r, parts[3]}, {&d.p, parts[4]}} {
		if *f.dst, err = parseCount(f.s); err != nil {
			return scryptDecoded{}, malformed("scrypt", "bad parameter "+strconv.Quote(f.s))
		}
	}
	d.salt, d.hash = parts[2], parts[5]
	return d, nil
}

func (s *Scrypt) Verify(password, encoded string) (bool, error) {
	d, err := decodeScrypt(encoded)
	if err != nil {
		return false, err
	}
	if err := scryptCheckParams(d.n, d.r, d.p); err != nil {
		return false, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if checkSalt(d.salt) != nil {
		return false, malformed("scrypt", "empty salt")
	}
	again, err := scryptEncode(password, d.salt, d.n, d.r, d.p)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare([]byte(encoded), []byte(again)) == 1, nil
}

func (s *Scrypt) MustUpdate(encoded string) (bool, error) {
	d, err := decodeScrypt(encoded)
	if err != nil {
		return false, err
	}
	n, r, p := s.params()
	return d.n != n || d.r != r || d.p != p, nil
}

// HardenRuntime does nothing (as in Django).
func (s *Scrypt) HardenRuntime(password, encoded string) {}
