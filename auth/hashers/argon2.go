package hashers

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Django's Argon2 parameters (unchanged since 3.2) and argon2-cffi's default
// hash length (≥ 21.2; 21.1 used 16).
const (
	DefaultArgon2Time        = 2
	DefaultArgon2Memory      = 102400 // KiB
	DefaultArgon2Parallelism = 8
	DefaultArgon2HashLen     = 32
)

// argon2Version is the only Argon2 version golang.org/x/crypto computes
// (0x13, "v=19"), and the one argon2-cffi writes.
const argon2Version = 19

// Argon2 is Django's argon2 hasher: "argon2" followed by argon2-cffi's PHC
// string for Argon2id,
//
//	argon2$argon2id$v=19$m=102400,t=2,p=8$<b64(salt)>$<b64(hash)>
//
// (unpadded standard base64). Verify also accepts argon2i hashes (written by
// Django < 3.2), which then report MustUpdate, and any hash length. Hashes
// of Argon2 version 16 or of the argon2d variant cannot be verified here and
// are reported malformed.
type Argon2 struct {
	// Zero fields mean Django's defaults: Time 2, Memory 102400 KiB,
	// Parallelism 8, HashLen 32 (use 16 to match argon2-cffi 21.1, which
	// Debian bookworm ships).
	Time, Memory uint32
	Parallelism  uint8
	HashLen      uint32
}

type argon2Params struct {
	variant    string // "argon2id" or "argon2i"
	version    int
	m, t       uint32
	p          uint8
	salt, hash []byte
}

func (a *Argon2) params() argon2Params {
	p := argon2Params{variant: "argon2id", version: argon2Version, m: a.Memory, t: a.Time, p: a.Parallelism}
	if p.m == 0 {
		p.m = DefaultArgon2Memory
	}
	if p.t == 0 {
		p.t = DefaultArgon2Time
	}
	if p.p == 0 {
		p.p = DefaultArgon2Parallelism
	}
	return p
}

func (a *Argon2) hashLen() uint32 {
	if a.HashLen == 0 {
		return DefaultArgon2HashLen
	}
	return a.HashLen
}

func (a *Argon2) Algorithm() string     { return "argon2" }
func (a *Argon2) Salt() (string, error) { return NewSalt(), nil }

// Encode hashes password with salt (its UTF-8 bytes; at least 8 of them, as
// libargon2 requires).
func (a *Argon2) Encode(password, salt string) (string, error) {
	if err := checkSalt(salt); err != nil {
		return "", err
	}
	if len(salt) < 8 {
		return "", fmt.Errorf("hashers: argon2 salt must be at least 8 bytes")
	}
	p := a.params()
	if p.m < 8*uint32(p.p) || a.hashLen() < 4 {
		return "", fmt.Errorf("hashers: argon2 parameters out of range")
	}
	p.salt = []byte(salt)
	p.hash = p.compute([]byte(password), a.hashLen())
	return "argon2" + p.String(), nil
}

func (p argon2Params) compute(password []byte, n uint32) []byte {
	if p.variant == "argon2i" {
		return argon2.Key(password, p.salt, p.t, p.m, p.p, n)
	}
	return argon2.IDKey(password, p.salt, p.t, p.m, p.p, n)
}

// String is the PHC string: "$argon2id$v=19$m=…,t=…,p=…$salt$hash".
func (p argon2Params) String() string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$%s$v=%d$m=%d,t=%d,p=%d$%s$%s", p.variant, p.version, p.m, p.t, p.p,
		b64.EncodeToString(p.salt), b64.EncodeToString(p.hash))
}

// decodeArgon2 parses "argon2$<variant>$v=<n>$m=<n>,t=<n>,p=<n>$<salt>$<hash>"
// as libargon2's decoder does (fixed field order, decimal numbers, unpadded
// base64).
func decodeArgon2(encoded string) (argon2Params, error) {
	bad := func(why string) (argon2Params, error) { return argon2Params{}, malformed("argon2", why) }
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "argon2" {
		return bad("want argon2$variant$v=19$m=…,t=…,p=…$salt$hash")
	}
	var p argon2Params
	switch parts[1] {
	case "argon2id", "argon2i":
		p.variant = parts[1]
	default:
		return bad("unsupported variant " + strconv.Quote(parts[1]))
	}
	v, ok := strings.CutPrefix(parts[2], "v=")
	n, err := parseCount(v)
	if !ok || err != nil {
		return bad("bad version")
	}
	if n != argon2Version {
		return bad("unsupported version " + v)
	}
	p.version = n
	fields := strings.Split(parts[3], ",")
	if len(fields) != 3 {
		return bad("want m=…,t=…,p=…")
	}
	var nums [3]int
	for i, name := range []string{"m=", "t=", "p="} {
		s, ok := strings.CutPrefix(fields[i], name)
		if !ok {
			return bad("want m=…,t=…,p=…")
		}
		if nums[i], err = parseCount(s); err != nil {
			return bad("bad " + name[:1])
		}
	}
	if nums[2] > 255 || nums[0] < 8*nums[2] || uint64(nums[0]) > 1<<32-1 {
		return bad("parameters out of range")
	}
	p.m, p.t, p.p = uint32(nums[0]), uint32(nums[1]), uint8(nums[2])
	if p.salt, err = base64.RawStdEncoding.Strict().DecodeString(parts[4]); err != nil || len(p.salt) < 8 {
		return bad("bad salt")
	}
	if p.hash, err = base64.RawStdEncoding.Strict().DecodeString(parts[5]); err != nil || len(p.hash) < 4 {
		return bad("bad hash")
	}
	return p, nil
}

// Verify recomputes the hash with encoded's own parameters and length.
func (a *Argon2) Verify(password, encoded string) (bool, error) {
	p, err := decodeArgon2(encoded)
	if err != nil {
		return false, err
	}
	got := p.compute([]byte(password), uint32(len(p.hash)))
	return subtle.ConstantTimeCompare(got, p.hash) == 1, nil
}

// MustUpdate compares every parameter (variant, version, hash length, time,
// memory, parallelism) and the salt's length, as Django does.
func (a *Argon2) MustUpdate(encoded string) (bool, error) {
	p, err := decodeArgon2(encoded)
	if err != nil {
		return false, err
	}
	want := a.params()
	return p.variant != want.variant || p.version != want.version || uint32(len(p.hash)) != a.hashLen() ||
		p.t != want.t || p.m != want.m || p.p != want.p || saltTooShort(len(p.salt)), nil
}

// HardenRuntime does nothing (as in Django).
func (a *Argon2) HardenRuntime(password, encoded string) {}
