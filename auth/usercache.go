package auth

import (
	"context"
	"errors"
	"time"

	"github.com/dmr-go/dmr/internal/ttlcache"
)

// Defaults of UserCacheOptions.
const (
	DefaultUserCacheTTL        = time.Second
	DefaultUserCacheMaxEntries = 10_000
)

// UserCacheOptions configure NewUserCache.
type UserCacheOptions struct {
	// TTL is how long a user row loaded by UserByID is served from memory:
	// the staleness bound for changes made outside this process. Zero means
	// DefaultUserCacheTTL; negative is an error.
	TTL time.Duration
	// MaxEntries bounds the number of cached users; zero means
	// DefaultUserCacheMaxEntries.
	MaxEntries int
	// Now is the clock; nil means time.Now. For tests.
	Now func() time.Time
	// Live, when set, says whether an invalidation feed (package
	// sqldb/changefeed) is delivering the changes made elsewhere: while it
	// returns false the cache is bypassed (lookups go to the wrapped store
	// and what they load is not stored), for users and permissions alike.
	// The feed evicts through Invalidate, InvalidatePermissions,
	// InvalidateAllPermissions and Flush, so the staleness bound becomes the
	// feed's and TTL is only a safety net. Nil means no feed: entries are
	// trusted for TTL. It is called on every lookup: it should be an atomic
	// load.
	Live func() bool
}

// UserCache is a UserStore that keeps the users UserByID returned in this
// process's memory for a short time to live, in front of another UserStore.
// UserByID is the lookup every session-authenticated request makes (Django's
// get_user); UserByUsername (logins) always goes to the wrapped store.
//
// The bound it keeps: a password change or a deactivation (is_active=false)
// made by another process — Django, this application's CLI, another replica —
// is still served here for at most TTL after it was committed. The session
// auth hash check (which logs out every session on a password change) and
// the is_active check run on the cached row, so they too take effect within
// TTL. Changes made through this UserCache (SetPassword, UpdateLastLogin,
// CreateUser) take effect immediately, including for lookups in flight when
// they happened.
//
// Every call returns its own copy of the user.
type UserCache struct {
	next  UserStore
	live  func() bool
	cache *ttlcache.Cache[string, User]
	// perms holds the permission sets of CachePermissions under the same
	// TTL and bound; the key "" holds AllPermissions (no user has ID "").
	perms *ttlcache.Cache[string, PermissionSet]
}

var _ UserStore = (*UserCache)(nil)

// NewUserCache returns a UserCache in front of next.
func NewUserCache(next UserStore, opts UserCacheOptions) (*UserCache, error) {
	if next == nil {
		return nil, errors.New("auth: NewUserCache: nil UserStore")
	}
	if opts.TTL < 0 || opts.MaxEntries < 0 {
		return nil, errors.New("auth: NewUserCache: negative TTL or MaxEntries")
	}
	if opts.TTL == 0 {
		opts.TTL = DefaultUserCacheTTL
	}
	if opts.MaxEntries == 0 {
		opts.MaxEntries = DefaultUserCacheMaxEntries
	}
	return &UserCache{
		next:  next,
		live:  opts.Live,
		cache: ttlcache.New[string, User](opts.TTL, opts.MaxEntries, opts.Now),
		perms: ttlcache.New[string, PermissionSet](opts.TTL, opts.MaxEntries, opts.Now),
	}, nil
}

// Unwrap returns the wrapped store.
func (c *UserCache) Unwrap() UserStore { return c.next }

// UserByID returns the cached user while fresh, else loads and caches it.
// Missing users are not cached.
func (c *UserCache) UserByID(ctx context.Context, id string) (*User, error) {
	if c.bypass() {
		return c.next.UserByID(ctx, id)
	}
	if u, ok := c.cache.Get(id); ok {
		return u.Clone(), nil
	}
	gen := c.cache.Gen()
	u, err := c.next.UserByID(ctx, id)
	if err != nil {
		return u, err
	}
	if u != nil {
		c.cache.PutIfGen(id, *u.Clone(), gen)
	}
	return u, nil
}

// UserByUsername asks the wrapped store.
func (c *UserCache) UserByUsername(ctx context.Context, username string) (*User, error) {
	return c.next.UserByUsername(ctx, username)
}

// CreateUser creates through the wrapped store and drops any entry under the
// new ID.
func (c *UserCache) CreateUser(ctx context.Context, u *User) error {
	err := c.next.CreateUser(ctx, u)
	c.Invalidate(u.ID)
	return err
}

// SetPassword writes through and drops the user's entry.
func (c *UserCache) SetPassword(ctx context.Context, id string, encoded string) error {
	defer c.Invalidate(id)
	return c.next.SetPassword(ctx, id, encoded)
}

// UpdateLastLogin writes through and drops the user's entry.
func (c *UserCache) UpdateLastLogin(ctx context.Context, id string, t time.Time) error {
	defer c.Invalidate(id)
	return c.next.UpdateLastLogin(ctx, id, t)
}

// Invalidate drops user id's row and permissions, so the next request loads
// them again; a load in flight when it is called does not store what it
// read. Call it after changing a user's groups or permissions through this
// process; changes made elsewhere show within the TTL.
func (c *UserCache) Invalidate(id string) {
	c.cache.Invalidate(id)
	c.perms.Invalidate(id)
}

// InvalidatePermissions drops user id's permission set only (its groups or
// direct permissions changed); a load in flight does not store what it read.
func (c *UserCache) InvalidatePermissions(id string) { c.perms.Invalidate(id) }

// InvalidateAllPermissions drops every cached permission set: a group's
// permissions, a group or a permission changed, which may change anyone's.
func (c *UserCache) InvalidateAllPermissions() { c.perms.Flush() }

// Flush drops every cached user and permission set; no load in flight
// stores what it read. An invalidation feed calls it when it comes back
// after an outage.
func (c *UserCache) Flush() {
	c.cache.Flush()
	c.perms.Flush()
}

// bypass reports whether a feed is configured and down.
func (c *UserCache) bypass() bool { return c.live != nil && !c.live() }

// CachePermissions returns next behind this cache: a user's permissions are
// kept as long as and on the same terms as its row (the same TTL, an equal
// bound on entries, dropped by every write that drops the row and by
// Invalidate). So a permission granted or revoked by Django shows here
// within the TTL, as a deactivation does.
func (c *UserCache) CachePermissions(next PermissionSource) PermissionSource {
	return &permCache{c: c, next: next}
}

type permCache struct {
	c    *UserCache
	next PermissionSource
}

func (p *permCache) UserPermissions(ctx context.Context, id string) (PermissionSet, error) {
	return p.get(ctx, id, func(ctx context.Context) (PermissionSet, error) { return p.next.UserPermissions(ctx, id) })
}

func (p *permCache) AllPermissions(ctx context.Context) (PermissionSet, error) {
	return p.get(ctx, "", p.next.AllPermissions)
}

// get returns the set cached under key while fresh, else loads and caches
// it; while the feed is down it only loads.
func (p *permCache) get(ctx context.Context, key string, load func(context.Context) (PermissionSet, error)) (PermissionSet, error) {
	if p.c.bypass() {
		return load(ctx)
	}
	if s, ok := p.c.perms.Get(key); ok {
		return s, nil
	}
	gen := p.c.perms.Gen()
	s, err := load(ctx)
	if err != nil {
		return s, err
	}
	p.c.perms.PutIfGen(key, s, gen)
	return s, nil
}
