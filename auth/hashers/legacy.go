package hashers

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"hash"
	"strings"
)

// The legacy hashers verify hashes written by old Django versions. They may
// appear anywhere in a list but first: every hash they verify reports
// MustUpdate (its algorithm differs from the preferred one), so it is
// rewritten on the next successful login. Their Encode exists for tests and
// migrations.

// MD5 is Django's md5 hasher: md5$<salt>$<hex(MD5(salt ‖ password))>.
type MD5 struct{}

// SHA1 is Django's sha1 hasher (removed in 5.1): sha1$<salt>$<hex(SHA1(salt ‖ password))>.
type SHA1 struct{}

// UnsaltedMD5 is Django's unsalted_md5 hasher (removed in 5.1): 32 hex
// characters, or the same after "md5$$".
type UnsaltedMD5 struct{}

// UnsaltedSHA1 is Django's unsalted_sha1 hasher (removed in 5.1): sha1$$<hex(SHA1(password))>.
type UnsaltedSHA1 struct{}

func (MD5) verifyOnly()          {}
func (SHA1) verifyOnly()         {}
func (UnsaltedMD5) verifyOnly()  {}
func (UnsaltedSHA1) verifyOnly() {}

func (MD5) Algorithm() string                      { return "md5" }
func (MD5) Salt() (string, error)                  { return NewSalt(), nil }
func (MD5) Encode(pw, salt string) (string, error) { return saltedEncode("md5", md5.New, pw, salt) }
func (MD5) Verify(pw, enc string) (bool, error)    { return saltedVerify("md5", md5.New, pw, enc) }
func (MD5) MustUpdate(enc string) (bool, error)    { return saltedMustUpdate("md5", enc) }
func (MD5) HardenRuntime(pw, enc string)           {}

func (SHA1) Algorithm() string                      { return "sha1" }
func (SHA1) Salt() (string, error)                  { return NewSalt(), nil }
func (SHA1) Encode(pw, salt string) (string, error) { return saltedEncode("sha1", sha1.New, pw, salt) }
func (SHA1) Verify(pw, enc string) (bool, error)    { return saltedVerify("sha1", sha1.New, pw, enc) }
func (SHA1) MustUpdate(enc string) (bool, error)    { return saltedMustUpdate("sha1", enc) }
func (SHA1) HardenRuntime(pw, enc string)           {}

func saltedEncode(alg string, h func() hash.Hash, pw, salt string) (string, error) {
	if err := checkSalt(salt); err != nil {
		return "", err
	}
	d := h()
	d.Write([]byte(salt))
	d.Write([]byte(pw))
	return alg + "$" + salt + "$" + hex.EncodeToString(d.Sum(nil)), nil
}

func saltedDecode(alg, encoded string) (salt string, err error) {
	parts := strings.SplitN(encoded, "$", 3)
	if len(parts) != 3 || parts[0] != alg {
		return "", malformed(alg, "want "+alg+"$salt$hash")
	}
	return parts[1], nil
}

func saltedVerify(alg string, h func() hash.Hash, pw, encoded string) (bool, error) {
	salt, err := saltedDecode(alg, encoded)
	if err != nil {
		return false, err
	}
	if checkSalt(salt) != nil {
		return false, malformed(alg, "empty salt")
	}
	again, _ := saltedEncode(alg, h, pw, salt)
	return subtle.ConstantTimeCompare([]byte(encoded), []byte(again)) == 1, nil
}

func saltedMustUpdate(alg, encoded string) (bool, error) {
	salt, err := saltedDecode(alg, encoded)
	if err != nil {
		return false, err
	}
	return mustUpdateSalt(salt), nil
}

func (UnsaltedMD5) Algorithm() string     { return "unsalted_md5" }
func (UnsaltedMD5) Salt() (string, error) { return "", nil }

// Encode requires an empty salt.
func (UnsaltedMD5) Encode(pw, salt string) (string, error) {
	if salt != "" {
		return "", errSaltMustBeEmpty
	}
	sum := md5.Sum([]byte(pw))
	return hex.EncodeToString(sum[:]), nil
}

func (u UnsaltedMD5) Verify(pw, encoded string) (bool, error) {
	if len(encoded) == 37 && strings.HasPrefix(encoded, "md5$$") {
		encoded = encoded[5:]
	}
	again, _ := u.Encode(pw, "")
	return subtle.ConstantTimeCompare([]byte(encoded), []byte(again)) == 1, nil
}
func (UnsaltedMD5) MustUpdate(enc string) (bool, error) { return false, nil }
func (UnsaltedMD5) HardenRuntime(pw, enc string)        {}

func (UnsaltedSHA1) Algorithm() string     { return "unsalted_sha1" }
func (UnsaltedSHA1) Salt() (string, error) { return "", nil }

// Encode requires an empty salt.
func (UnsaltedSHA1) Encode(pw, salt string) (string, error) {
	if salt != "" {
		return "", errSaltMustBeEmpty
	}
	sum := sha1.Sum([]byte(pw))
	return "sha1$$" + hex.EncodeToString(sum[:]), nil
}

func (u UnsaltedSHA1) Verify(pw, encoded string) (bool, error) {
	if !strings.HasPrefix(encoded, "sha1$$") {
		return false, malformed("unsalted_sha1", "want sha1$$hash")
	}
	again, _ := u.Encode(pw, "")
	return subtle.ConstantTimeCompare([]byte(encoded), []byte(again)) == 1, nil
}
func (UnsaltedSHA1) MustUpdate(enc string) (bool, error) { return false, nil }
func (UnsaltedSHA1) HardenRuntime(pw, enc string)        {}
