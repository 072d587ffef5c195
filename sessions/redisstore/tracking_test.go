package redisstore_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dmr-go/dmr/internal/fakeredis"
	"github.com/dmr-go/dmr/internal/testenv"
	"github.com/dmr-go/dmr/sessions"
	"github.com/dmr-go/dmr/sessions/redisstore"
)

type tracked struct {
	store   *redisstore.Cache
	lc      *sessions.LocalCache
	tr      *redisstore.Tracker
	other   *redis.Client // another client, as Django would be
	prefix  string
	blocked *atomic.Bool // while true, the tracker cannot connect
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newTracked returns a Cache behind a LocalCache kept current by a
// Tracker whose dials fail while blocked is set.
func newTracked(t *testing.T) *tracked {
	t.Helper()
	c, prefix := testenv.Redis(t)
	store, err := redisstore.NewCache(c, redisstore.Options{KeyPrefix: prefix, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	var live atomic.Bool
	lc, err := sessions.NewLocalCache(store, sessions.LocalCacheOptions{TTL: time.Minute, Live: live.Load})
	if err != nil {
		t.Fatal(err)
	}
	blocked := new(atomic.Bool)
	ro := *c.Options()
	var d net.Dialer
	ro.Dialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if blocked.Load() {
			return nil, errors.New("test: dial blocked")
		}
		return d.DialContext(ctx, network, addr)
	}
	tr, err := redisstore.Track(context.Background(), store, redisstore.TrackingOptions{
		Target: lc, Redis: &ro, LiveFlag: &live, Heartbeat: 200 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	if !tr.Live() || !live.Load() {
		t.Fatal("not live after Track")
	}
	other := redis.NewClient(&redis.Options{Addr: testenv.RedisAddr()})
	t.Cleanup(func() { other.Close() })
	return &tracked{store: store, lc: lc, tr: tr, other: other, prefix: prefix, blocked: blocked}
}

// login creates a session through the LocalCache and loads it once, so it
// is cached.
func (x *tracked) login(t *testing.T, key string) sessions.Record {
	t.Helper()
	ctx := context.Background()
	before := x.tr.Events()
	if _, err := x.lc.Create(ctx, sessions.Record{Key: key, Data: obj("_auth_user_id", "42"), Expiry: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	// Our own write is announced too; wait for it, or it would evict
	// what the Load below caches.
	if x.tr.Live() {
		for start := time.Now(); x.tr.Events() == before; {
			if time.Since(start) > 2*time.Second {
				t.Fatal("no invalidation for our own Create")
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	for start := time.Now(); ; {
		r, err := x.lc.Load(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if r.Shared || !x.tr.Live() || time.Since(start) > 2*time.Second {
			return r // cached (a hit), or not cacheable now
		}
	}
}

// waitLoad polls the LocalCache until done accepts what Load returns and
// returns how long that took.
func waitLoad(t *testing.T, lc *sessions.LocalCache, key string, done func(sessions.Record, error) bool) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < 5*time.Second {
		r, err := lc.Load(context.Background(), key)
		if done(r, err) {
			return time.Since(start)
		}
		time.Sleep(100 * time.Microsecond)
	}
	t.Fatalf("%s: the cache still serves the old session after 5s", key)
	return 0
}

func gone(_ sessions.Record, err error) bool { return errors.Is(err, sessions.ErrNotFound) }

func userIs(id string) func(sessions.Record, error) bool {
	return func(r sessions.Record, err error) bool {
		if err != nil {
			return false
		}
		v, _ := r.Data.Get("_auth_user_id")
		return v == id
	}
}

// A change made by another client evicts the cached session within the
// time Redis takes to push one message.
func TestTrackingEvicts(t *testing.T) {
	x := newTracked(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, rkey string)
		done   func(sessions.Record, error) bool
	}{
		{"delete", func(t *testing.T, rkey string) {
			if err := x.other.Del(ctx, rkey).Err(); err != nil {
				t.Fatal(err)
			}
		}, gone},
		{"overwrite", func(t *testing.T, rkey string) {
			// Another writer's pickled dict: the bytes of a scratch
			// session written by the store.
			if _, err := x.store.Create(ctx, sessions.Record{Key: "scratch", Data: obj("_auth_user_id", "7"), Expiry: time.Now().Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			val, err := x.other.Get(ctx, x.store.RedisKey("scratch")).Bytes()
			if err != nil {
				t.Fatal(err)
			}
			if err := x.other.Set(ctx, rkey, val, time.Hour).Err(); err != nil {
				t.Fatal(err)
			}
		}, userIs("7")},
		{"expire", func(t *testing.T, rkey string) {
			if err := x.other.PExpire(ctx, rkey, time.Millisecond).Err(); err != nil {
				t.Fatal(err)
			}
		}, gone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := "sess" + tc.name
			x.login(t, key)
			// Served from memory: a change Redis does not announce (none
			// here) would not be seen.
			if r, err := x.lc.Load(ctx, key); err != nil || !r.Shared {
				t.Fatalf("second load: %v, shared %v; want a cache hit", err, r.Shared)
			}
			tc.change(t, x.store.RedisKey(key))
			d := waitLoad(t, x.lc, key, tc.done)
			t.Logf("%s by another client seen after %v", tc.name, d)
			if d > 50*time.Millisecond {
				t.Errorf("%s took %v to be seen, want well under 50ms", tc.name, d)
			}
		})
	}
	if x.tr.Events() < 3 {
		t.Errorf("Events %d, want at least 3", x.tr.Events())
	}
}

// Keys outside the sessions' prefix evict nothing.
func TestTrackingIgnoresOtherKeys(t *testing.T) {
	x := newTracked(t)
	ctx := context.Background()
	x.login(t, "kept")
	before := x.tr.Events()
	for _, k := range []string{
		x.prefix + ":1:other",
		x.prefix + ":1:" + redisstore.CachedDBPrefix + "kept",
		x.prefix + ":2:" + redisstore.CachePrefix + "kept",
		x.prefix + "x:1:" + redisstore.CachePrefix + "kept",
	} {
		if err := x.other.Set(ctx, k, "v", time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// A session change afterwards: once its eviction is seen, the
	// messages for the keys above (none) have been delivered too.
	x.login(t, "marker")
	before = x.tr.Events()
	if err := x.other.Del(ctx, x.store.RedisKey("marker")).Err(); err != nil {
		t.Fatal(err)
	}
	waitLoad(t, x.lc, "marker", gone)
	if got := x.tr.Events() - before; got != 1 {
		t.Errorf("%d invalidations, want only marker's", got)
	}
	if r, err := x.lc.Load(ctx, "kept"); err != nil || !r.Shared {
		t.Fatalf("kept: %v, shared %v; want still cached", err, r.Shared)
	}
}

// A killed connection makes the cache bypassed at once; once the tracker
// is back the cache is flushed and invalidations flow again.
func TestTrackingOutage(t *testing.T) {
	x := newTracked(t)
	ctx := context.Background()
	x.login(t, "s1")
	id := x.tr.ClientID()
	if id == 0 {
		t.Fatal("no client id")
	}
	x.blocked.Store(true)
	start := time.Now()
	if err := x.other.ClientKillByFilter(ctx, "ID", itoa(id)).Err(); err != nil {
		t.Fatal(err)
	}
	for x.tr.Live() {
		if time.Since(start) > 2*time.Second {
			t.Fatal("still live 2s after the connection was killed")
		}
		time.Sleep(100 * time.Microsecond)
	}
	t.Logf("Live false %v after CLIENT KILL", time.Since(start))
	// During the outage a change is never served stale: the cache is
	// bypassed.
	if err := x.other.Del(ctx, x.store.RedisKey("s1")).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := x.lc.Load(ctx, "s1"); !errors.Is(err, sessions.ErrNotFound) {
		t.Fatalf("load during the outage: %v, want ErrNotFound", err)
	}
	x.login(t, "s2") // loaded while down: not cached
	if r, _ := x.lc.Load(ctx, "s2"); r.Shared {
		t.Fatal("a session loaded during the outage was cached")
	}
	time.Sleep(300 * time.Millisecond) // a few failed attempts
	if x.tr.Live() || x.tr.Resets() != 0 {
		t.Fatal("live while the tracker cannot connect")
	}
	x.blocked.Store(false)
	start = time.Now()
	for !x.tr.Live() {
		if time.Since(start) > 3*time.Second {
			t.Fatal("not back 3s after dials were allowed again")
		}
		time.Sleep(time.Millisecond)
	}
	t.Logf("back %v after dials were allowed", time.Since(start))
	if x.tr.Resets() != 1 || x.tr.ClientID() == id || x.tr.ClientID() == 0 {
		t.Fatalf("Resets %d, client id %d (was %d)", x.tr.Resets(), x.tr.ClientID(), id)
	}
	// Invalidation works again.
	x.login(t, "s3")
	if r, err := x.lc.Load(ctx, "s3"); err != nil || !r.Shared {
		t.Fatalf("s3 not cached after recovery: %v", err)
	}
	if err := x.other.Del(ctx, x.store.RedisKey("s3")).Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("delete after recovery seen after %v", waitLoad(t, x.lc, "s3", gone))
}

// A silently dead connection (no answer to PING) is an outage too: the
// tracker's dials go through a proxy that stops forwarding.
func TestTrackingHeartbeat(t *testing.T) {
	c, prefix := testenv.Redis(t)
	store, err := redisstore.NewCache(c, redisstore.Options{KeyPrefix: prefix, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	lc, err := sessions.NewLocalCache(store, sessions.LocalCacheOptions{TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	var frozen atomic.Bool
	ro := *c.Options()
	ro.Dialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		cn, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &freezable{Conn: cn, frozen: &frozen}, nil
	}
	hb := 100 * time.Millisecond
	ro.ReadTimeout = hb // the reconnection's handshake on a frozen connection
	tr, err := redisstore.Track(context.Background(), store, redisstore.TrackingOptions{Target: lc, Redis: &ro, Heartbeat: hb, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	frozen.Store(true)
	start := time.Now()
	for tr.Live() {
		if time.Since(start) > 10*hb {
			t.Fatal("still live 10 heartbeats after the connection froze")
		}
		time.Sleep(time.Millisecond)
	}
	t.Logf("frozen connection detected after %v (heartbeat %v)", time.Since(start), hb)
}

// freezable is a connection whose reads return nothing once frozen, as
// with a peer that vanished without closing.
type freezable struct {
	net.Conn
	frozen *atomic.Bool
}

func (f *freezable) Read(p []byte) (int, error) {
	n, err := f.Conn.Read(p)
	for f.frozen.Load() && err == nil {
		// Drop what arrived and wait for more (or the deadline).
		n, err = f.Conn.Read(p)
	}
	return n, err
}

// Close stops the goroutine and the connection.
func TestTrackingCloseLeaksNothing(t *testing.T) {
	c, prefix := testenv.Redis(t)
	store, err := redisstore.NewCache(c, redisstore.Options{KeyPrefix: prefix, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	lc, err := sessions.NewLocalCache(store, sessions.LocalCacheOptions{})
	if err != nil {
		t.Fatal(err)
	}
	other := redis.NewClient(&redis.Options{Addr: testenv.RedisAddr()})
	defer other.Close()
	base := runtime.NumGoroutine()
	for range 3 {
		tr, err := redisstore.Track(context.Background(), store, redisstore.TrackingOptions{Target: lc, Logger: quiet()})
		if err != nil {
			t.Fatal(err)
		}
		id := tr.ClientID()
		start := time.Now()
		if err := tr.Close(); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Errorf("Close took %v", d)
		}
		if tr.Live() {
			t.Fatal("live after Close")
		}
		tr.Close() // idempotent
		// The server no longer lists the connection.
		list, err := other.ClientList(context.Background()).Result()
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(2 * time.Second)
		for containsID(list, id) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
			list, _ = other.ClientList(context.Background()).Result()
		}
		if containsID(list, id) {
			t.Fatalf("connection %d still open after Close", id)
		}
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines after Close, %d before:\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
}

func containsID(clientList string, id int64) bool {
	return strings.Contains(clientList, "id="+itoa(id)+" ")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestTrackingOptions(t *testing.T) {
	c, prefix := testenv.Redis(t)
	store, err := redisstore.NewCache(c, redisstore.Options{KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := redisstore.Track(ctx, store, redisstore.TrackingOptions{}); err == nil {
		t.Error("no Target: no error")
	}
	lc, _ := sessions.NewLocalCache(store, sessions.LocalCacheOptions{})
	if _, err := redisstore.Track(ctx, store, redisstore.TrackingOptions{Target: lc, Heartbeat: -1}); err == nil {
		t.Error("negative Heartbeat: no error")
	}
	hashed, err := redisstore.NewCache(c, redisstore.Options{KeyFunc: func(k string) string { return "h:" + itoa(int64(len(k))) }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := redisstore.Track(ctx, hashed, redisstore.TrackingOptions{Target: lc}); err == nil {
		t.Error("a KeyFunc without the key as suffix: no error")
	}
	ring := redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": testenv.RedisAddr()}})
	defer ring.Close()
	rs, err := redisstore.NewCache(ring, redisstore.Options{KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := redisstore.Track(ctx, rs, redisstore.TrackingOptions{Target: lc}); err == nil {
		t.Error("a Ring client without TrackingOptions.Redis: no error")
	}
	// Nothing listens there: a connection error, not a refusal.
	_, err = redisstore.Track(ctx, store, redisstore.TrackingOptions{Target: lc, Redis: &redis.Options{Addr: "127.0.0.1:1", DialTimeout: 100 * time.Millisecond}})
	if err == nil || errors.Is(err, redisstore.ErrTrackingUnavailable) {
		t.Errorf("unreachable server: %v", err)
	}
}

// SessionKey inverts RedisKey, and accepts only keys RedisKey makes.
func FuzzSessionKey(f *testing.F) {
	f.Add("", 0, "abc", ":1:django.contrib.sessions.cacheabc")
	f.Add("pfx", 3, "k:1:x", "pfx:3:django.contrib.sessions.cached_dbk")
	f.Add("a:1:", 1, "", ":1:django.contrib.sessions.cache")
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:0"})
	defer c.Close()
	f.Fuzz(func(t *testing.T, prefix string, version int, key, raw string) {
		if version < 0 || version > 1000 {
			return
		}
		s, err := redisstore.NewCache(c, redisstore.Options{KeyPrefix: prefix, Version: version})
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := s.SessionKey(s.RedisKey(key)); key != "" && (!ok || got != key) {
			t.Fatalf("SessionKey(RedisKey(%q)) = %q, %v", key, got, ok)
		}
		if k, ok := s.SessionKey(raw); ok && (k == "" || s.RedisKey(k) != raw) {
			t.Fatalf("SessionKey(%q) = %q, but RedisKey gives %q", raw, k, s.RedisKey(k))
		}
	})
}

// fakeRedis answers RESP2 commands with reply(args) on a local port, as a
// server (or proxy) that refuses CLIENT TRACKING would.
func fakeRedis(t *testing.T, reply func(args []string) string) string {
	return fakeredis.Serve(t, reply)
}

// A server that refuses tracking makes Track fail with
// ErrTrackingUnavailable, at once.
func TestTrackingRefused(t *testing.T) {
	for _, tc := range []struct {
		name, tracking, subscribe string
		refused                   bool
	}{
		{"Redis 5", "-ERR Unknown subcommand or wrong number of arguments for 'TRACKING'. Try CLIENT HELP\r\n", "", true},
		{"ACL", "-NOPERM this user has no permissions to run the 'client|tracking' command\r\n", "", true},
		{"ACL channel", "", "-NOPERM this user has no permissions to access one of the channels used as arguments\r\n", true},
		{"proxy", "", "-ERR unknown command 'SUBSCRIBE'\r\n", true},
		{"loading", "-LOADING Redis is loading the dataset in memory\r\n", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := fakeRedis(t, func(args []string) string {
				switch strings.ToUpper(strings.Join(args[:min(2, len(args))], " ")) {
				case "CLIENT ID":
					return ":7\r\n"
				case "CLIENT TRACKING":
					if tc.tracking != "" {
						return tc.tracking
					}
				case "SUBSCRIBE __REDIS__:INVALIDATE":
					if tc.subscribe != "" {
						return tc.subscribe
					}
					return "*3\r\n$9\r\nsubscribe\r\n$20\r\n__redis__:invalidate\r\n:1\r\n"
				}
				if strings.EqualFold(args[0], "hello") {
					return "-ERR unknown command 'HELLO'\r\n"
				}
				return "+OK\r\n"
			})
			c := redis.NewClient(&redis.Options{Addr: addr})
			defer c.Close()
			store, err := redisstore.NewCache(c, redisstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			lc, _ := sessions.NewLocalCache(store, sessions.LocalCacheOptions{})
			start := time.Now()
			tr, err := redisstore.Track(context.Background(), store, redisstore.TrackingOptions{Target: lc, Logger: quiet()})
			if err == nil {
				tr.Close()
				t.Fatal("no error")
			}
			if errors.Is(err, redisstore.ErrTrackingUnavailable) != tc.refused {
				t.Fatalf("error %v: ErrTrackingUnavailable %v, want %v", err, !tc.refused, tc.refused)
			}
			t.Logf("%v (after %v)", err, time.Since(start))
		})
	}
}

// recorder is an Invalidator that records what it was told.
type recorder struct {
	mu      sync.Mutex
	keys    []string
	flushes int
}

func (r *recorder) Invalidate(k string) { r.mu.Lock(); r.keys = append(r.keys, k); r.mu.Unlock() }
func (r *recorder) Flush()              { r.mu.Lock(); r.flushes++; r.mu.Unlock() }
func (r *recorder) state() ([]string, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.keys...), r.flushes
}

// FLUSHALL and FLUSHDB arrive as a nil list of keys: the whole cache is
// flushed and the connection stays (no outage). The shared Redis is never
// flushed: a fake server sends what Redis 7 sends.
func TestTrackingFlushAll(t *testing.T) {
	const channel = "$20\r\n__redis__:invalidate\r\n"
	key := ":1:" + redisstore.CachePrefix + "abc"
	addr := fakeRedis(t, func(args []string) string {
		switch strings.ToUpper(args[0]) {
		case "HELLO":
			return "-ERR unknown command 'HELLO'\r\n"
		case "CLIENT":
			if strings.EqualFold(args[1], "id") {
				return ":7\r\n"
			}
			return "+OK\r\n"
		case "SUBSCRIBE":
			return "*3\r\n$9\r\nsubscribe\r\n" + channel + ":1\r\n" +
				"*3\r\n$7\r\nmessage\r\n" + channel + "*-1\r\n" + // FLUSHALL
				"*3\r\n$7\r\nmessage\r\n" + channel + "*2\r\n$" + itoa(int64(len(key))) + "\r\n" + key + "\r\n$5\r\nother\r\n"
		case "PING":
			return "*2\r\n$4\r\npong\r\n$0\r\n\r\n"
		}
		return "+OK\r\n"
	})
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	store, err := redisstore.NewCache(c, redisstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec := new(recorder)
	tr, err := redisstore.Track(context.Background(), store, redisstore.TrackingOptions{Target: rec, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	for start := time.Now(); ; time.Sleep(time.Millisecond) {
		keys, flushes := rec.state()
		if len(keys) == 1 && keys[0] == "abc" && flushes == 2 && tr.Flushes() == 1 {
			break // Track's own flush, then FLUSHALL's
		}
		if time.Since(start) > 2*time.Second {
			t.Fatalf("keys %q, flushes %d (tracker %d); want [abc] and 2", keys, flushes, tr.Flushes())
		}
	}
	if !tr.Live() || tr.Resets() != 0 {
		t.Fatalf("live %v, resets %d: FLUSHALL is not an outage", tr.Live(), tr.Resets())
	}
}
