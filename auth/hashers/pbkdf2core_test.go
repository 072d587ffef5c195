package hashers

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"hash"
	"testing"
)

// TestPBKDF2SelfCheck checks that the self-check trusts the real core on
// this Go release and refuses cores that disagree with crypto/pbkdf2 (a
// changed state layout would look like these).
func TestPBKDF2SelfCheck(t *testing.T) {
	if !selfCheck(pbkdf2Key) {
		t.Fatal("the specialised core disagrees with crypto/pbkdf2: hashes go through the slower standard library")
	}
	if !coreTrusted() {
		t.Fatal("coreTrusted is false although selfCheck passes")
	}
	for name, core := range map[string]func(func() hash.Hash, []byte, []byte, int) ([]byte, error){
		"wrong after the first block": func(h func() hash.Hash, pw, salt []byte, iter int) ([]byte, error) {
			k, err := pbkdf2Key(h, pw, salt, iter)
			if iter > 1 {
				k[0] ^= 1
			}
			return k, err
		},
		"fails": func(h func() hash.Hash, pw, salt []byte, iter int) ([]byte, error) {
			return pbkdf2Key(func() hash.Hash { return struct{ hash.Hash }{h()} }, pw, salt, iter)
		},
		"ignores long passwords": func(h func() hash.Hash, pw, salt []byte, iter int) ([]byte, error) {
			return pbkdf2Key(h, pw[:min(len(pw), 64)], salt, iter)
		},
	} {
		if selfCheck(core) {
			t.Errorf("%s: the self-check trusted a broken core", name)
		}
	}
	// The fallback computes the same keys.
	want, err := pbkdf2.Key(sha256.New, "pw", []byte("salt"), 1000, 32)
	if err != nil {
		t.Fatal(err)
	}
	got, err := derivePBKDF2(sha256.New, []byte("pw"), []byte("salt"), 1000)
	if err != nil || string(got) != string(want) {
		t.Fatalf("derivePBKDF2 = %x, %v; want %x", got, err, want)
	}
}
