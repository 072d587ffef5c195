package sessions

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/dmr-go/dmr/pyjson"
)

// MemoryStore is a Store in process memory, for tests, examples and single
// process development servers. It keeps each session as its JSON text, so a
// loaded session never shares memory with the stored one, and implements the
// Store contract fully, compare-and-swap included. The zero value is ready to
// use. Sessions are lost when the process exits.
type MemoryStore struct {
	// Now returns the current time for expiry checks; default time.Now.
	Now func() time.Time

	mu      sync.Mutex
	entries map[string]memEntry
	seq     uint64
}

type memEntry struct {
	data    []byte
	expiry  time.Time
	version string
}

var _ Store = (*MemoryStore)(nil)

func (s *MemoryStore) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// live returns the entry under key if it has not expired. s.mu is held.
func (s *MemoryStore) live(key string) (memEntry, bool) {
	e, ok := s.entries[key]
	if !ok || !e.expiry.After(s.now()) {
		return memEntry{}, false
	}
	return e, true
}

func (s *MemoryStore) put(r Record) (string, error) {
	data, err := pyjson.Marshal(orEmpty(r.Data))
	if err != nil {
		return "", err
	}
	if s.entries == nil {
		s.entries = make(map[string]memEntry)
	}
	s.seq++
	v := strconv.FormatUint(s.seq, 10)
	s.entries[r.Key] = memEntry{data: data, expiry: r.Expiry, version: v}
	return v, nil
}

func orEmpty(o *pyjson.Object) *pyjson.Object {
	if o == nil {
		return &pyjson.Object{}
	}
	return o
}

// Load implements Store.
func (s *MemoryStore) Load(ctx context.Context, key string) (Record, error) {
	s.mu.Lock()
	e, ok := s.live(key)
	s.mu.Unlock()
	if !ok {
		return Record{}, ErrNotFound
	}
	data, err := pyjson.UnmarshalObject(e.data)
	if err != nil {
		return Record{}, err // cannot happen: we wrote it
	}
	return Record{Key: key, Data: data, Expiry: e.expiry, Version: e.version}, nil
}

// Create implements Store.
func (s *MemoryStore) Create(ctx context.Context, r Record) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.live(r.Key); ok {
		return "", ErrKeyExists
	}
	return s.put(r)
}

// Save implements Store.
func (s *MemoryStore) Save(ctx context.Context, r Record) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.live(r.Key)
	if !ok {
		return "", ErrNotFound
	}
	if r.Version != "" && r.Version != e.version {
		return "", ErrConflict
	}
	return s.put(r)
}

// Delete implements Store.
func (s *MemoryStore) Delete(ctx context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.entries, key)
	return nil
}

// Exists reports whether a live session is stored under key (Django's
// exists()).
func (s *MemoryStore) Exists(ctx context.Context, key string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.live(key)
	return ok, nil
}

// ClearExpired implements Store.
func (s *MemoryStore) ClearExpired(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for k, e := range s.entries {
		if !e.expiry.After(now) {
			delete(s.entries, k)
		}
	}
	return nil
}

// Len returns the number of stored sessions, expired ones included.
func (s *MemoryStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}
