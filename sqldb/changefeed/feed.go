package changefeed

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Kind is what changed.
type Kind byte

// The kinds of change. Their values are the one-letter codes the triggers
// write.
const (
	// Session: the django_session row of Key (a session key) changed or
	// was deleted.
	Session Kind = 's'
	// User: the user row of Key (str(pk)) changed or was deleted.
	User Kind = 'u'
	// UserPerms: the groups or direct permissions of user Key changed.
	UserPerms Kind = 'p'
	// AllPerms: a group, a permission or a group's permissions changed,
	// which may change anyone's permissions; Key is empty.
	AllPerms Kind = 'a'
)

func (k Kind) valid() bool { return k == Session || k == User || k == UserPerms || k == AllPerms }

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case Session:
		return "session"
	case User:
		return "user"
	case UserPerms:
		return "user_perms"
	case AllPerms:
		return "all_perms"
	}
	return "kind(" + string(rune(k)) + ")"
}

// Event is one change: Key as the database holds it (a session key, or the
// user's key as text: an integer, or a UUID with or without dashes).
type Event struct {
	Kind Kind
	Key  string
}

// Options configure Listen and Poll.
type Options struct {
	// OnEvent is called for every change, from the feed's goroutine, one
	// at a time; it must be quick (evict a cache entry). Required.
	OnEvent func(Event)
	// OnReset is called when the feed comes back after an outage, before
	// Live turns true again: every change of the outage may have been
	// missed, so the caller drops everything. Required.
	OnReset func()
	// Logger reports outages and recoveries; nil means slog.Default().
	Logger *slog.Logger
	// LiveFlag, when set, is where the feed keeps the state Live reports,
	// so that a cache built before the feed starts can read it with one
	// atomic load (Options.Live: flag.Load); it is false until the feed
	// starts. Nil means a flag of the feed's own.
	LiveFlag *atomic.Bool

	// Interval is the change log's poll interval (Poll); zero means
	// DefaultInterval.
	Interval time.Duration
	// Retention is how long change-log rows are kept (Poll): any poller
	// deletes older ones. A poller that has not polled successfully for
	// more than half of it resets. Zero means DefaultRetention.
	Retention time.Duration
	// Timeout bounds one poll (Poll) or one heartbeat query (Listen); a
	// poll that takes longer counts as an outage. Zero means
	// DefaultTimeout.
	Timeout time.Duration
	// Heartbeat is how long the LISTEN connection may be silent before a
	// query checks that it is still alive (Listen); zero means
	// DefaultHeartbeat.
	Heartbeat time.Duration
	// MaxBackoff bounds the wait between reconnection attempts (Listen);
	// zero means DefaultMaxBackoff.
	MaxBackoff time.Duration
}

// Defaults of Options.
const (
	DefaultInterval   = 50 * time.Millisecond
	DefaultRetention  = time.Minute
	DefaultTimeout    = time.Second
	DefaultHeartbeat  = 5 * time.Second
	DefaultMaxBackoff = 5 * time.Second
	minBackoff        = 50 * time.Millisecond
)

func (o *Options) setDefaults() error {
	if o.OnEvent == nil || o.OnReset == nil {
		return errors.New("changefeed: OnEvent and OnReset are required")
	}
	if o.Interval < 0 || o.Retention < 0 || o.Timeout < 0 || o.Heartbeat < 0 || o.MaxBackoff < 0 {
		return errors.New("changefeed: negative duration in Options")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Interval == 0 {
		o.Interval = DefaultInterval
	}
	if o.Retention == 0 {
		o.Retention = DefaultRetention
	}
	if o.Retention < 2*time.Second {
		o.Retention = 2 * time.Second
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Heartbeat == 0 {
		o.Heartbeat = DefaultHeartbeat
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	return nil
}

// Feed delivers the changes of one database to OnEvent from one goroutine:
// a LISTEN connection (Listen) or a change-log poller (Poll).
type Feed struct {
	opts   Options
	live   *atomic.Bool
	resets atomic.Int64
	events atomic.Int64
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

func newFeed(opts Options) *Feed {
	live := opts.LiveFlag
	if live == nil {
		live = new(atomic.Bool)
	}
	live.Store(false)
	return &Feed{opts: opts, live: live, done: make(chan struct{})}
}

// start turns Live true and runs the feed's goroutine until Close.
func (f *Feed) start(run func(ctx context.Context)) {
	f.live.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	go run(ctx)
}

// Live reports whether the feed is delivering changes: false from the
// moment an outage is seen until the feed is back and OnReset has run.
// While it is false, a cache must not trust what it holds. It is one
// atomic load.
func (f *Feed) Live() bool { return f.live.Load() }

// Resets returns how many times the feed came back after an outage.
func (f *Feed) Resets() int64 { return f.resets.Load() }

// Events returns how many events the feed delivered.
func (f *Feed) Events() int64 { return f.events.Load() }

// Close stops the feed and waits for its goroutine; Live is false after
// it. It is idempotent.
func (f *Feed) Close() error {
	f.once.Do(func() {
		f.cancel()
		<-f.done
		f.live.Store(false)
	})
	return nil
}

// down marks an outage; it logs the first failure of a run.
func (f *Feed) down(msg string, err error) {
	if f.live.Swap(false) {
		f.opts.Logger.Warn("cache invalidation feed down: caches bypassed until it is back", "reason", msg, "err", err)
	}
}

// up ends an outage: OnReset first, then Live.
func (f *Feed) up() {
	f.opts.OnReset()
	f.resets.Add(1)
	f.live.Store(true)
	f.opts.Logger.Info("cache invalidation feed back: caches flushed")
}

func (f *Feed) deliver(e Event) {
	f.events.Add(1)
	f.opts.OnEvent(e)
}

// sleep waits d or until ctx ends; it reports whether ctx is still alive.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
