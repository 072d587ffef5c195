package loginthrottle

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestStoreCounting runs the same steps on every store with an injected
// clock: counting, expiry restarting at zero, every failure restarting the
// cool-off, Reset, and keys kept apart.
func TestStoreCounting(t *testing.T) {
	const ttl = 10 * time.Minute
	type step struct {
		op      string // add, sub, count, reset, advance
		key     string
		advance time.Duration
		wantN   int64
		wantTTL time.Duration
	}
	steps := []step{
		{op: "count", key: "a", wantN: 0, wantTTL: 0},
		{op: "add", key: "a", wantN: 1},
		{op: "add", key: "a", wantN: 2},
		{op: "count", key: "a", wantN: 2, wantTTL: ttl},
		{op: "count", key: "b", wantN: 0},
		{op: "advance", advance: ttl - time.Second},
		{op: "count", key: "a", wantN: 2, wantTTL: time.Second},
		{op: "add", key: "a", wantN: 3}, // restarts the cool-off
		{op: "advance", advance: ttl - time.Second},
		{op: "count", key: "a", wantN: 3, wantTTL: time.Second},
		{op: "advance", advance: time.Second}, // now exactly at expiry
		{op: "count", key: "a", wantN: 0, wantTTL: 0},
		{op: "add", key: "a", wantN: 1}, // an expired counter restarts
		{op: "add", key: "b", wantN: 1},
		{op: "reset", key: "a"},
		{op: "count", key: "a", wantN: 0},
		{op: "count", key: "b", wantN: 1, wantTTL: ttl},
		{op: "reset", key: "missing"},
		{op: "sub", key: "missing", wantN: 0}, // no counter: nothing to take back
		{op: "count", key: "missing", wantN: 0},
		{op: "advance", advance: time.Minute},
		{op: "sub", key: "b", wantN: 0}, // keeps the expiry
		{op: "count", key: "b", wantN: 0},
		{op: "add", key: "b", wantN: 1},
		{op: "add", key: "b", wantN: 2},
		{op: "advance", advance: time.Minute},
		{op: "sub", key: "b", wantN: 1},
		{op: "count", key: "b", wantN: 1, wantTTL: ttl - time.Minute},
		{op: "advance", advance: ttl},
		{op: "sub", key: "b", wantN: 0}, // expired: nothing to take back
		{op: "add", key: "b", wantN: 1},
	}
	for _, env := range clockedStores {
		t.Run(env.name, func(t *testing.T) {
			c := newClock()
			s := env.open(t, c)
			ctx := t.Context()
			for i, st := range steps {
				switch st.op {
				case "advance":
					c.Add(st.advance)
				case "add":
					n, err := s.Add(ctx, st.key, 1, ttl)
					if err != nil || n != st.wantN {
						t.Fatalf("step %d: Add(%s) = %d, %v; want %d", i, st.key, n, err, st.wantN)
					}
				case "sub":
					n, err := s.Add(ctx, st.key, -1, ttl)
					if err != nil || n != st.wantN {
						t.Fatalf("step %d: Add(%s, -1) = %d, %v; want %d", i, st.key, n, err, st.wantN)
					}
				case "count":
					n, d, err := s.Count(ctx, st.key)
					if err != nil || n != st.wantN || d != st.wantTTL {
						t.Fatalf("step %d: Count(%s) = %d, %v, %v; want %d, %v", i, st.key, n, d, err, st.wantN, st.wantTTL)
					}
				case "reset":
					if err := s.Reset(ctx, st.key); err != nil {
						t.Fatalf("step %d: Reset(%s): %v", i, st.key, err)
					}
				}
			}
		})
	}
}

// TestRedisStoreExpires checks counting and Redis' own expiry on a real
// Redis (the clock is the server's).
func TestRedisStoreExpires(t *testing.T) {
	s := redisStore(t)
	ctx := t.Context()
	for want := int64(1); want <= 3; want++ {
		if n, err := s.Add(ctx, "k", 1, time.Minute); err != nil || n != want {
			t.Fatalf("Add = %d, %v; want %d", n, err, want)
		}
	}
	n, ttl, err := s.Count(ctx, "k")
	if err != nil || n != 3 || ttl <= 0 || ttl > time.Minute {
		t.Fatalf("Count = %d, %v, %v; want 3 with a TTL in (0, 1m]", n, ttl, err)
	}
	if n, err := s.Add(ctx, "k", -1, time.Minute); err != nil || n != 2 {
		t.Fatalf("Add(-1) = %d, %v; want 2", n, err)
	}
	if _, ttl, _ := s.Count(ctx, "k"); ttl <= 0 {
		t.Fatalf("the decrement dropped the expiry (TTL %v)", ttl)
	}
	if err := s.Reset(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Add(ctx, "k", -1, time.Minute); err != nil || n != 0 {
		t.Fatalf("Add(-1) on no counter = %d, %v; want 0", n, err)
	}
	if n, ttl, err := s.Count(ctx, "k"); err != nil || n != 0 || ttl != 0 {
		t.Fatalf("Count after Reset = %d, %v, %v", n, ttl, err)
	}
	if _, err := s.Add(ctx, "short", 1, 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	// The key must disappear by itself: poll (bounded) rather than time it.
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, _, err := s.Count(ctx, "short")
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the counter did not expire")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n, err := s.Add(ctx, "short", 1, time.Minute); err != nil || n != 1 {
		t.Fatalf("Add after expiry = %d, %v; want 1", n, err)
	}
}

// TestStoreConcurrentAdds checks that no failure is lost when many are
// counted at once (as by several instances sharing the store).
func TestStoreConcurrentAdds(t *testing.T) {
	const n = 40
	for _, env := range allStores {
		t.Run(env.name, func(t *testing.T) {
			s := env.open(t, newClock())
			if env.name == "memory" {
				s = NewMemoryStore(MemoryOptions{})
			} else if ss, ok := s.(*SQLStore); ok {
				ss.now = time.Now
			}
			ctx := t.Context()
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := s.Add(ctx, "hot", 1, time.Minute); err != nil {
						errs <- err
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			if got, _, err := s.Count(ctx, "hot"); err != nil || got != n {
				t.Fatalf("Count = %d, %v; want %d", got, err, n)
			}
		})
	}
}

func TestSQLStoreSweepsExpiredRows(t *testing.T) {
	c := newClock()
	db := sqliteDB(t)
	s := newSQL(t, db, c)
	ctx := t.Context()
	for i := range 5 {
		if _, err := s.Add(ctx, fmt.Sprint("old", i), 1, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	c.Add(2 * time.Minute) // all expired, and a sweep is due
	if _, err := s.Add(ctx, "new", 1, time.Minute); err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := db.Write.QueryRowContext(ctx, "SELECT count(*) FROM "+Table).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 1 {
		t.Fatalf("%d rows left, want 1 (the expired ones swept)", rows)
	}
}

func TestMemoryStoreSweeps(t *testing.T) {
	c := newClock()
	s := NewMemoryStore(MemoryOptions{Now: c.Now})
	ctx := context.Background()
	for i := range sweepEvery - 1 {
		s.Add(ctx, fmt.Sprint(i), 1, time.Second)
	}
	c.Add(time.Second)
	s.Add(ctx, "last", 1, time.Second) // the sweepEvery-th Add sweeps
	if got := s.Len(); got != 1 {
		t.Fatalf("Len = %d after the sweep, want 1", got)
	}
}

func TestStoreHonoursCanceledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, env := range allStores {
		t.Run(env.name, func(t *testing.T) {
			s := env.open(t, newClock())
			if _, err := s.Add(ctx, "k", 1, time.Minute); err == nil {
				t.Error("Add with a canceled context succeeded")
			}
			if _, _, err := s.Count(ctx, "k"); err == nil {
				t.Error("Count with a canceled context succeeded")
			}
			if err := s.Reset(ctx, "k"); err == nil {
				t.Error("Reset with a canceled context succeeded")
			}
		})
	}
}
