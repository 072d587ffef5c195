package boundedmap

import (
	"hash/maphash"
	"sync"
)

// Map maps strings to values of type V, at most about max entries (see the
// package documentation). The zero Map is not usable; call New.
type Map[V any] struct {
	seed   maphash.Seed
	max    int // per shard
	shards []shard[V]
}

type shard[V any] struct {
	mu sync.Mutex
	m  map[string]V
}

// New returns a Map of at most maxEntries entries (at least one) over
// shards locked parts (at least one).
func New[V any](maxEntries, shards int) *Map[V] {
	shards = max(1, shards)
	m := &Map[V]{seed: maphash.MakeSeed(), max: max(1, (maxEntries+shards-1)/shards), shards: make([]shard[V], shards)}
	for i := range m.shards {
		m.shards[i].m = make(map[string]V, min(m.max, 64))
	}
	return m
}

func (m *Map[V]) shard(k string) *shard[V] {
	if len(m.shards) == 1 {
		return &m.shards[0]
	}
	return &m.shards[maphash.String(m.seed, k)%uint64(len(m.shards))]
}

// Get returns the value under k.
func (m *Map[V]) Get(k string) (V, bool) {
	s := m.shard(k)
	s.mu.Lock()
	v, ok := s.m[k]
	s.mu.Unlock()
	return v, ok
}

// Put sets the value under k; when k is new and its shard full, an
// arbitrary entry of the shard is dropped first.
func (m *Map[V]) Put(k string, v V) {
	s := m.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[k]; !ok && len(s.m) >= m.max {
		for old := range s.m {
			delete(s.m, old)
			break
		}
	}
	s.m[k] = v
}

// Delete drops the entry under k, if any.
func (m *Map[V]) Delete(k string) {
	s := m.shard(k)
	s.mu.Lock()
	delete(s.m, k)
	s.mu.Unlock()
}

// Len returns the number of entries.
func (m *Map[V]) Len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}
