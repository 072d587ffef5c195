package hashers

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"testing"
)

// BenchmarkPBKDF2SHA256 is Django 5.2's default hash: 1,000,000 iterations.
// Compare with Python: hashlib.pbkdf2_hmac("sha256", b"correct horse",
// b"seasalt", 1000000) (docs/benchmarks.md).
func BenchmarkPBKDF2SHA256(b *testing.B) {
	h := &PBKDF2{Iterations: 1_000_000}
	for b.Loop() {
		if _, err := h.Encode("correct horse", "seasalt"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPBKDF2SHA256Stdlib is the same computation with crypto/pbkdf2,
// for reference.
func BenchmarkPBKDF2SHA256Stdlib(b *testing.B) {
	for b.Loop() {
		if _, err := pbkdf2.Key(sha256.New, "correct horse", []byte("seasalt"), 1_000_000, 32); err != nil {
			b.Fatal(err)
		}
	}
}
