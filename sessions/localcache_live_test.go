package sessions_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dmr-go/dmr/internal/fakeclock"
	"github.com/dmr-go/dmr/sessions"
)

// A LocalCache with a feed: Live false bypasses, Invalidate and Flush evict,
// and a load that raced with either does not store.
func TestLocalCacheLive(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		// step runs between a cached load and the next load, with the feed
		// up; it says whether the next load must reach the store.
		step      func(c *sessions.LocalCache, live *atomic.Bool, clk *fakeclock.Clock)
		wantLoads int64 // loads reaching the store over three Loads after step
	}{
		{"live: hits", func(*sessions.LocalCache, *atomic.Bool, *fakeclock.Clock) {}, 0},
		{"down: bypass, nothing stored", func(_ *sessions.LocalCache, live *atomic.Bool, _ *fakeclock.Clock) { live.Store(false) }, 3},
		{"invalidated: one reload", func(c *sessions.LocalCache, _ *atomic.Bool, _ *fakeclock.Clock) { c.Invalidate("k") }, 1},
		{"flushed: one reload", func(c *sessions.LocalCache, _ *atomic.Bool, _ *fakeclock.Clock) { c.Flush() }, 1},
		{"other key invalidated: hits", func(c *sessions.LocalCache, _ *atomic.Bool, _ *fakeclock.Clock) { c.Invalidate("other") }, 0},
		{"safety TTL still applies", func(_ *sessions.LocalCache, _ *atomic.Bool, clk *fakeclock.Clock) { clk.Add(time.Minute) }, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := fakeclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			mem := &sessions.MemoryStore{Now: clk.Now}
			counter := &loadCounter{Store: mem}
			var live atomic.Bool
			live.Store(true)
			c, err := sessions.NewLocalCache(counter, sessions.LocalCacheOptions{TTL: time.Minute, Now: clk.Now, Live: live.Load})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := mem.Create(ctx, sessions.Record{Key: "k", Data: data("a", "1"), Expiry: clk.Now().Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Load(ctx, "k"); err != nil {
				t.Fatal(err)
			}
			tc.step(c, &live, clk)
			before := counter.loads.Load()
			for range 3 {
				if r, err := c.Load(ctx, "k"); err != nil || get(t, r, "a") != "1" {
					t.Fatalf("Load: %+v %v", r, err)
				}
			}
			if n := counter.loads.Load() - before; n != tc.wantLoads {
				t.Fatalf("%d loads reached the store, want %d", n, tc.wantLoads)
			}
		})
	}
}

// raceStore lets a test act while a Load is in flight.
type raceStore struct {
	sessions.Store
	during func()
}

func (s *raceStore) Load(ctx context.Context, key string) (sessions.Record, error) {
	r, err := s.Store.Load(ctx, key)
	if s.during != nil {
		s.during()
	}
	return r, err
}

// An event that arrives while a load is in flight wins: the load's (old)
// value is not stored.
func TestLocalCacheEventDuringLoad(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"invalidate", "flush", "feed down"} {
		t.Run(name, func(t *testing.T) {
			mem := &sessions.MemoryStore{}
			rs := &raceStore{Store: mem}
			counter := &loadCounter{Store: rs}
			var live atomic.Bool
			live.Store(true)
			c, err := sessions.NewLocalCache(counter, sessions.LocalCacheOptions{TTL: time.Hour, Live: live.Load})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := mem.Create(ctx, sessions.Record{Key: "k", Data: data("a", "1"), Expiry: time.Now().Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			rs.during = func() {
				switch name {
				case "invalidate":
					c.Invalidate("k")
				case "flush":
					c.Flush()
				case "feed down":
					live.Store(false)
					c.Flush() // what the feed does on the way back up
					live.Store(true)
				}
			}
			if _, err := c.Load(ctx, "k"); err != nil {
				t.Fatal(err)
			}
			rs.during = nil
			if _, err := c.Load(ctx, "k"); err != nil {
				t.Fatal(err)
			}
			if n := counter.loads.Load(); n != 2 {
				t.Fatalf("a load raced by %s was stored: %d loads, want 2", name, n)
			}
		})
	}
}

// BenchmarkLocalCacheHit measures a hit without and with a feed's Live: the
// feed must add no allocation.
func BenchmarkLocalCacheHit(b *testing.B) {
	for _, withLive := range []bool{false, true} {
		name := "ttl"
		if withLive {
			name = "live"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			mem := &sessions.MemoryStore{}
			opts := sessions.LocalCacheOptions{TTL: time.Hour}
			var live atomic.Bool
			live.Store(true)
			if withLive {
				opts.Live = live.Load
			}
			c, err := sessions.NewLocalCache(mem, opts)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := mem.Create(ctx, sessions.Record{Key: "k", Data: data("_auth_user_id", "1"), Expiry: time.Now().Add(time.Hour)}); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Load(ctx, "k"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
