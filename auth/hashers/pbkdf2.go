package hashers

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"hash"
	"strconv"
	"strings"
)

// DefaultPBKDF2Iterations is Django 5.2's iteration count, used when a
// PBKDF2 hasher's Iterations is zero.
const DefaultPBKDF2Iterations = 1_000_000

// PBKDF2 is Django's default hasher, pbkdf2_sha256:
//
//	pbkdf2_sha256$<iterations>$<salt>$<base64(PBKDF2-HMAC-SHA256(password, salt, iterations, 32))>
type PBKDF2 struct {
	// Iterations for new hashes; zero means DefaultPBKDF2Iterations. Hashes
	// with any other count (more or fewer) report MustUpdate.
	Iterations int
}

// PBKDF2SHA1 is Django's pbkdf2_sha1 hasher (20-byte PBKDF2-HMAC-SHA1).
type PBKDF2SHA1 struct {
	// Iterations as for PBKDF2.
	Iterations int
}

func (p *PBKDF2) Algorithm() string                      { return "pbkdf2_sha256" }
func (p *PBKDF2) Salt() (string, error)                  { return NewSalt(), nil }
func (p *PBKDF2) Encode(pw, salt string) (string, error) { return p.spec().encode(pw, salt, 0) }
func (p *PBKDF2) Verify(pw, enc string) (bool, error)    { return p.spec().verify(pw, enc) }
func (p *PBKDF2) MustUpdate(enc string) (bool, error)    { return p.spec().mustUpdate(enc) }
func (p *PBKDF2) HardenRuntime(pw, enc string)           { p.spec().hardenRuntime(pw, enc) }
func (p *PBKDF2) spec() pbkdf2Spec {
	return pbkdf2Spec{"pbkdf2_sha256", sha256.New, p.Iterations}
}

func (p *PBKDF2SHA1) Algorithm() string                      { return "pbkdf2_sha1" }
func (p *PBKDF2SHA1) Salt() (string, error)                  { return NewSalt(), nil }
func (p *PBKDF2SHA1) Encode(pw, salt string) (string, error) { return p.spec().encode(pw, salt, 0) }
func (p *PBKDF2SHA1) Verify(pw, enc string) (bool, error)    { return p.spec().verify(pw, enc) }
func (p *PBKDF2SHA1) MustUpdate(enc string) (bool, error)    { return p.spec().mustUpdate(enc) }
func (p *PBKDF2SHA1) HardenRuntime(pw, enc string)           { p.spec().hardenRuntime(pw, enc) }
func (p *PBKDF2SHA1) spec() pbkdf2Spec {
	return pbkdf2Spec{"pbkdf2_sha1", sha1.New, p.Iterations}
}

type pbkdf2Spec struct {
	alg        string
	newHash    func() hash.Hash
	iterations int
}

func (s pbkdf2Spec) iter() int {
	if s.iterations <= 0 {
		return DefaultPBKDF2Iterations
	}
	return s.iterations
}

// encode with iter iterations (0: the configured count).
func (s pbkdf2Spec) encode(password, salt string, iter int) (string, error) {
	if err := checkSalt(salt); err != nil {
		return "", err
	}
	if iter == 0 {
		iter = s.iter()
	}
	key, err := derivePBKDF2(s.newHash, []byte(password), []byte(salt), iter)
	if err != nil {
		return "", err
	}
	return s.alg + "$" + strconv.Itoa(iter) + "$" + salt + "$" + base64.StdEncoding.EncodeToString(key), nil
}

type pbkdf2Decoded struct {
	iterations int
	salt, hash string
}

// decode splits encoded as Django does (at most four "$"-separated parts;
// the hash part may contain "$" and then simply never matches).
func (s pbkdf2Spec) decode(encoded string) (pbkdf2Decoded, error) {
	parts := strings.SplitN(encoded, "$", 4)
	if len(parts) != 4 || parts[0] != s.alg {
		return pbkdf2Decoded{}, malformed(s.alg, "want algorithm$iterations$salt$hash")
	}
	it, err := parseCount(parts[1])
	if err != nil {
		return pbkdf2Decoded{}, malformed(s.alg, "bad iteration count")
	}
	return pbkdf2Decoded{iterations: it, salt: parts[2], hash: parts[3]}, nil
}

func (s pbkdf2Spec) verify(password, encoded string) (bool, error) {
	d, err := s.decode(encoded)
	if err != nil {
		return false, err
	}
	if checkSalt(d.salt) != nil {
		return false, malformed(s.alg, "empty salt")
	}
	again, err := s.encode(password, d.salt, d.iterations)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare([]byte(encoded), []byte(again)) == 1, nil
}

func (s pbkdf2Spec) mustUpdate(encoded string) (bool, error) {
	d, err := s.decode(encoded)
	if err != nil {
		return false, err
	}
	return d.iterations != s.iter() || mustUpdateSalt(d.salt), nil
}

func (s pbkdf2Spec) hardenRuntime(password, encoded string) {
	d, err := s.decode(encoded)
	if err != nil || checkSalt(d.salt) != nil {
		return
	}
	if extra := s.iter() - d.iterations; extra > 0 {
		_, _ = s.encode(password, d.salt, extra)
	}
}

// parseCount parses a positive decimal count in canonical form (no sign,
// no leading zeros). Django's int() accepts more spellings, but its verify
// re-encodes the canonical form and compares, so those never match anyway.
func parseCount(s string) (int, error) {
	if s == "" || s[0] == '0' || len(s) > 10 {
		return 0, strconv.ErrSyntax
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, strconv.ErrSyntax
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > 1<<31-1 {
		return 0, strconv.ErrRange
	}
	return n, nil
}
