package hashers_test

import (
	"context"
	"fmt"

	"github.com/dmr-go/dmr/auth/hashers"
)

func ExampleHashers_Check() {
	// Share the database with a Django 4.2 project: its defaults, so that
	// neither side rewrites the other's hashes.
	h := &hashers.Hashers{List: hashers.DjangoDefaults(hashers.Django42)}
	ctx := context.Background()

	// A hash written by Django 3.2 (260,000 iterations, a 7-character salt).
	stored := "pbkdf2_sha256$260000$seasalt$htpQDYdyy5MZ7bxS8mQJ0sjrWSVIvZJLEHJYe2DWsYQ="
	ok, mustUpdate, err := h.Check(ctx, "correct horse", stored)
	fmt.Println(ok, mustUpdate, err)
	// Output: true true <nil>
}

func ExampleHashers_Make() {
	// A low iteration count keeps the example fast; real lists come from
	// DjangoDefaults.
	h := &hashers.Hashers{List: []hashers.Hasher{&hashers.PBKDF2{Iterations: 1000}}}
	enc, err := h.Make(context.Background(), "correct horse")
	if err != nil {
		panic(err)
	}
	fmt.Println(enc[:len("pbkdf2_sha256$1000$")], len(enc))
	// Output: pbkdf2_sha256$1000$ 86
}

func ExampleHasher_Encode() {
	enc, _ := (&hashers.PBKDF2{Iterations: 1000}).Encode("correct horse", "seasalt")
	fmt.Println(enc)
	// Output: pbkdf2_sha256$1000$seasalt$mQnueSakb748zqBAC1tmWVZsZbi2zPGZarEzTGdfmso=
}

func ExampleIdentify() {
	fmt.Println(hashers.Identify("argon2$argon2id$v=19$m=102400,t=2,p=8$c2Vhc2FsdHNlYXNhbHQ$z3f2TNLAyqveIZTVgR9LqA"))
	fmt.Println(hashers.Identify("3cb4e732631f47e6eb961f34554b7cde"))
	// Output:
	// argon2
	// unsalted_md5
}

func ExampleMakeUnusable() {
	u := hashers.MakeUnusable()
	fmt.Println(len(u), hashers.IsUsable(u))
	// Output: 41 false
}

func ExampleDjangoDefaults() {
	for _, h := range hashers.DjangoDefaults(hashers.Django51) {
		fmt.Print(h.Algorithm(), " ")
	}
	fmt.Println(hashers.Django51.PBKDF2Iterations())
	// Output: pbkdf2_sha256 pbkdf2_sha1 argon2 bcrypt_sha256 scrypt 870000
}

func ExampleHashers_Stats() {
	h := &hashers.Hashers{MaxConcurrent: 4}
	s := h.Stats()
	fmt.Println(s.Queued, s.Running, s.Capacity)
	// Output: 0 0 4
}
