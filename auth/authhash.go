package auth

import (
	"encoding/hex"
	"hash/maphash"
	"sync/atomic"
)

// authHashMemo remembers the session auth hash (under the current secret
// key) of the encoded passwords seen last, so a request whose user came from
// the cache compares 64 bytes instead of computing an HMAC-SHA256. It is
// indexed by a hash of the encoded password; a collision only replaces the
// slot and costs one recomputation later. It holds no more than the user
// cache already does (encoded passwords), in at most memoSlots entries.
type authHashMemo struct {
	seed  maphash.Seed
	slots [memoSlots]atomic.Pointer[authHashEntry]
}

const memoSlots = 256

type authHashEntry struct {
	password string
	hex      [64]byte
}

// sessionAuthHex returns the session auth hash of encodedPassword as the 64
// lower-case hex digits Django stores in _auth_user_hash.
func (a *Auth) sessionAuthHex(encodedPassword string) *[64]byte {
	m := &a.hashMemo
	slot := &m.slots[maphash.String(m.seed, encodedPassword)%memoSlots]
	if e := slot.Load(); e != nil && e.password == encodedPassword {
		return &e.hex
	}
	e := &authHashEntry{password: encodedPassword}
	var buf [32]byte
	hex.Encode(e.hex[:], a.hashKey.AppendSum(buf[:0], []byte(encodedPassword)))
	slot.Store(e)
	return &e.hex
}

// equalHex reports in constant time (for a given length) whether stored is
// the hex text sum.
func equalHex(stored string, sum *[64]byte) bool {
	if len(stored) != len(sum) {
		return false
	}
	var v byte
	for i := range sum {
		v |= stored[i] ^ sum[i]
	}
	return v == 0
}
