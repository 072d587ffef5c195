package sessions

import (
	"context"
	"errors"
	"time"

	"github.com/dmr-go/dmr/internal/ttlcache"
)

// Defaults of LocalCacheOptions.
const (
	DefaultLocalCacheTTL        = time.Second
	DefaultLocalCacheMaxEntries = 10_000
)

// LocalCacheOptions configure NewLocalCache.
type LocalCacheOptions struct {
	// TTL is how long a loaded session is served from memory: the staleness
	// bound for changes made outside this process. Zero means
	// DefaultLocalCacheTTL; negative is an error.
	TTL time.Duration
	// MaxEntries bounds the number of cached sessions; zero means
	// DefaultLocalCacheMaxEntries. When full, an expired entry or else an
	// arbitrary one makes room.
	MaxEntries int
	// Now is the clock; nil means time.Now. For tests.
	Now func() time.Time
	// Live, when set, says whether an invalidation feed (package
	// sqldb/changefeed, or redisstore.Track for sessions in Redis) is
	// delivering the changes made elsewhere: while it
	// returns false the cache is bypassed (Load misses and does not store
	// what it loaded). The feed evicts through Invalidate and Flush, so the
	// staleness bound becomes the feed's and TTL is only a safety net. Nil
	// means no feed: entries are trusted for TTL, as without this option.
	// It is called on every Load: it should be an atomic load.
	Live func() bool
}

// LocalCache is a Store that keeps the sessions Load returned in this
// process's memory for a short time to live, in front of another Store. It
// saves the database round trip, the signature check and the decoding of the
// session on every request of a logged-in user.
//
// The bound it keeps: a session changed or deleted by another process (a
// logout in Django, or in another replica of this server) is still served
// here for at most TTL after that change; changes made through this
// LocalCache (Create, Save, Delete: this process's own logins and logouts)
// take effect immediately, including for loads that were in flight when they
// happened. Expiry is checked on every hit. Use it only where a revocation
// made elsewhere may take TTL to arrive.
//
// Saves still go to the wrapped store with compare-and-swap: a Version that
// is stale because another process saved the session meanwhile makes Save
// return ErrConflict, the entry is dropped, and the middleware's reload gets
// the fresh row.
//
// A cache hit returns the cached data itself, with Record.Shared set:
// whoever changes it must clone it first (Session does).
// A Record's Attachment is passed on from the load that made it and never
// cached: a hit has none.
type LocalCache struct {
	next  Store
	now   func() time.Time
	live  func() bool
	cache *ttlcache.Cache[string, Record]
}

var _ Store = (*LocalCache)(nil)

// NewLocalCache returns a LocalCache in front of next.
func NewLocalCache(next Store, opts LocalCacheOptions) (*LocalCache, error) {
	if next == nil {
		return nil, errors.New("sessions: NewLocalCache: nil Store")
	}
	if opts.TTL < 0 || opts.MaxEntries < 0 {
		return nil, errors.New("sessions: NewLocalCache: negative TTL or MaxEntries")
	}
	if opts.TTL == 0 {
		opts.TTL = DefaultLocalCacheTTL
	}
	if opts.MaxEntries == 0 {
		opts.MaxEntries = DefaultLocalCacheMaxEntries
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &LocalCache{next: next, now: opts.Now, live: opts.Live, cache: ttlcache.New[string, Record](opts.TTL, opts.MaxEntries, opts.Now)}, nil
}

// Unwrap returns the wrapped store.
func (c *LocalCache) Unwrap() Store { return c.next }

// Load returns the cached session under key while it is fresh and not
// expired, else loads it from the wrapped store and caches it.
func (c *LocalCache) Load(ctx context.Context, key string) (Record, error) {
	if c.live != nil && !c.live() {
		return c.next.Load(ctx, key) // the feed is down: bypass
	}
	if r, ok := c.cache.Get(key); ok {
		if c.now().Before(r.Expiry) {
			r.Shared = true // the session clones it before any change
			return r, nil
		}
		c.cache.Invalidate(key)
	}
	gen := c.cache.Gen()
	r, err := c.next.Load(ctx, key)
	if err != nil {
		return r, err
	}
	cached := r
	cached.Data = r.Data.DeepClone()
	cached.Attachment = nil // it describes this load only
	c.cache.PutIfGen(key, cached, gen)
	return r, nil
}

// Create creates the session in the wrapped store; the key's cache entry is
// dropped.
func (c *LocalCache) Create(ctx context.Context, r Record) (string, error) {
	defer c.cache.Invalidate(r.Key)
	return c.next.Create(ctx, r)
}

// Save saves through the wrapped store (compare-and-swap on r.Version) and
// drops the key's cache entry, whatever the outcome.
func (c *LocalCache) Save(ctx context.Context, r Record) (string, error) {
	defer c.cache.Invalidate(r.Key)
	return c.next.Save(ctx, r)
}

// Delete deletes from the wrapped store and drops the key's cache entry.
func (c *LocalCache) Delete(ctx context.Context, key string) error {
	defer c.cache.Invalidate(key)
	return c.next.Delete(ctx, key)
}

// Invalidate drops the entry under key; a load in flight when it is called
// does not store what it read. An invalidation feed calls it when another
// process changed or deleted the session.
func (c *LocalCache) Invalidate(key string) { c.cache.Invalidate(key) }

// Flush drops every entry, and no load in flight stores what it read. An
// invalidation feed calls it when it comes back after an outage.
func (c *LocalCache) Flush() { c.cache.Flush() }

// ClearExpired clears the wrapped store; cached entries are checked against
// their expiry on every hit anyway.
func (c *LocalCache) ClearExpired(ctx context.Context) error {
	return c.next.ClearExpired(ctx)
}
