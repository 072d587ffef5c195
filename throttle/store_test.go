package throttle

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/internal/fakeclock"
	"github.com/dmr-go/dmr/internal/testenv"
)

func newClock() *fakeclock.Clock { return fakeclock.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) }

func ipKey(scope, ip string) Key { return Key{Scope: scope, IP: netip.MustParseAddr(ip)} }

func redisTestStore(t testing.TB) (*RedisStore, *redis.Client, string) {
	t.Helper()
	c, prefix := testenv.Redis(t)
	s, err := NewRedisStore(c, RedisOptions{KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	return s, c, prefix
}

// stores runs f against every store; the clock only drives the memory
// store (Redis keeps its own time).
func stores(t *testing.T, f func(t *testing.T, s Store)) {
	t.Run("memory", func(t *testing.T) { f(t, NewMemoryStore(MemoryOptions{Now: newClock().Now})) })
	t.Run("redis", func(t *testing.T) { s, _, _ := redisTestStore(t); f(t, s) })
}

type step struct {
	allowed   bool
	remaining int64
}

func take(t *testing.T, s Store, k Key, r Rule, want []step) []Decision {
	t.Helper()
	var ds []Decision
	for i, w := range want {
		d, err := s.Take(context.Background(), k, r)
		if err != nil {
			t.Fatalf("take %d: %v", i, err)
		}
		if d.Allowed != w.allowed || d.Remaining != w.remaining || d.Quota != r.quota() {
			t.Fatalf("take %d: %+v, want allowed=%v remaining=%d quota=%d", i, d, w.allowed, w.remaining, r.quota())
		}
		if d.Reset <= 0 || d.Reset > r.Period {
			t.Fatalf("take %d: reset %v not in (0, %v]", i, d.Reset, r.Period)
		}
		if !d.Allowed && (d.RetryAfter <= 0 || d.RetryAfter > r.Period) {
			t.Fatalf("take %d: retry after %v not in (0, %v]", i, d.RetryAfter, r.Period)
		}
		ds = append(ds, d)
	}
	return ds
}

func TestStoreFixedWindow(t *testing.T) {
	stores(t, func(t *testing.T, s Store) {
		r := Rule{Limit: 3, Period: time.Minute}
		k := ipKey("anon", "203.0.113.5")
		take(t, s, k, r, []step{{true, 2}, {true, 1}, {true, 0}, {false, 0}, {false, 0}})
		// Other keys and scopes count apart.
		take(t, s, ipKey("anon", "203.0.113.6"), r, []step{{true, 2}})
		take(t, s, ipKey("other", "203.0.113.5"), r, []step{{true, 2}})
		take(t, s, Key{Scope: "anon", ID: "u:42"}, r, []step{{true, 2}})
	})
}

func TestStoreTokenBucket(t *testing.T) {
	stores(t, func(t *testing.T, s Store) {
		r := Rule{Algorithm: TokenBucket, Limit: 6, Period: time.Minute, Burst: 3} // one token per 10 s
		k := ipKey("tb", "2001:db8::")
		ds := take(t, s, k, r, []step{{true, 2}, {true, 1}, {true, 0}, {false, 0}})
		if d := ds[3]; d.RetryAfter > 10*time.Second || d.RetryAfter < 9*time.Second {
			t.Errorf("retry after %v, want about one interval (10s)", d.RetryAfter)
		}
		if d := ds[2]; d.Reset > 30*time.Second || d.Reset < 29*time.Second {
			t.Errorf("reset %v, want about the time to refill 3 tokens (30s)", d.Reset)
		}
	})
}

func TestStoreZeroLimit(t *testing.T) {
	stores(t, func(t *testing.T, s Store) {
		for _, a := range []Algorithm{FixedWindow, TokenBucket} {
			take(t, s, ipKey("zero"+a.String(), "192.0.2.1"), Rule{Algorithm: a, Limit: 0, Period: time.Second}, []step{{false, 0}})
		}
	})
}

func TestMemoryFixedWindowClock(t *testing.T) {
	c := newClock()
	s := NewMemoryStore(MemoryOptions{Now: c.Now})
	r := Rule{Limit: 2, Period: time.Minute}
	k := ipKey("anon", "192.0.2.1")
	take(t, s, k, r, []step{{true, 1}})
	c.Add(40 * time.Second)
	ds := take(t, s, k, r, []step{{true, 0}, {false, 0}})
	if ds[1].Reset != 20*time.Second || ds[1].RetryAfter != 20*time.Second {
		t.Errorf("refusal %+v: want reset and retry after 20s (the window opened by the first request)", ds[1])
	}
	c.Add(20 * time.Second) // the window ends
	ds = take(t, s, k, r, []step{{true, 1}})
	if ds[0].Reset != time.Minute {
		t.Errorf("new window: reset %v, want 1m", ds[0].Reset)
	}
}

func TestMemoryTokenBucketClock(t *testing.T) {
	c := newClock()
	s := NewMemoryStore(MemoryOptions{Now: c.Now})
	r := Rule{Algorithm: TokenBucket, Limit: 60, Period: time.Minute, Burst: 2} // one token per second
	k := ipKey("tb", "192.0.2.1")
	ds := take(t, s, k, r, []step{{true, 1}, {true, 0}, {false, 0}})
	if ds[2].RetryAfter != time.Second || ds[1].Reset != 2*time.Second {
		t.Errorf("decisions %+v: want retry after 1s, reset 2s", ds)
	}
	c.Add(500 * time.Millisecond)
	ds = take(t, s, k, r, []step{{false, 0}})
	if ds[0].RetryAfter != 500*time.Millisecond {
		t.Errorf("retry after %v, want 500ms", ds[0].RetryAfter)
	}
	c.Add(500 * time.Millisecond) // one token back
	take(t, s, k, r, []step{{true, 0}, {false, 0}})
	c.Add(time.Hour) // full again, never more than the burst
	take(t, s, k, r, []step{{true, 1}, {true, 0}, {false, 0}})
	// Default burst: the limit.
	take(t, s, ipKey("tb2", "192.0.2.1"), Rule{Algorithm: TokenBucket, Limit: 3, Period: time.Minute},
		[]step{{true, 2}, {true, 1}, {true, 0}, {false, 0}})
}

func TestMemoryBounded(t *testing.T) {
	c := newClock()
	const maxKeys = 640
	s := NewMemoryStore(MemoryOptions{Now: c.Now, MaxKeys: maxKeys})
	r := Rule{Limit: 5, Period: time.Minute}
	for i := range 20 * maxKeys {
		k := Key{Scope: "anon", IP: netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})}
		if _, err := s.Take(context.Background(), k, r); err != nil {
			t.Fatal(err)
		}
		if i%7 == 0 {
			c.Add(time.Second) // some keys expire along the way
		}
	}
	if n := s.Len(); n > maxKeys {
		t.Fatalf("%d keys held, bound %d", n, maxKeys)
	}
	// A key that is counting keeps its count while the store has room.
	s = NewMemoryStore(MemoryOptions{Now: c.Now, MaxKeys: maxKeys})
	k := ipKey("anon", "192.0.2.9")
	take(t, s, k, r, []step{{true, 4}, {true, 3}})
}

func TestMemoryConcurrent(t *testing.T) {
	s := NewMemoryStore(MemoryOptions{})
	const limit = 100
	for _, a := range []Algorithm{FixedWindow, TokenBucket} {
		r := Rule{Algorithm: a, Limit: limit, Period: time.Hour}
		var allowed atomic.Int64
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 100 {
					// Every goroutine hits the shared key and keys of its own.
					k := ipKey("c"+a.String(), "198.51.100.1")
					if i%2 == 1 {
						k = ipKey("c"+a.String(), fmt.Sprintf("198.51.100.%d", 2+g))
					}
					d, err := s.Take(context.Background(), k, r)
					if err != nil {
						t.Error(err)
						return
					}
					if d.Allowed && i%2 == 0 {
						allowed.Add(1)
					}
				}
			})
		}
		wg.Wait()
		if n := allowed.Load(); n != limit {
			t.Errorf("%v: %d requests allowed on the shared key, want exactly %d", a, n, limit)
		}
	}
}

func TestRedisConcurrent(t *testing.T) {
	s, _, _ := redisTestStore(t)
	const limit = 50
	for _, a := range []Algorithm{FixedWindow, TokenBucket} {
		r := Rule{Algorithm: a, Limit: limit, Period: time.Hour}
		var allowed atomic.Int64
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 20 {
					d, err := s.Take(context.Background(), ipKey("rc"+a.String(), "198.51.100.1"), r)
					if err != nil {
						t.Error(err)
						return
					}
					if d.Allowed {
						allowed.Add(1)
					}
				}
			})
		}
		wg.Wait()
		if n := allowed.Load(); n != limit {
			t.Errorf("%v: %d of 160 requests allowed, want exactly %d", a, n, limit)
		}
	}
}

// countHook counts the commands a client sends.
type countHook struct {
	mu   sync.Mutex
	cmds []string
}

func (h *countHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.mu.Lock()
		h.cmds = append(h.cmds, cmd.Name())
		h.mu.Unlock()
		return next(ctx, cmd)
	}
}
func (h *countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.mu.Lock()
		h.cmds = append(h.cmds, "pipeline")
		h.mu.Unlock()
		return next(ctx, cmds)
	}
}

func (h *countHook) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.cmds
	h.cmds = nil
	return out
}

func TestRedisOneRoundTrip(t *testing.T) {
	s, c, _ := redisTestStore(t)
	h := &countHook{}
	c.AddHook(h)
	for _, a := range []Algorithm{FixedWindow, TokenBucket} {
		r := Rule{Algorithm: a, Limit: 2, Period: time.Minute}
		k := ipKey("rt"+a.String(), "192.0.2.1")
		// The first decision may load the script (EVALSHA, NOSCRIPT, EVAL).
		if _, err := s.Take(context.Background(), k, r); err != nil {
			t.Fatal(err)
		}
		h.take()
		for i := range 3 { // allowed, then refused: one EVALSHA each
			if _, err := s.Take(context.Background(), k, r); err != nil {
				t.Fatal(err)
			}
			if cmds := h.take(); len(cmds) != 1 || cmds[0] != "evalsha" {
				t.Fatalf("%v decision %d sent %v, want exactly one evalsha", a, i, cmds)
			}
		}
	}
}

func TestRedisKeysExpire(t *testing.T) {
	s, c, prefix := redisTestStore(t)
	ctx := context.Background()
	for _, a := range []Algorithm{FixedWindow, TokenBucket} {
		k := ipKey("exp"+a.String(), "192.0.2.1")
		if _, err := s.Take(ctx, k, Rule{Algorithm: a, Limit: 10, Period: time.Minute}); err != nil {
			t.Fatal(err)
		}
		ttl, err := c.PTTL(ctx, prefix+DefaultRedisPrefix+RedisKey(k)).Result()
		if err != nil || ttl <= 0 || ttl > time.Minute {
			t.Errorf("%v: key ttl %v, %v: want an expiry within the period", a, ttl, err)
		}
	}
}

func TestRedisKey(t *testing.T) {
	if got := RedisKey(ipKey("anon", "2001:db8::")); got != "anon:ip:2001:db8::" {
		t.Errorf("RedisKey = %q", got)
	}
	if got := RedisKey(Key{Scope: "user", ID: "u:42"}); got != "user:u:42" {
		t.Errorf("RedisKey = %q", got)
	}
}

func TestRedisDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nobody listens there now
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 100 * time.Millisecond, MaxRetries: -1, DialerRetries: 1})
	defer c.Close()
	s, _ := NewRedisStore(c, RedisOptions{})
	for _, a := range []Algorithm{FixedWindow, TokenBucket} {
		_, err := s.Take(context.Background(), ipKey("down", "192.0.2.1"), Rule{Algorithm: a, Limit: 1, Period: time.Second})
		if !apierror.IsUnavailable(err) {
			t.Errorf("%v: %v, want an unavailable error", a, err)
		}
	}
	c.Close()
	if _, err := s.Take(context.Background(), ipKey("down", "192.0.2.1"), Rule{Limit: 1, Period: time.Second}); !apierror.IsUnavailable(err) {
		t.Errorf("closed client: %v, want an unavailable error", err)
	}
}
