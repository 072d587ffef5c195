package hashers

import (
	"fmt"
	"strings"
)

// Version is a Django release whose password-hashing defaults a hasher list
// follows (see [DjangoDefaults]). Hashes written with the exact defaults of
// the Django version that shares the database are not rewritten by Django on
// the next login.
type Version int

// Django releases with their own hashing defaults.
const (
	Django32 Version = 32
	Django40 Version = 40
	Django41 Version = 41
	Django42 Version = 42
	Django50 Version = 50
	Django51 Version = 51
	Django52 Version = 52
	Django60 Version = 60
	Django61 Version = 61
)

var pbkdf2Iterations = map[Version]int{
	Django32: 260_000,
	Django40: 320_000,
	Django41: 390_000,
	Django42: 600_000,
	Django50: 720_000,
	Django51: 870_000,
	Django52: 1_000_000,
	Django60: 1_200_000,
	Django61: 1_500_000,
}

// ParseVersion parses "5.2" (or "5.2.18": the patch level is ignored).
func ParseVersion(s string) (Version, error) {
	parts := strings.SplitN(s, ".", 3)
	if len(parts) >= 2 && len(parts[0]) == 1 && len(parts[1]) == 1 {
		v := Version(int(parts[0][0]-'0')*10 + int(parts[1][0]-'0'))
		if _, ok := pbkdf2Iterations[v]; ok {
			return v, nil
		}
	}
	return 0, fmt.Errorf("hashers: unsupported Django version %q (want one of 3.2, 4.0, 4.1, 4.2, 5.0, 5.1, 5.2, 6.0, 6.1)", s)
}

// String returns "5.2".
func (v Version) String() string { return fmt.Sprintf("%d.%d", int(v)/10, int(v)%10) }

// Valid reports whether v is one of the known releases.
func (v Version) Valid() bool { _, ok := pbkdf2Iterations[v]; return ok }

// PBKDF2Iterations returns v's default PBKDF2 iteration count (for both
// pbkdf2_sha256 and pbkdf2_sha1), or 0 for an unknown version.
func (v Version) PBKDF2Iterations() int { return pbkdf2Iterations[v] }

// ScryptParallelism returns v's default scrypt p: 1 for 4.0–5.0, 5 since
// 5.1, 0 for 3.2 (which has no scrypt hasher).
func (v Version) ScryptParallelism() int {
	switch {
	case v < Django40:
		return 0
	case v < Django51:
		return 1
	}
	return 5
}

// DjangoDefaults returns Django v's default PASSWORD_HASHERS with v's
// parameters: PBKDF2 (SHA-256, preferred), PBKDF2 (SHA-1), Argon2, BCrypt
// with SHA-256 and, from 4.0, scrypt. It panics on an unknown version, which
// is a programming error (use ParseVersion for input).
//
// The Argon2 hasher writes 32-byte hashes (argon2-cffi ≥ 21.2). To share a
// database with a Django running argon2-cffi 21.1 (Debian bookworm), set its
// HashLen to 16 — it only matters when Argon2 is made the preferred hasher.
func DjangoDefaults(v Version) []Hasher {
	it, ok := pbkdf2Iterations[v]
	if !ok {
		panic(fmt.Sprintf("hashers: unknown Django version %d", int(v)))
	}
	list := []Hasher{
		&PBKDF2{Iterations: it},
		&PBKDF2SHA1{Iterations: it},
		&Argon2{},
		&BCryptSHA256{},
	}
	if p := v.ScryptParallelism(); p > 0 {
		list = append(list, &Scrypt{P: p})
	}
	return list
}
