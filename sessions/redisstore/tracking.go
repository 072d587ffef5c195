package redisstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// InvalidateChannel is the Pub/Sub channel on which Redis delivers the
// invalidation messages of a tracking connection redirected to a RESP2
// connection.
const InvalidateChannel = "__redis__:invalidate"

// Defaults of TrackingOptions.
const (
	DefaultTrackingHeartbeat  = time.Second
	DefaultTrackingMaxBackoff = 5 * time.Second
	minTrackingBackoff        = 50 * time.Millisecond
	// trackingLogEvery bounds how often failed reconnection attempts are
	// logged during one outage.
	trackingLogEvery = 30 * time.Second
)

// ErrTrackingUnavailable is returned (wrapped) by Track when the server
// refuses client-side caching: Redis before 6.0, a proxy or managed
// service that disables CLIENT TRACKING or Pub/Sub, or an ACL that denies
// them. The fallback is a cache trusted for its TTL only.
var ErrTrackingUnavailable = errors.New("redisstore: Redis refuses CLIENT TRACKING")

// Invalidator is what a Tracker evicts: a *sessions.LocalCache in front of
// the Cache.
type Invalidator interface {
	// Invalidate drops the entry of one session key.
	Invalidate(key string)
	// Flush drops every entry.
	Flush()
}

// TrackingOptions configure Track. The zero value is usable once Target is
// set.
type TrackingOptions struct {
	// Target receives the evictions. Required.
	Target Invalidator
	// Redis holds the options of the tracker's dedicated connection; nil
	// means those of the Cache's client, which must then be a
	// *redis.Client. Protocol, pool and retry settings are overridden.
	Redis *redis.Options
	// LiveFlag, when set, is where the tracker keeps the state Live
	// reports, so that a cache built before the tracker starts can read it
	// with one atomic load (sessions.LocalCacheOptions.Live: flag.Load).
	// It is false until Track succeeds. Nil means a flag of the tracker's
	// own.
	LiveFlag *atomic.Bool
	// Heartbeat is how long the connection may be silent before a PING
	// checks it; an unanswered PING for as long again is an outage. Zero
	// means DefaultTrackingHeartbeat.
	Heartbeat time.Duration
	// MaxBackoff bounds the wait between reconnection attempts; zero means
	// DefaultTrackingMaxBackoff.
	MaxBackoff time.Duration
	// Logger reports outages and recoveries; nil means the Cache's.
	Logger *slog.Logger
}

// Tracker keeps a sessions.LocalCache in front of a Cache current with
// Redis's server-assisted client-side caching: one dedicated connection runs
// CLIENT TRACKING ON REDIRECT <its own id> BCAST PREFIX <the sessions' key
// prefix> and SUBSCRIBE __redis__:invalidate over RESP2, so that every
// write, deletion, expiry or eviction of a session key, by any client
// (Django's logout included), makes Redis publish the key and the tracker
// evict the session. See the package doc, "Invalidation".
type Tracker struct {
	cache   *Cache
	opts    TrackingOptions
	head    string // the tracked prefix
	client  *redis.Client
	live    *atomic.Bool
	connID  atomic.Int64 // CLIENT ID of the current connection
	resets  atomic.Int64
	events  atomic.Int64
	flushes atomic.Int64
	cancel  context.CancelFunc
	done    chan struct{}
	once    sync.Once
	mu      sync.Mutex
	ps      *redis.PubSub // the current subscription, closed by Close
	closed  bool
}

// trackingRefused marks an error reply to CLIENT ID or CLIENT TRACKING.
type trackingRefused struct{ err error }

func (e *trackingRefused) Error() string {
	return "the server refuses CLIENT TRACKING or SUBSCRIBE: " + e.err.Error()
}
func (e *trackingRefused) Unwrap() []error { return []error{ErrTrackingUnavailable, e.err} }

// Track starts the tracker of cache's sessions, evicting them from
// opts.Target. It fails (ErrTrackingUnavailable, wrapped, when the server
// refuses tracking) unless the first connection subscribes with tracking
// on; later outages are retried with backoff (50 ms doubling to
// MaxBackoff), Live being false meanwhile, and every reconnection ends
// with Target.Flush before Live turns true. Close stops it.
func Track(ctx context.Context, cache *Cache, opts TrackingOptions) (*Tracker, error) {
	if cache == nil || opts.Target == nil {
		return nil, errors.New("redisstore: Track: nil Cache or Target")
	}
	if opts.Heartbeat < 0 || opts.MaxBackoff < 0 {
		return nil, errors.New("redisstore: Track: negative duration in TrackingOptions")
	}
	if opts.Heartbeat == 0 {
		opts.Heartbeat = DefaultTrackingHeartbeat
	}
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = DefaultTrackingMaxBackoff
	}
	if opts.Logger == nil {
		opts.Logger = cache.log
	}
	head, ok := cache.keyHead()
	if !ok {
		return nil, errors.New("redisstore: Track: the KeyFunc does not end its keys with the session key, so no prefix covers them")
	}
	ro := opts.Redis
	if ro == nil {
		rc, ok := cache.c.(*redis.Client)
		if !ok {
			return nil, fmt.Errorf("redisstore: Track: the Cache's client is a %T; set TrackingOptions.Redis", cache.c)
		}
		ro = rc.Options()
	}
	t := &Tracker{cache: cache, opts: opts, head: head, live: opts.LiveFlag, done: make(chan struct{})}
	if t.live == nil {
		t.live = new(atomic.Bool)
	}
	t.live.Store(false)
	t.client = redis.NewClient(t.connOptions(ro))

	ps, err := t.connect(ctx)
	if err != nil {
		t.client.Close()
		return nil, err
	}
	t.ps = ps
	opts.Target.Flush()
	t.live.Store(true)
	rctx, cancel := context.WithCancel(context.Background())
	t.cancel = cancel
	go t.run(rctx, ps)
	return t, nil
}

// connOptions copies ro for the dedicated connection: RESP2 (invalidations
// as Pub/Sub messages), no retries, and tracking turned on as the
// connection opens, before it subscribes.
func (t *Tracker) connOptions(ro *redis.Options) *redis.Options {
	o := *ro
	o.Protocol = 2
	o.PoolSize, o.MinIdleConns, o.MaxIdleConns, o.MaxActiveConns = 1, 0, 0, 0
	o.MaxRetries = -1
	o.DisableIdentity = true // no CLIENT SETINFO
	userHook := ro.OnConnect
	o.OnConnect = func(ctx context.Context, cn *redis.Conn) error {
		if userHook != nil {
			if err := userHook(ctx, cn); err != nil {
				return err
			}
		}
		id, err := cn.ClientID(ctx).Result()
		if err != nil {
			return refusal(err)
		}
		err = cn.Do(ctx, "CLIENT", "TRACKING", "ON", "REDIRECT", strconv.FormatInt(id, 10),
			"BCAST", "PREFIX", t.head, "NOLOOP").Err()
		if err != nil {
			return refusal(err)
		}
		t.connID.Store(id)
		return nil
	}
	return &o
}

// refusal marks an error reply to CLIENT ID or CLIENT TRACKING as the
// server refusing tracking; network errors and the replies of a server that
// is only busy for now are returned as they are.
func refusal(err error) error {
	var re redis.Error
	if !errors.As(err, &re) || errors.Is(err, redis.Nil) {
		return err
	}
	switch code, _, _ := strings.Cut(re.Error(), " "); code {
	case "LOADING", "BUSY", "TRYAGAIN", "MASTERDOWN", "CLUSTERDOWN":
		return err
	}
	return &trackingRefused{err}
}

// subscribeRefused reports the reply of a server that refuses SUBSCRIBE
// itself: an ACL without the channel, or a proxy without Pub/Sub. (Other
// replies, such as a wrong password or too many clients, are not about
// tracking.)
func subscribeRefused(err error) bool {
	var re redis.Error
	if !errors.As(err, &re) {
		return false
	}
	msg := strings.ToLower(re.Error())
	return strings.HasPrefix(msg, "noperm") || strings.Contains(msg, "unknown command")
}

// connect opens the connection (OnConnect turns tracking on) and waits for
// the subscription's confirmation.
func (t *Tracker) connect(ctx context.Context) (*redis.PubSub, error) {
	ctx, cancel := context.WithTimeout(ctx, t.opts.Heartbeat+t.client.Options().DialTimeout+t.client.Options().ReadTimeout)
	defer cancel()
	t.connID.Store(0)
	ps := t.client.Subscribe(ctx, InvalidateChannel)
	msg, err := ps.ReceiveTimeout(ctx, t.opts.Heartbeat)
	if err == nil {
		if s, ok := msg.(*redis.Subscription); !ok || s.Kind != "subscribe" || s.Channel != InvalidateChannel {
			err = fmt.Errorf("unexpected reply %v", msg)
		}
	}
	if err != nil {
		ps.Close()
		var tr *trackingRefused
		if !errors.As(err, &tr) && subscribeRefused(err) {
			err = &trackingRefused{err}
		}
		return nil, fmt.Errorf("redisstore: tracking connection: %w", err)
	}
	return ps, nil
}

// run reads the invalidations until Close, reconnecting after outages.
func (t *Tracker) run(ctx context.Context, ps *redis.PubSub) {
	defer close(t.done)
	defer t.setPubSub(nil)
	// backoff is the wait before the next connection attempt: none after
	// a connection that lasted, growing while attempts fail or connections
	// drop at once (a flapping server: at most two log lines per
	// MaxBackoff).
	backoff := time.Duration(0)
	var lastLog time.Time
	upSince := time.Now()
	grow := func() { backoff = min(max(2*backoff, minTrackingBackoff), t.opts.MaxBackoff) }
	for {
		if ps == nil {
			if !sleep(ctx, backoff) {
				return
			}
			var err error
			if ps, err = t.connect(ctx); err != nil {
				if ctx.Err() != nil {
					return
				}
				if time.Since(lastLog) >= trackingLogEvery {
					lastLog = time.Now()
					t.opts.Logger.Warn("Redis session tracking: reconnection failed; the session cache stays bypassed", "err", err)
				}
				grow()
				continue
			}
			if !t.setPubSub(ps) {
				return
			}
			upSince = time.Now()
			t.opts.Target.Flush()
			t.resets.Add(1)
			t.live.Store(true)
			t.opts.Logger.Info("Redis session tracking back: session cache flushed", "client_id", t.connID.Load())
		}
		err := t.read(ctx, ps)
		if ctx.Err() != nil {
			return
		}
		if time.Since(upSince) < time.Second {
			grow()
		} else {
			backoff = 0
		}
		if t.live.Swap(false) {
			lastLog = time.Now()
			t.opts.Logger.Warn("Redis session tracking down: session cache bypassed until it is back", "err", err)
		}
		t.setPubSub(nil)
		ps = nil
		t.connID.Store(0)
	}
}

// setPubSub closes the current subscription and makes ps the current one;
// after Close it closes ps too and reports false.
func (t *Tracker) setPubSub(ps *redis.PubSub) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ps != nil {
		t.ps.Close()
	}
	t.ps = ps
	if t.closed && ps != nil {
		ps.Close()
		t.ps = nil
		return false
	}
	return true
}

// read delivers invalidations from ps until an error: a lost connection or
// an unanswered heartbeat.
func (t *Tracker) read(ctx context.Context, ps *redis.PubSub) error {
	pinged := false
	for {
		msg, err := ps.ReceiveTimeout(ctx, t.opts.Heartbeat)
		if err != nil && isFlushAll(err) {
			// FLUSHALL or FLUSHDB: the whole reply was read, the
			// connection is fine.
			t.opts.Target.Flush()
			t.flushes.Add(1)
			pinged = false
			continue
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && !pinged && ctx.Err() == nil {
				if err := ps.Ping(ctx); err != nil {
					return err
				}
				pinged = true
				continue
			}
			if pinged && errors.As(err, &ne) && ne.Timeout() {
				return fmt.Errorf("no answer to PING within %v: %w", 2*t.opts.Heartbeat, err)
			}
			return err
		}
		pinged = false
		switch m := msg.(type) {
		case *redis.Message:
			if m.Channel != InvalidateChannel {
				continue
			}
			if m.Payload != "" {
				t.invalidate(m.Payload)
			}
			for _, k := range m.PayloadSlice {
				t.invalidate(k)
			}
		case *redis.Subscription:
			if m.Kind == "unsubscribe" {
				return errors.New("unsubscribed")
			}
		}
	}
}

// isFlushAll reports the invalidation of every key (FLUSHALL, FLUSHDB),
// which Redis sends as a nil list and go-redis v9 reports as an
// unsupported payload, after reading the whole reply.
func isFlushAll(err error) bool {
	return strings.HasSuffix(err.Error(), "unsupported pubsub message payload: <nil>")
}

func (t *Tracker) invalidate(redisKey string) {
	if k, ok := t.cache.SessionKey(redisKey); ok {
		t.events.Add(1)
		t.opts.Target.Invalidate(k)
	}
}

// Live reports whether invalidations are being delivered: false from the
// moment an outage is seen until the tracker has resubscribed, turned
// tracking on again and flushed Target. While it is false a cache must not
// trust what it holds. It is one atomic load.
func (t *Tracker) Live() bool { return t.live.Load() }

// ClientID returns the Redis CLIENT ID of the tracking connection (as
// CLIENT LIST shows it), or 0 while there is none.
func (t *Tracker) ClientID() int64 { return t.connID.Load() }

// Resets returns how many times the tracker came back after an outage.
func (t *Tracker) Resets() int64 { return t.resets.Load() }

// Flushes returns how many invalidations of every key (FLUSHALL, FLUSHDB)
// the tracker received; each flushed Target.
func (t *Tracker) Flushes() int64 { return t.flushes.Load() }

// Events returns how many session keys the tracker invalidated.
func (t *Tracker) Events() int64 { return t.events.Load() }

// Close stops the tracker, closes its connection and waits for its
// goroutine; Live is false after it. It is idempotent.
func (t *Tracker) Close() error {
	var err error
	t.once.Do(func() {
		t.cancel()
		t.mu.Lock()
		t.closed = true
		if t.ps != nil {
			t.ps.Close() // unblocks the read
			t.ps = nil
		}
		t.mu.Unlock()
		<-t.done
		t.live.Store(false)
		err = t.client.Close()
	})
	return err
}

// sleep waits d or until ctx ends; it reports whether ctx is still alive.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-tm.C:
		return true
	}
}
