package hashers

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"fmt"
	"hash"
	"sync"
)

// derivePBKDF2 is PBKDF2-HMAC with a one-digest key: the specialised core
// below when its self-check passed, crypto/pbkdf2 otherwise.
func derivePBKDF2(newHash func() hash.Hash, password, salt []byte, iter int) ([]byte, error) {
	if coreTrusted() {
		return pbkdf2Key(newHash, password, salt, iter)
	}
	return pbkdf2.Key(newHash, string(password), salt, iter, newHash().Size())
}

// coreTrusted runs the self-check once, on first use: the core reads the
// chaining value from the hash's marshalled state, a layout Go documents as
// stable but does not promise, so it must agree with crypto/pbkdf2 before
// it is used. If a Go release changed the layout, every hash would go
// through crypto/pbkdf2 (about 25% slower, docs/benchmarks.md) instead of
// coming out wrong.
var coreTrusted = sync.OnceValue(func() bool { return selfCheck(pbkdf2Key) })

// selfCheck compares core with crypto/pbkdf2 for both hashes, a password
// shorter and one longer than a block, and iteration counts that exercise
// the first-block path and the loop.
func selfCheck(core func(newHash func() hash.Hash, password, salt []byte, iter int) ([]byte, error)) bool {
	salt := []byte("dmr-self-check-salt")
	for _, newHash := range []func() hash.Hash{sha256.New, sha1.New} {
		for _, pw := range []string{"correct horse battery", string(bytes.Repeat([]byte("long password "), 6))} {
			for _, iter := range []int{1, 2, 3, 100} {
				got, err := core(newHash, []byte(pw), salt, iter)
				if err != nil {
					return false
				}
				want, err := pbkdf2.Key(newHash, pw, salt, iter, newHash().Size())
				if err != nil || !bytes.Equal(got, want) {
					return false
				}
			}
		}
	}
	return true
}

// pbkdf2Key is PBKDF2-HMAC (RFC 8018) for SHA-1 and SHA-256, specialised for
// Django's case of a derived key no longer than one digest (dkLen = hLen).
//
// Each PBKDF2 iteration is two HMAC computations over a one-digest message. A
// textbook HMAC pays for four compression calls plus padding and state
// copies per iteration; here the key's inner and outer pad blocks are hashed
// once, their states are kept in marshalled form, and every iteration restores
// a state and hashes one pre-padded 64-byte block (message ‖ 0x80 ‖ zeros ‖
// bit length), which the digest compresses directly without buffering. The
// new chaining value is read back from the marshalled state, whose first
// words are exactly the digest output. Nothing is allocated per iteration.
//
// The marshalled layout read here (a 4-byte magic, the state words
// big-endian, the 64-byte buffer and the length) is what crypto/sha1 and
// crypto/sha256 write today; Go promises only that a state reads back, not
// its bytes. So derivePBKDF2 uses this core only after selfCheck found it
// equal to crypto/pbkdf2, and falls back to crypto/pbkdf2 otherwise.
func pbkdf2Key(newHash func() hash.Hash, password, salt []byte, iter int) ([]byte, error) {
	keys, err := pbkdf2Keys(newHash, password, salt, []int{iter})
	if err != nil {
		return nil, err
	}
	return keys[0], nil
}

// pbkdf2Keys returns the derived keys for several iteration counts (strictly
// increasing) in one pass: T_c is the XOR of U_1…U_c, so every shorter count's
// key is a prefix of the same computation. pbkdf2Key is its one-count case;
// the conformance tests use it to check Django's per-version vectors cheaply.
func pbkdf2Keys(newHash func() hash.Hash, password, salt []byte, iters []int) ([][]byte, error) {
	if len(iters) == 0 {
		return nil, nil
	}
	for i, it := range iters {
		if it < 1 || (i > 0 && it <= iters[i-1]) {
			return nil, fmt.Errorf("hashers: pbkdf2 iterations must be positive and increasing, got %v", iters)
		}
	}
	d := newHash()
	size, blockSize := d.Size(), d.BlockSize()
	if blockSize != 64 || (size != sha256.Size && size != sha1.Size) {
		return nil, fmt.Errorf("hashers: pbkdf2: unsupported hash")
	}
	m, ok1 := d.(encoding.BinaryUnmarshaler)
	a, ok2 := d.(encoding.BinaryAppender)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("hashers: pbkdf2: hash state cannot be saved")
	}

	// HMAC key: hashed when longer than a block, zero-padded otherwise.
	key := password
	if len(key) > blockSize {
		d.Reset()
		d.Write(key)
		key = d.Sum(nil)
	}
	var pad [64]byte
	padState := func(x byte) ([]byte, error) {
		for i := range pad {
			pad[i] = x
		}
		for i, b := range key {
			pad[i] ^= b
		}
		d.Reset()
		d.Write(pad[:])
		return a.AppendBinary(nil)
	}
	istate, err := padState(0x36)
	if err != nil {
		return nil, err
	}
	ostate, err := padState(0x5c)
	if err != nil {
		return nil, err
	}

	// U1 = HMAC(P, S ‖ INT(1)) goes through the general path.
	d.Reset()
	if err := m.UnmarshalBinary(istate); err != nil {
		return nil, err
	}
	d.Write(salt)
	d.Write([]byte{0, 0, 0, 1})
	u := d.Sum(make([]byte, 0, 64))
	if err := m.UnmarshalBinary(ostate); err != nil {
		return nil, err
	}
	d.Write(u)
	u = d.Sum(u[:0])

	t := make([]byte, size)
	copy(t, u)
	keys := make([][]byte, 0, len(iters))
	next := 0
	if iters[0] == 1 {
		keys = append(keys, append([]byte(nil), t...))
		next++
	}
	last := iters[len(iters)-1]

	// Later iterations: one block per HMAC half. block holds U (or the inner
	// digest) followed by SHA padding for a (64+size)-byte message.
	var block [64]byte
	block[size] = 0x80
	binary.BigEndian.PutUint64(block[56:], uint64(64+size)*8)
	st := make([]byte, 0, 256)
	const off = 4 // after the magic
	copy(block[:size], u)
	for n := 2; n <= last; n++ {
		if err := m.UnmarshalBinary(istate); err != nil {
			return nil, err
		}
		d.Write(block[:])
		if st, err = a.AppendBinary(st[:0]); err != nil {
			return nil, err
		}
		copy(block[:size], st[off:off+size])
		if err := m.UnmarshalBinary(ostate); err != nil {
			return nil, err
		}
		d.Write(block[:])
		if st, err = a.AppendBinary(st[:0]); err != nil {
			return nil, err
		}
		copy(block[:size], st[off:off+size])
		for i := range size {
			t[i] ^= block[i]
		}
		if n == iters[next] {
			keys = append(keys, append([]byte(nil), t...))
			next++
		}
	}
	return keys, nil
}
