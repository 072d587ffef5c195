package throttle

import (
	"context"
	"sync"
	"time"
)

// DefaultMaxKeys bounds a [MemoryStore] when MemoryOptions.MaxKeys is zero.
const DefaultMaxKeys = 100_000

// memShards is the number of independently locked parts of a MemoryStore.
const memShards = 64

// evictSample is how many entries a full shard looks at to pick one to drop.
const evictSample = 8

// MemoryOptions configures a [MemoryStore].
type MemoryOptions struct {
	// MaxKeys bounds the keys held (spread over shards, so each part holds
	// at most MaxKeys/64, at least 1). When a part is full, a new key drops
	// an expired entry or, failing that, the entry expiring soonest among a
	// few: memory stays bounded whatever number of clients or spoofed
	// addresses a flood uses, at the price of forgetting some counts while
	// it lasts. Zero means DefaultMaxKeys.
	MaxKeys int
	// Now is the clock; nil means time.Now. Tests inject their own.
	Now func() time.Time
}

// MemoryStore counts in this process: for one instance, or tests. It is
// sharded by key, and takes a decision without allocating.
type MemoryStore struct {
	now      func() time.Time
	perShard int
	shards   [memShards]memShard
}

type memShard struct {
	mu sync.Mutex
	m  map[Key]memEntry
	_  [40]byte // keep shards on separate cache lines
}

// memEntry is a fixed window's count and end, or a token bucket's
// theoretical arrival time (t; n unused). Times are Unix nanoseconds.
type memEntry struct {
	n int64
	t int64
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore(o MemoryOptions) *MemoryStore {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxKeys <= 0 {
		o.MaxKeys = DefaultMaxKeys
	}
	s := &MemoryStore{now: o.Now, perShard: max(o.MaxKeys/memShards, 1)}
	for i := range s.shards {
		s.shards[i].m = make(map[Key]memEntry)
	}
	return s
}

// Take implements Store.
func (s *MemoryStore) Take(ctx context.Context, key Key, rule Rule) (Decision, error) {
	now := s.now().UnixNano()
	sh := &s.shards[hashKey(key)%memShards]
	sh.mu.Lock()
	e, ok := sh.m[key]
	var d Decision
	if rule.Algorithm == TokenBucket {
		d = gcra(&e, now, rule)
	} else {
		d = fixedWindow(&e, now, rule)
	}
	if !ok && len(sh.m) >= s.perShard {
		sh.evict(now)
	}
	sh.m[key] = e
	sh.mu.Unlock()
	return d, nil
}

// evict drops one entry of a full shard: an expired one if the sample has
// one, else the one expiring soonest. Map iteration starts at a random
// place, so the sample differs from call to call.
func (sh *memShard) evict(now int64) {
	var victim Key
	var soonest int64
	i := 0
	for k, e := range sh.m {
		if e.t <= now {
			delete(sh.m, k)
			return
		}
		if i == 0 || e.t < soonest {
			victim, soonest = k, e.t
		}
		if i++; i == evictSample {
			break
		}
	}
	delete(sh.m, victim)
}

func fixedWindow(e *memEntry, now int64, r Rule) Decision {
	if e.t <= now {
		e.n, e.t = 0, now+int64(r.Period)
	}
	if e.n <= r.Limit {
		e.n++ // counts stop one past the limit
	}
	d := Decision{Quota: r.Limit, Reset: time.Duration(e.t - now)}
	if e.n <= r.Limit {
		d.Allowed, d.Remaining = true, r.Limit-e.n
	} else {
		d.RetryAfter = d.Reset
	}
	return d
}

// gcra is the token bucket as the generic cell rate algorithm: e.t is the
// theoretical arrival time of the next request; a request is allowed when
// it is no earlier than that time minus the burst's tolerance.
func gcra(e *memEntry, now int64, r Rule) Decision {
	burst := r.quota()
	if burst <= 0 { // a zero limit refuses everything
		return Decision{Reset: r.Period, RetryAfter: r.Period}
	}
	iv := int64(r.interval(time.Nanosecond))
	tat := max(e.t, now)
	next := tat + iv
	allowAt := next - iv*burst
	d := Decision{Quota: burst}
	if now < allowAt {
		d.Reset = time.Duration(tat - now)
		d.RetryAfter = time.Duration(allowAt - now)
		return d
	}
	e.t = next
	d.Allowed = true
	d.Remaining = (now - allowAt) / iv
	d.Reset = time.Duration(next - now)
	return d
}

// hashKey is FNV-1a over the key's parts; it only spreads keys over
// shards.
func hashKey(k Key) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	for i := 0; i < len(k.Scope); i++ {
		h = (h ^ uint64(k.Scope[i])) * prime
	}
	b := k.IP.As16()
	for _, c := range b {
		h = (h ^ uint64(c)) * prime
	}
	for i := 0; i < len(k.ID); i++ {
		h = (h ^ uint64(k.ID[i])) * prime
	}
	return h
}

// Len returns how many keys are held, expired ones not yet dropped
// included.
func (s *MemoryStore) Len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}
