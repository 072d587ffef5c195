package hashers

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	"golang.org/x/crypto/blowfish"
)

// DefaultBCryptRounds is Django's bcrypt work factor (log2 of the rounds).
const DefaultBCryptRounds = 12

// BCryptSHA256 is Django's bcrypt_sha256 hasher: bcrypt over the hex SHA-256
// of the password (which avoids bcrypt's 72-byte limit),
//
//	bcrypt_sha256$$2b$12$<22-char salt><31-char hash>
//
// It writes the "$2b$" prefix, as Python's bcrypt does, and verifies "$2a$",
// "$2b$" and "$2y$" hashes (identical for passwords of at most 72 bytes).
type BCryptSHA256 struct {
	// Rounds is the work factor for new hashes (4–31); zero means 12. Hashes
	// with another work factor report MustUpdate.
	Rounds int
}

// BCrypt is Django's bcrypt hasher (not in the default list): bcrypt over the
// raw password. Encode refuses passwords longer than 72 bytes (as Python's
// bcrypt ≥ 5 does); Verify truncates them to 72 bytes, as the bcrypt that
// wrote older hashes did.
type BCrypt struct {
	// Rounds as for BCryptSHA256.
	Rounds int
}

func (b *BCryptSHA256) Algorithm() string                      { return "bcrypt_sha256" }
func (b *BCryptSHA256) Salt() (string, error)                  { return bcryptSalt(b.spec().rounds()) }
func (b *BCryptSHA256) Encode(pw, salt string) (string, error) { return b.spec().encode(pw, salt) }
func (b *BCryptSHA256) Verify(pw, enc string) (bool, error)    { return b.spec().verify(pw, enc) }
func (b *BCryptSHA256) MustUpdate(enc string) (bool, error)    { return b.spec().mustUpdate(enc) }
func (b *BCryptSHA256) HardenRuntime(pw, enc string)           { b.spec().hardenRuntime(pw, enc) }
func (b *BCryptSHA256) spec() bcryptSpec                       { return bcryptSpec{"bcrypt_sha256", true, b.Rounds} }

func (b *BCrypt) Algorithm() string                      { return "bcrypt" }
func (b *BCrypt) Salt() (string, error)                  { return bcryptSalt(b.spec().rounds()) }
func (b *BCrypt) Encode(pw, salt string) (string, error) { return b.spec().encode(pw, salt) }
func (b *BCrypt) Verify(pw, enc string) (bool, error)    { return b.spec().verify(pw, enc) }
func (b *BCrypt) MustUpdate(enc string) (bool, error)    { return b.spec().mustUpdate(enc) }
func (b *BCrypt) HardenRuntime(pw, enc string)           { b.spec().hardenRuntime(pw, enc) }
func (b *BCrypt) spec() bcryptSpec                       { return bcryptSpec{"bcrypt", false, b.Rounds} }

type bcryptSpec struct {
	alg       string
	preSHA256 bool
	cost      int
}

func (s bcryptSpec) rounds() int {
	if s.cost == 0 {
		return DefaultBCryptRounds
	}
	return s.cost
}

var bcryptB64 = base64.NewEncoding("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789").WithPadding(base64.NoPadding)

// bcryptSalt is Python's bcrypt.gensalt(rounds): "$2b$NN$" and 16 random
// bytes in bcrypt's base64 (22 characters).
func bcryptSalt(cost int) (string, error) {
	if cost < 4 || cost > 31 {
		return "", fmt.Errorf("hashers: bcrypt rounds must be 4–31, got %d", cost)
	}
	var raw [16]byte
	_, _ = rand.Read(raw[:])
	return fmt.Sprintf("$2b$%02d$%s", cost, bcryptB64.EncodeToString(raw[:])), nil
}

// bcryptSetting is the parsed "$2b$12$<22 chars>" prefix of a bcrypt string.
type bcryptSetting struct {
	minor byte // 'a', 'b' or 'y'
	cost  int
	salt  []byte // 16 bytes
}

// parseBcryptSetting parses the first 29 characters of s (Python's bcrypt
// takes the salt from there and ignores the rest).
func parseBcryptSetting(s string) (bcryptSetting, error) {
	if len(s) < 29 || s[0] != '$' || s[1] != '2' || s[3] != '$' || s[6] != '$' {
		return bcryptSetting{}, malformed("bcrypt", "want $2b$NN$ and a 22-character salt")
	}
	var st bcryptSetting
	switch s[2] {
	case 'a', 'b', 'y':
		st.minor = s[2]
	default:
		return bcryptSetting{}, malformed("bcrypt", "unsupported version")
	}
	if s[4] < '0' || s[4] > '9' || s[5] < '0' || s[5] > '9' {
		return bcryptSetting{}, malformed("bcrypt", "bad cost")
	}
	st.cost = int(s[4]-'0')*10 + int(s[5]-'0')
	if st.cost < 4 || st.cost > 31 {
		return bcryptSetting{}, malformed("bcrypt", "cost out of range")
	}
	salt, err := bcryptB64.DecodeString(s[7:29])
	if err != nil || len(salt) != 16 {
		return bcryptSetting{}, malformed("bcrypt", "bad salt")
	}
	st.salt = salt
	return st, nil
}

// bcryptHash is bcrypt(password, setting): "$2b$NN$<salt><hash>" with the
// salt re-encoded from its 16 bytes (so its last character is normalised,
// as every bcrypt implementation does).
func bcryptHash(password []byte, st bcryptSetting) string {
	if len(password) > 72 {
		password = password[:72]
	}
	key := make([]byte, len(password)+1) // $2a$/$2b$/$2y$ include the NUL
	copy(key, password)
	c, err := blowfish.NewSaltedCipher(key, st.salt)
	if err != nil {
		panic("hashers: bcrypt: " + err.Error()) // key is never empty
	}
	for i := uint64(0); i < 1<<uint(st.cost); i++ {
		blowfish.ExpandKey(key, c)
		blowfish.ExpandKey(st.salt, c)
	}
	ctext := []byte("OrpheanBeholderScryDoubt")
	for i := 0; i < 24; i += 8 {
		for range 64 {
			c.Encrypt(ctext[i:i+8], ctext[i:i+8])
		}
	}
	return fmt.Sprintf("$2%c$%02d$%s%s", st.minor, st.cost,
		bcryptB64.EncodeToString(st.salt), bcryptB64.EncodeToString(ctext[:23]))
}

func (s bcryptSpec) password(pw string) []byte {
	if s.preSHA256 {
		sum := sha256.Sum256([]byte(pw))
		return []byte(hex.EncodeToString(sum[:]))
	}
	return []byte(pw)
}

// encode hashes with salt, a bcrypt setting such as "$2b$12$<22 chars>" (the
// output of Salt); longer bcrypt strings are accepted and their tail ignored.
func (s bcryptSpec) encode(pw, salt string) (string, error) {
	if !s.preSHA256 && len(pw) > 72 {
		return "", fmt.Errorf("hashers: bcrypt password longer than 72 bytes")
	}
	st, err := parseBcryptSetting(salt)
	if err != nil {
		return "", err
	}
	return s.alg + "$" + bcryptHash(s.password(pw), st), nil
}

// decode returns the bcrypt string after "<alg>$" and its setting. Django
// splits "<alg>$$2b$12$<53 chars>" into five parts.
func (s bcryptSpec) decode(encoded string) (string, bcryptSetting, error) {
	alg, data, ok := strings.Cut(encoded, "$")
	if !ok || alg != s.alg {
		return "", bcryptSetting{}, malformed(s.alg, "want "+s.alg+"$$2b$NN$…")
	}
	st, err := parseBcryptSetting(data)
	return data, st, err
}

func (s bcryptSpec) verify(pw, encoded string) (bool, error) {
	data, st, err := s.decode(encoded)
	if err != nil {
		return false, err
	}
	again := bcryptHash(s.password(pw), st)
	return subtle.ConstantTimeCompare([]byte(data), []byte(again)) == 1, nil
}

func (s bcryptSpec) mustUpdate(encoded string) (bool, error) {
	_, st, err := s.decode(encoded)
	if err != nil {
		return false, err
	}
	return st.cost != s.rounds(), nil
}

// hardenRuntime runs 2^(rounds-cost) - 1 extra hashes with the stored salt.
func (s bcryptSpec) hardenRuntime(pw, encoded string) {
	_, st, err := s.decode(encoded)
	if err != nil || st.cost >= s.rounds() || s.rounds()-st.cost > 30 {
		return
	}
	p := s.password(pw)
	for diff := (1 << uint(s.rounds()-st.cost)) - 1; diff > 0; diff-- {
		bcryptHash(p, st)
	}
}
