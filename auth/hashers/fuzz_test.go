package hashers

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// cheapHashers is every hasher with parameters that keep fuzzing fast.
func cheapHashers() []Hasher {
	return []Hasher{&PBKDF2{Iterations: 3}, &PBKDF2SHA1{Iterations: 3}, &Argon2{Memory: 8, Time: 1, Parallelism: 1},
		&BCryptSHA256{Rounds: 4}, &BCrypt{Rounds: 4}, &Scrypt{N: 16, R: 1, P: 1},
		MD5{}, SHA1{}, UnsaltedMD5{}, UnsaltedSHA1{}}
}

// cheapToVerify reports whether verifying enc costs little, judged from the
// parameters its parser reads (the fuzzer must not wait on a hash that
// names a billion iterations).
func cheapToVerify(enc string) bool {
	switch Identify(enc) {
	case "pbkdf2_sha256":
		d, err := pbkdf2Spec{alg: "pbkdf2_sha256"}.decode(enc)
		return err != nil || d.iterations <= 2000
	case "pbkdf2_sha1":
		d, err := pbkdf2Spec{alg: "pbkdf2_sha1"}.decode(enc)
		return err != nil || d.iterations <= 2000
	case "argon2":
		p, err := decodeArgon2(enc)
		return err != nil || (p.m <= 256 && p.t <= 4 && len(p.hash) <= 1024)
	case "bcrypt", "bcrypt_sha256":
		_, data, _ := strings.Cut(enc, "$")
		st, err := parseBcryptSetting(data)
		return err != nil || st.cost <= 6
	case "scrypt":
		d, err := decodeScrypt(enc)
		return err != nil || d.n*d.r*d.p <= 1<<12
	}
	return true
}

// FuzzParse feeds arbitrary encoded hashes to every parser and, when cheap,
// to Check: nothing may panic, and errors must be the documented ones.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"pbkdf2_sha256$1000$seasalt$mQnueSakb748zqBAC1tmWVZsZbi2zPGZarEzTGdfmso=",
		"pbkdf2_sha1$1000$seasalt$iQvkNOF1wEL4Khh8eogJ8rUhipM=",
		"argon2$argon2id$v=19$m=8,t=1,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$qgvvkBGLAEu7c6iph9KBPVe8CcbDn1nRdiPmbEiFHKg",
		"argon2$argon2i$v=19$m=16,t=2,p=2$c2Vhc2FsdHNlYXNhbHQ$z3f2TNLAyqveIZTVgR9LqA",
		"bcrypt$$2b$04$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e",
		"bcrypt_sha256$$2a$04$abcdefghijklmnopqrstuurByPinJWI/V/0c5apkEb2KJQv7f.gZO",
		"scrypt$16$seasalt$1$1$WHJS3/wrzhi2rYiZ44/lAqpycQxKRPVfHXMQFxWIaII7u1p+2cO61B97UL7OFL5ZSWsnhfwdgsItJJ6HcrHG4Q==",
		"md5$seasalt$b614725f4cc025a51ab6a354d12890ab",
		"sha1$seasalt$55eef163bf2e349b9946e3183eef620dde0247f5",
		"3cb4e732631f47e6eb961f34554b7cde", "md5$$3cb4e732631f47e6eb961f34554b7cde",
		"sha1$$2f9e53523b62abc141a2b4d6019d23cba835dbd0",
		"!abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN", "", "$", "$$$$$", "pbkdf2_sha256$0$$",
		"scrypt$1099511627776$s$8$1$x", "argon2$argon2id$v=19$m=4294967295,t=1,p=255$c2FsdHNhbHQ$aGFzaA",
	} {
		f.Add(s, "correct horse")
	}
	h := &Hashers{List: cheapHashers()}
	f.Fuzz(func(t *testing.T, enc, pw string) {
		name := Identify(enc)
		if name != "" && !strings.HasPrefix(enc, name) && name != "unsalted_md5" && name != "unsalted_sha1" {
			t.Fatalf("Identify(%q) = %q", enc, name)
		}
		hasher, err := h.Lookup(enc)
		if err != nil {
			if !errors.Is(err, ErrUnknownAlgorithm) {
				t.Fatalf("Lookup: %v", err)
			}
			return
		}
		if _, err := hasher.MustUpdate(enc); err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("MustUpdate(%q): %v", enc, err)
		}
		if !cheapToVerify(enc) {
			return
		}
		if _, _, err := h.Check(context.Background(), pw, enc); err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("Check(%q): %v", enc, err)
		}
	})
}

// FuzzRoundTrip checks that every hasher verifies what it encodes, rejects a
// different password, and does not ask to update its own fresh hash.
func FuzzRoundTrip(f *testing.F) {
	f.Add("correct horse", "seasaltseasalt")
	f.Add("pässwörd", "abcdefghijklmnopqrstuv")
	f.Add("", "x")
	f.Fuzz(func(t *testing.T, pw, salt string) {
		for _, hasher := range cheapHashers() {
			s := salt
			switch hasher.(type) {
			case *BCrypt, *BCryptSHA256, UnsaltedMD5, UnsaltedSHA1:
				s, _ = hasher.Salt()
			}
			enc, err := hasher.Encode(pw, s)
			if err != nil {
				if s == "" || strings.Contains(s, "$") || len(s) < 8 || len(pw) > 72 {
					continue // documented refusals
				}
				t.Fatalf("%s.Encode(%q, %q): %v", hasher.Algorithm(), pw, s, err)
			}
			if Identify(enc) != hasher.Algorithm() {
				continue // a salt that makes the hash look like another (e.g. 32 chars)
			}
			if ok, err := hasher.Verify(pw, enc); !ok || err != nil {
				t.Fatalf("%s: Verify(own hash %q) = %v, %v", hasher.Algorithm(), enc, ok, err)
			}
			// (Not a NUL suffix: HMAC zero-pads short keys, so PBKDF2 cannot
			// tell "pw" from "pw\x00", in Django too; and bcrypt ignores
			// what follows byte 72.)
			_, raw := hasher.(*BCrypt)
			if ok, _ := hasher.Verify(pw+"x", enc); ok && !(raw && len(pw) >= 72) {
				t.Fatalf("%s: a different password verified", hasher.Algorithm())
			}
			must, err := hasher.MustUpdate(enc)
			if err != nil || (must && !mustUpdateSalt(s) && !strings.HasPrefix(hasher.Algorithm(), "argon2")) {
				t.Fatalf("%s: MustUpdate(own hash) = %v, %v", hasher.Algorithm(), must, err)
			}
		}
	})
}
