package loginthrottle

import (
	"context"
	"sync"
	"time"
)

// Store keeps failure counters that expire by themselves. Implementations
// must be safe for concurrent use, by several processes when they share
// the backing store.
type Store interface {
	// Add adds delta (+1 or -1) to the counter under key and returns the
	// new count. A positive delta makes the counter expire ttl after this
	// call (every failure restarts it); an expired counter starts again
	// from zero. A negative delta leaves the expiry alone, never takes the
	// count below zero and does nothing to an absent or expired counter.
	Add(ctx context.Context, key string, delta int64, ttl time.Duration) (int64, error)
	// Count returns the failures counted under key and how long until
	// they expire; 0 and 0 when there are none.
	Count(ctx context.Context, key string) (n int64, ttl time.Duration, err error)
	// Reset forgets the counter under key.
	Reset(ctx context.Context, key string) error
}

// MemoryOptions configures a [MemoryStore].
type MemoryOptions struct {
	// Now is the clock; nil means time.Now. Tests inject their own.
	Now func() time.Time
}

// MemoryStore keeps counters in this process: for a single instance, or
// tests. Expired counters are dropped as new failures arrive.
type MemoryStore struct {
	now  func() time.Time
	mu   sync.Mutex
	m    map[string]memEntry
	adds int
}

type memEntry struct {
	n       int64
	expires time.Time
}

// sweepEvery is how many Adds pass between sweeps of expired counters.
const sweepEvery = 1024

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore(o MemoryOptions) *MemoryStore {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &MemoryStore{now: o.Now, m: map[string]memEntry{}}
}

// Add implements Store.
func (s *MemoryStore) Add(ctx context.Context, key string, delta int64, ttl time.Duration) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.m[key]
	if !now.Before(e.expires) {
		e.n = 0
	}
	if delta < 0 {
		if e.n == 0 {
			return 0, nil
		}
		e.n = max(e.n+delta, 0)
		s.m[key] = e
		return e.n, nil
	}
	e.n += delta
	e.expires = now.Add(ttl)
	s.m[key] = e
	if s.adds++; s.adds >= sweepEvery {
		s.adds = 0
		for k, e := range s.m {
			if !now.Before(e.expires) {
				delete(s.m, k)
			}
		}
	}
	return e.n, nil
}

// Count implements Store.
func (s *MemoryStore) Count(ctx context.Context, key string) (int64, time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	now := s.now()
	s.mu.Lock()
	e, ok := s.m[key]
	s.mu.Unlock()
	if !ok || e.n <= 0 || !now.Before(e.expires) {
		return 0, 0, nil
	}
	return e.n, e.expires.Sub(now), nil
}

// Reset implements Store.
func (s *MemoryStore) Reset(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.m, key)
	s.mu.Unlock()
	return nil
}

// Len returns how many counters are held, expired ones not yet swept
// included.
func (s *MemoryStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}
