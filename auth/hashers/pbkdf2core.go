package hashers

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"fmt"
	"hash"
)

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
// The marshalled layout is the one crypto/sha1 and crypto/sha256 guarantee
// to read back across Go releases: a 4-byte magic, the state words big-endian,
// the 64-byte buffer and the length. The conformance vectors check it.
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
