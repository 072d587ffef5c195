package hashers

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"strconv"
	"testing"
)

// Vectors produced by real Django 3.2.25, 4.2.28, 5.2.18 and 6.1.1 (identical
// across versions unless noted): password "correct horse", salt "seasalt".

// djangoPBKDF2 holds Django's pbkdf2_sha256 hashes for each version's default
// iteration count, plus 1 and 1000.
var djangoPBKDF2 = []struct {
	iter int
	want string
}{
	{1, "pbkdf2_sha256$1$seasalt$PlTOJ9FOrJT8jStMtfSdF0DuEKRYssXx5nkDdoxkYVw="},
	{1000, "pbkdf2_sha256$1000$seasalt$mQnueSakb748zqBAC1tmWVZsZbi2zPGZarEzTGdfmso="},
	{260000, "pbkdf2_sha256$260000$seasalt$htpQDYdyy5MZ7bxS8mQJ0sjrWSVIvZJLEHJYe2DWsYQ="},
	{320000, "pbkdf2_sha256$320000$seasalt$g12TpzxIAj0y0y6IFSOqo4GUB0gpfaAVhV8TAR1FU+w="},
	{390000, "pbkdf2_sha256$390000$seasalt$z1xhzdNeaxpP9TD2jo1fyTn0yVzeYUS/JMGXp8cdybM="},
	{600000, "pbkdf2_sha256$600000$seasalt$lh7b/ag+/1JH3mHfHjquWUZ1L4hZjE4GVtz8c+SlN7A="},
	{720000, "pbkdf2_sha256$720000$seasalt$FaIzshmIzw0hjXMro3gpiXiW+k5BtxwkHfkq/Z44OeI="},
	{870000, "pbkdf2_sha256$870000$seasalt$uQhI7r5vav+Ep/WY4fNrUCzWxwQh3X02HLqZnMgoEUM="},
	{1000000, "pbkdf2_sha256$1000000$seasalt$eDeT2Bk71DYBhUNxsvTfOL61wQ+l2yaHzCst8hDsfHQ="},
	{1200000, "pbkdf2_sha256$1200000$seasalt$jTBAo2MNtRSqD8PRmgNykd4LVAWvSUD1YzgVFS9qoBA="},
	{1500000, "pbkdf2_sha256$1500000$seasalt$GruvzyLkzYkmMSHNVdhgELzSybzNbBHexxQXc5qQ3Xc="},
}

// checkPBKDF2Pass checks several iteration counts of one password/salt in a
// single PBKDF2 pass (T_c is a running XOR, so each count is a prefix of the
// longest one), through the same core as Encode.
func checkPBKDF2Pass(t *testing.T, alg string, h func() hash.Hash, pw, salt string, iters []int, want []string) {
	t.Helper()
	keys, err := pbkdf2Keys(h, []byte(pw), []byte(salt), iters)
	if err != nil {
		t.Fatal(err)
	}
	for i, it := range iters {
		got := alg + "$" + strconv.Itoa(it) + "$" + salt + "$" + base64.StdEncoding.EncodeToString(keys[i])
		if got != want[i] {
			t.Errorf("%s %d iterations:\n got %s\nwant %s", alg, it, got, want[i])
		}
	}
}

// TestDjangoPBKDF2Vectors is the conformance test for every Django version's
// default iteration count (up to 1,500,000).
func TestDjangoPBKDF2Vectors(t *testing.T) {
	t.Run("correct horse", func(t *testing.T) {
		t.Parallel()
		var iters []int
		var want []string
		for _, v := range djangoPBKDF2 {
			iters = append(iters, v.iter)
			want = append(want, v.want)
		}
		checkPBKDF2Pass(t, "pbkdf2_sha256", sha256.New, "correct horse", "seasalt", iters, want)
	})
	// Django's own test suite: 'lètmein', salt 'seasalt2'.
	t.Run("lètmein sha256", func(t *testing.T) {
		t.Parallel()
		checkPBKDF2Pass(t, "pbkdf2_sha256", sha256.New, "lètmein", "seasalt2",
			[]int{600000, 1000000, 1200000, 1500000}, []string{
				"pbkdf2_sha256$600000$seasalt2$OSllgFdJjYQjb0RfMzrx8u0XYl4Fkt+wKpI1yq4lZlo=",
				"pbkdf2_sha256$1000000$seasalt2$egbhFghgsJVDo5Tpg/k9ZnfbySKQ1UQnBYXhR97a7sk=",
				"pbkdf2_sha256$1200000$seasalt2$hPlIUc6GqWsws6cZV1K8OuOARm1UrbZ3vLGFoHkH0ZI=",
				"pbkdf2_sha256$1500000$seasalt2$xWKIh704updzhxL+vMfPbhVsHljK62FyE988AtcoHU4=",
			})
	})
	t.Run("lètmein sha1", func(t *testing.T) {
		t.Parallel()
		checkPBKDF2Pass(t, "pbkdf2_sha1", sha1.New, "lètmein", "seasalt2",
			[]int{600000}, []string{"pbkdf2_sha1$600000$seasalt2$2CLsaL1MZhq6JOG6QOHtVbiopHE="})
	})
}

// TestDjango52DefaultEndToEnd checks the 5.2 default hash through the public
// API: the zero Hashers verifies it, and asks for an update (7-char salt).
func TestDjango52DefaultEndToEnd(t *testing.T) {
	var h Hashers
	ok, must, err := h.Check(context.Background(), "correct horse", djangoPBKDF2[8].want)
	if err != nil || !ok || !must {
		t.Fatalf("Check = %v, %v, %v; want true, true (short salt), nil", ok, must, err)
	}
}

// TestHasherVectors encodes with fixed salts through each hasher's Encode and
// verifies the result.
func TestHasherVectors(t *testing.T) {
	tests := []struct {
		name     string
		h        Hasher
		pw, salt string
		want     string
	}{
		{"pbkdf2 1", &PBKDF2{Iterations: 1}, "correct horse", "seasalt", djangoPBKDF2[0].want},
		{"pbkdf2 1000", &PBKDF2{Iterations: 1000}, "correct horse", "seasalt", djangoPBKDF2[1].want},
		{"pbkdf2 non-ascii", &PBKDF2{Iterations: 1000}, "pässwörd", "abcdefghijklmnopqrstuv",
			"pbkdf2_sha256$1000$abcdefghijklmnopqrstuv$XlUuNstVt/qmnq7gJ253cDpU43aOa56U20+/5Lf4lq0="},
		{"pbkdf2_sha1 1000", &PBKDF2SHA1{Iterations: 1000}, "correct horse", "seasalt",
			"pbkdf2_sha1$1000$seasalt$iQvkNOF1wEL4Khh8eogJ8rUhipM="},
		{"md5", MD5{}, "correct horse", "seasalt", "md5$seasalt$b614725f4cc025a51ab6a354d12890ab"},
		{"sha1", SHA1{}, "correct horse", "seasalt", "sha1$seasalt$55eef163bf2e349b9946e3183eef620dde0247f5"},
		{"unsalted_md5", UnsaltedMD5{}, "correct horse", "", "3cb4e732631f47e6eb961f34554b7cde"},
		{"unsalted_sha1", UnsaltedSHA1{}, "correct horse", "", "sha1$$2f9e53523b62abc141a2b4d6019d23cba835dbd0"},
		{"scrypt p=1", &Scrypt{P: 1}, "correct horse", "seasalt",
			"scrypt$16384$seasalt$8$1$WHJS3/wrzhi2rYiZ44/lAqpycQxKRPVfHXMQFxWIaII7u1p+2cO61B97UL7OFL5ZSWsnhfwdgsItJJ6HcrHG4Q=="},
		{"scrypt p=5", &Scrypt{}, "correct horse", "seasalt",
			"scrypt$16384$seasalt$8$5$nXachnDoZ26UFUF1o3PD3FjYfKq/mD4nZm22d5L0rp+Bi3DZTjkayk+fTW77FlT+2IelThLoihBYgWjZHfwh3Q=="},
		{"bcrypt_sha256", &BCryptSHA256{}, "correct horse", "$2b$12$abcdefghijklmnopqrstuu",
			"bcrypt_sha256$$2b$12$abcdefghijklmnopqrstuurByPinJWI/V/0c5apkEb2KJQv7f.gZO"},
		{"bcrypt", &BCrypt{Rounds: 4}, "correct horse", "$2b$04$abcdefghijklmnopqrstuu",
			"bcrypt$$2b$04$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e"},
		{"argon2 hash_len 16", &Argon2{HashLen: 16}, "correct horse", "seasaltseasalt",
			"argon2$argon2id$v=19$m=102400,t=2,p=8$c2Vhc2FsdHNlYXNhbHQ$z3f2TNLAyqveIZTVgR9LqA"},
		{"argon2 hash_len 32", &Argon2{}, "correct horse", "seasaltseasalt",
			"argon2$argon2id$v=19$m=102400,t=2,p=8$c2Vhc2FsdHNlYXNhbHQ$24X5StCI0X7nx5XDsLrP4f4PvCl9FN9AHQw4KjbBoo8"},
		{"argon2 22-char salt", &Argon2{HashLen: 16}, "correct horse", "abcdefghijklmnopqrstuv",
			"argon2$argon2id$v=19$m=102400,t=2,p=8$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$KBSkNe0lG4oxdJQBt0leGw"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// These take 8–14 s under the race detector, which slows
			// blowfish and scrypt's pure-Go loops tenfold.
			heavy := tt.name == "bcrypt_sha256" || tt.name == "scrypt p=5"
			if heavy && raceEnabled {
				t.Skip("too slow under -race (the same code runs here with a cheaper vector); " +
					"run without -race: go test -run TestHasherVectors ./auth/hashers")
			}
			t.Parallel()
			got, err := tt.h.Encode(tt.pw, tt.salt)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("Encode:\n got %s\nwant %s", got, tt.want)
			}
			if a := Identify(tt.want); a != tt.h.Algorithm() {
				t.Errorf("Identify = %q, want %q", a, tt.h.Algorithm())
			}
			ok, err := tt.h.Verify(tt.pw, tt.want)
			if err != nil || !ok {
				t.Fatalf("Verify(right password) = %v, %v", ok, err)
			}
			ok, err = tt.h.Verify(tt.pw+"x", tt.want)
			if err != nil || ok {
				t.Fatalf("Verify(wrong password) = %v, %v", ok, err)
			}
		})
	}
}

// TestArgon2OtherParameters verifies hashes made by argon2-cffi 21.1 with
// other parameters: argon2i (Django < 3.2 wrote it) and a 24-byte hash.
// Both verify; both must be updated to Django's current parameters.
func TestArgon2OtherParameters(t *testing.T) {
	h := &Hashers{List: []Hasher{&Argon2{}}}
	for _, enc := range []string{
		"argon2$argon2i$v=19$m=512,t=2,p=2$c2Vhc2FsdHNlYXNhbHQ$5F8N6pOcNFnKDI/TCALSEA",
		"argon2$argon2id$v=19$m=64,t=1,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$viHermAIuaGnSuXMosYtqPZT/08Ib4Jy",
	} {
		ok, must, err := h.Check(context.Background(), "correct horse", enc)
		if !ok || !must || err != nil {
			t.Errorf("Check(%s) = %v, %v, %v; want true, true, nil", enc, ok, must, err)
		}
		if ok, _ := (&Argon2{}).Verify("correct horsf", enc); ok {
			t.Errorf("wrong password verified against %s", enc)
		}
	}
}
