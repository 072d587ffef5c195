package ttlcache

import (
	"sync"
	"time"
)

// Cache maps keys to values for a fixed time to live. It is safe for
// concurrent use. Values are stored and returned as they are: callers that
// hand out mutable values copy them.
type Cache[K comparable, V any] struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu  sync.Mutex
	m   map[K]entry[V]
	gen uint64
}

type entry[V any] struct {
	v   V
	exp time.Time
}

// New returns a cache whose entries live for ttl (> 0), holding at most max
// (> 0) entries; now is the clock (nil means time.Now).
func New[K comparable, V any](ttl time.Duration, max int, now func() time.Time) *Cache[K, V] {
	if ttl <= 0 || max <= 0 {
		panic("ttlcache: ttl and max must be positive")
	}
	if now == nil {
		now = time.Now
	}
	return &Cache[K, V]{ttl: ttl, max: max, now: now, m: make(map[K]entry[V])}
}

// Get returns the value under k if it was stored less than the time to live
// ago.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.m[k]
	if ok && !now.Before(e.exp) {
		delete(c.m, k)
		ok = false
	}
	c.mu.Unlock()
	if !ok {
		var zero V
		return zero, false
	}
	return e.v, true
}

// Gen returns the current generation; take it before loading a value that
// PutIfGen will store.
func (c *Cache[K, V]) Gen() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// PutIfGen stores v under k unless an invalidation happened since gen was
// taken. When the cache is full it drops an entry first: an expired one if a
// small arbitrary sample holds one, else an arbitrary one.
func (c *Cache[K, V]) PutIfGen(k K, v V, gen uint64) bool {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return false
	}
	if _, ok := c.m[k]; !ok && len(c.m) >= c.max {
		c.evictLocked(now)
	}
	c.m[k] = entry[V]{v: v, exp: now.Add(c.ttl)}
	return true
}

func (c *Cache[K, V]) evictLocked(now time.Time) {
	// Look at a few entries (map order is unspecified, so an arbitrary
	// sample) and drop the first expired one, else the first one seen: O(1)
	// whatever the size.
	n := 0
	var victim K
	for k, e := range c.m {
		if n == 0 {
			victim = k
		}
		if !now.Before(e.exp) {
			victim = k
			break
		}
		if n++; n == 16 {
			break
		}
	}
	delete(c.m, victim)
}

// Invalidate drops the entry under k and makes every load that started
// before it unable to store (see PutIfGen).
func (c *Cache[K, V]) Invalidate(k K) {
	c.mu.Lock()
	delete(c.m, k)
	c.gen++
	c.mu.Unlock()
}

// Flush drops every entry and, like Invalidate, makes every load that
// started before it unable to store.
func (c *Cache[K, V]) Flush() {
	c.mu.Lock()
	clear(c.m)
	c.gen++
	c.mu.Unlock()
}

// Len returns the number of stored entries, expired ones included.
func (c *Cache[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
