package sessions_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dmr-go/dmr/internal/fakeclock"
	"github.com/dmr-go/dmr/pyjson"
	"github.com/dmr-go/dmr/sessions"
)

// loadCounter counts the loads that reach the wrapped store.
type loadCounter struct {
	sessions.Store
	loads atomic.Int64
}

func (s *loadCounter) Load(ctx context.Context, key string) (sessions.Record, error) {
	s.loads.Add(1)
	return s.Store.Load(ctx, key)
}

func data(kv ...string) *pyjson.Object {
	o := pyjson.NewObject(len(kv) / 2)
	for i := 0; i < len(kv); i += 2 {
		o.Set(kv[i], kv[i+1])
	}
	return o
}

func get(t *testing.T, r sessions.Record, k string) string {
	t.Helper()
	v, _ := r.Data.Get(k)
	s, _ := v.(string)
	return s
}

// setup returns the backing store (what another process sees: Django, another
// replica), the cache in front of it and the clock both use.
func setup(t *testing.T, ttl time.Duration) (*sessions.MemoryStore, *loadCounter, *sessions.LocalCache, *fakeclock.Clock) {
	t.Helper()
	clk := fakeclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	mem := &sessions.MemoryStore{Now: clk.Now}
	counter := &loadCounter{Store: mem}
	c, err := sessions.NewLocalCache(counter, sessions.LocalCacheOptions{TTL: ttl, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return mem, counter, c, clk
}

func TestLocalCacheServesFromMemory(t *testing.T) {
	ctx := context.Background()
	mem, counter, c, clk := setup(t, time.Second)
	if _, err := mem.Create(ctx, sessions.Record{Key: "k", Data: data("a", "1"), Expiry: clk.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		r, err := c.Load(ctx, "k")
		if err != nil || get(t, r, "a") != "1" || r.Version == "" {
			t.Fatalf("Load: %+v %v", r, err)
		}
	}
	if n := counter.loads.Load(); n != 1 {
		t.Fatalf("%d loads reached the store, want 1", n)
	}
	// A hit hands out the cache's copy marked Shared; a caller that clones
	// before changing it (as Session does) leaves the cache alone.
	r, _ := c.Load(ctx, "k")
	if !r.Shared {
		t.Fatal("a cache hit is not marked Shared")
	}
	own := r.Data.DeepClone()
	own.Set("a", "changed")
	own.Set("b", "new")
	if r2, _ := c.Load(ctx, "k"); get(t, r2, "a") != "1" || r2.Data.Len() != 1 {
		t.Fatalf("cache changed: %v", r2.Data.Keys())
	}
	// Missing keys are not cached.
	for range 2 {
		if _, err := c.Load(ctx, "missing"); !errors.Is(err, sessions.ErrNotFound) {
			t.Fatalf("missing: %v", err)
		}
	}
	if n := counter.loads.Load(); n != 3 {
		t.Fatalf("%d loads reached the store, want 3", n)
	}
}

// Changes made through the cache take effect at once.
func TestLocalCacheOwnWritesAreImmediate(t *testing.T) {
	ctx := context.Background()
	_, _, c, clk := setup(t, time.Hour)
	exp := clk.Now().Add(24 * time.Hour)
	if _, err := c.Create(ctx, sessions.Record{Key: "k", Data: data("a", "1"), Expiry: exp}); err != nil {
		t.Fatal(err)
	}
	r, err := c.Load(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	r.Data.Set("a", "2")
	if _, err := c.Save(ctx, r); err != nil {
		t.Fatal(err)
	}
	if r, _ := c.Load(ctx, "k"); get(t, r, "a") != "2" {
		t.Fatalf("after own Save: %q", get(t, r, "a"))
	}
	if err := c.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Load(ctx, "k"); !errors.Is(err, sessions.ErrNotFound) {
		t.Fatalf("after own Delete (logout): %v, want ErrNotFound", err)
	}
	if _, err := c.Create(ctx, sessions.Record{Key: "k", Data: data("a", "3"), Expiry: exp}); err != nil {
		t.Fatal(err)
	}
	if r, _ := c.Load(ctx, "k"); get(t, r, "a") != "3" {
		t.Fatalf("after own Create: %q", get(t, r, "a"))
	}
}

// A change made behind the cache's back (another process) is served stale
// for less than TTL and seen from TTL on.
func TestLocalCacheStalenessBound(t *testing.T) {
	ctx := context.Background()
	const ttl = 1500 * time.Millisecond
	mem, _, c, clk := setup(t, ttl)
	exp := clk.Now().Add(24 * time.Hour)
	for _, k := range []string{"deleted", "changed"} {
		if _, err := mem.Create(ctx, sessions.Record{Key: k, Data: data("a", "1"), Expiry: exp}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Load(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	// Another process logs one out and changes the other.
	if err := mem.Delete(ctx, "deleted"); err != nil {
		t.Fatal(err)
	}
	r, _ := mem.Load(ctx, "changed")
	r.Data.Set("a", "2")
	if _, err := mem.Save(ctx, r); err != nil {
		t.Fatal(err)
	}
	clk.Add(ttl - time.Millisecond)
	if _, err := c.Load(ctx, "deleted"); err != nil {
		t.Fatalf("within TTL the cached session is still served (the documented bound): %v", err)
	}
	clk.Add(time.Millisecond)
	if _, err := c.Load(ctx, "deleted"); !errors.Is(err, sessions.ErrNotFound) {
		t.Fatalf("at TTL: %v, want ErrNotFound", err)
	}
	if r, _ := c.Load(ctx, "changed"); get(t, r, "a") != "2" {
		t.Fatalf("at TTL: %q, want the other process's change", get(t, r, "a"))
	}
}

// A save from a stale cached Version is a conflict against the real store;
// the entry is dropped so the reload sees the fresh row.
func TestLocalCacheStaleSaveConflicts(t *testing.T) {
	ctx := context.Background()
	mem, _, c, clk := setup(t, time.Hour)
	if _, err := mem.Create(ctx, sessions.Record{Key: "k", Data: data("a", "1"), Expiry: clk.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	stale, _ := c.Load(ctx, "k")
	other, _ := mem.Load(ctx, "k")
	other.Data.Set("b", "other")
	if _, err := mem.Save(ctx, other); err != nil {
		t.Fatal(err)
	}
	stale.Data.Set("c", "mine")
	if _, err := c.Save(ctx, stale); !errors.Is(err, sessions.ErrConflict) {
		t.Fatalf("stale save: %v, want ErrConflict", err)
	}
	fresh, err := c.Load(ctx, "k")
	if err != nil || get(t, fresh, "b") != "other" {
		t.Fatalf("reload after conflict: %v %v", fresh.Data.Keys(), err)
	}
	fresh.Data.Set("c", "mine")
	if _, err := c.Save(ctx, fresh); err != nil {
		t.Fatalf("save after reload: %v", err)
	}
	if got, _ := mem.Load(ctx, "k"); get(t, got, "b") != "other" || get(t, got, "c") != "mine" {
		t.Fatalf("stored: %v", got.Data.Keys())
	}
}

func TestLocalCacheExpiryOnHit(t *testing.T) {
	ctx := context.Background()
	mem, _, c, clk := setup(t, time.Hour)
	if _, err := mem.Create(ctx, sessions.Record{Key: "k", Data: data(), Expiry: clk.Now().Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Load(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Second)
	if _, err := c.Load(ctx, "k"); !errors.Is(err, sessions.ErrNotFound) {
		t.Fatalf("expired session served from the cache: %v", err)
	}
}

func TestNewLocalCacheValidates(t *testing.T) {
	if _, err := sessions.NewLocalCache(nil, sessions.LocalCacheOptions{}); err == nil {
		t.Error("nil store accepted")
	}
	if _, err := sessions.NewLocalCache(&sessions.MemoryStore{}, sessions.LocalCacheOptions{TTL: -1}); err == nil {
		t.Error("negative TTL accepted")
	}
	if _, err := sessions.NewLocalCache(&sessions.MemoryStore{}, sessions.LocalCacheOptions{MaxEntries: -1}); err == nil {
		t.Error("negative MaxEntries accepted")
	}
}

// Concurrent loads, saves and deletes (run with -race): no data race, no
// shared memory between callers, and every own delete is seen by the next
// load of the goroutine that made it.
func TestLocalCacheConcurrent(t *testing.T) {
	ctx := context.Background()
	mem := &sessions.MemoryStore{}
	c, err := sessions.NewLocalCache(mem, sessions.LocalCacheOptions{TTL: time.Hour, MaxEntries: 8})
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(time.Hour)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				key := fmt.Sprintf("k%d", (g+i)%12)
				r, err := c.Load(ctx, key)
				switch {
				case errors.Is(err, sessions.ErrNotFound):
					if _, err := c.Create(ctx, sessions.Record{Key: key, Data: data("n", "0"), Expiry: exp}); err != nil && !errors.Is(err, sessions.ErrKeyExists) {
						errs <- err
						return
					}
				case err != nil:
					errs <- err
					return
				default:
					if r.Shared { // the cache's copy: clone before changing (Record.Shared)
						r.Data = r.Data.DeepClone()
					}
					r.Data.Set("n", fmt.Sprint(i))
					if _, err := c.Save(ctx, r); err != nil && !errors.Is(err, sessions.ErrConflict) && !errors.Is(err, sessions.ErrNotFound) {
						errs <- err
						return
					}
				}
				if i%50 == 0 {
					own := fmt.Sprintf("own%d", g)
					c.Create(ctx, sessions.Record{Key: own, Data: data(), Expiry: exp})
					c.Load(ctx, own)
					if err := c.Delete(ctx, own); err != nil {
						errs <- err
						return
					}
					if _, err := c.Load(ctx, own); !errors.Is(err, sessions.ErrNotFound) {
						errs <- fmt.Errorf("own delete not seen: %v", err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// A session loaded from a cache hit shares the cache's data until it changes
// it or hands out a nested dict or list: the next request still sees what the
// cache held.
func TestLocalCacheSessionCopyOnWrite(t *testing.T) {
	ctx := context.Background()
	const key = "abcdefghijklmnopqrstuvwxyz012345"
	mem, _, c, clk := setup(t, time.Hour)
	nested := pyjson.NewObject(1)
	nested.Set("items", []any{"x"})
	d := data("a", "1")
	d.Set("cart", nested)
	if _, err := mem.Create(ctx, sessions.Record{Key: key, Data: d, Expiry: clk.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	mw, err := sessions.NewMiddleware(sessions.Options{Store: c})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Load(ctx, key); err != nil { // fill the cache
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		change func(s *sessions.Session)
	}{
		{"set", func(s *sessions.Session) { s.Set("a", "2") }},
		{"delete", func(s *sessions.Session) { s.Delete("a") }},
		{"new key", func(s *sessions.Session) { s.Set("b", "3") }},
		{"nested dict", func(s *sessions.Session) {
			v, _ := s.Get("cart")
			v.(*pyjson.Object).Set("items", []any{"changed"})
		}},
		{"nested list", func(s *sessions.Session) {
			v, _ := s.Get("cart")
			l, _ := v.(*pyjson.Object).Get("items")
			l.([]any)[0] = "changed"
		}},
		{"clear", func(s *sessions.Session) { s.Clear() }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := mw.NewSession(ctx, key, true)
			if v, _ := s.GetString("a"); v != "1" {
				t.Fatalf("a = %q before the change", v)
			}
			tc.change(s)
			r, err := c.Load(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			cart, _ := r.Data.Get("cart")
			items, _ := cart.(*pyjson.Object).Get("items")
			if get(t, r, "a") != "1" || r.Data.Len() != 2 || items.([]any)[0] != "x" {
				t.Fatalf("the cache changed: a=%q keys=%v items=%v", get(t, r, "a"), r.Data.Keys(), items)
			}
		})
	}
}

// attaching is a store whose every load attaches a new value, as a layered
// store attaches what it loaded with the session (userdb.SessionJoin).
type attaching struct {
	sessions.Store
	n atomic.Int64
}

func (s *attaching) Load(ctx context.Context, key string) (sessions.Record, error) {
	r, err := s.Store.Load(ctx, key)
	if err == nil {
		r.Attachment = s.n.Add(1)
	}
	return r, err
}

// A LocalCache passes the attachment of the load it made on and never
// serves one from memory; the session exposes it, and Clear drops it.
func TestLocalCacheNeverCachesAttachment(t *testing.T) {
	ctx := context.Background()
	clk := fakeclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	mem := &sessions.MemoryStore{Now: clk.Now}
	st := &attaching{Store: mem}
	c, err := sessions.NewLocalCache(st, sessions.LocalCacheOptions{TTL: time.Hour, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mem.Create(ctx, sessions.Record{Key: "k", Data: data("a", "1"), Expiry: clk.Now().Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	for i, want := range []any{int64(1), nil, nil} {
		r, err := c.Load(ctx, "k")
		if err != nil || r.Attachment != want {
			t.Fatalf("load %d: %v, attachment %v, want %v", i, err, r.Attachment, want)
		}
	}
	c.Invalidate("k")
	if r, _ := c.Load(ctx, "k"); r.Attachment != int64(2) {
		t.Fatalf("after Invalidate: attachment %v", r.Attachment)
	}
	// Save and Create ignore it.
	r, _ := mem.Load(ctx, "k")
	r.Attachment = "ignored"
	if _, err := c.Save(ctx, r); err != nil {
		t.Fatal(err)
	}
	if r, _ := mem.Load(ctx, "k"); r.Attachment != nil {
		t.Fatalf("stored attachment %v", r.Attachment)
	}
}

func TestSessionAttachment(t *testing.T) {
	ctx := context.Background()
	mem := &sessions.MemoryStore{}
	st := &attaching{Store: mem}
	if _, err := mem.Create(ctx, sessions.Record{Key: "abcdefgh12345678", Data: data("a", "1"), Expiry: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	m, err := sessions.NewMiddleware(sessions.Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	var got []any
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := sessions.FromContext(r.Context())
		got = append(got, s.Attachment(), s.Attachment())
		s.Clear()
		got = append(got, s.Attachment())
	}))
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(&http.Cookie{Name: "sessionid", Value: "abcdefgh12345678"})
	h.ServeHTTP(httptest.NewRecorder(), req)
	if fmt.Sprint(got) != "[1 1 <nil>]" {
		t.Fatalf("Attachment = %v", got)
	}
}
