package auth

import (
	"context"
	"errors"
	"maps"
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
	cache *ttlcache.Cache[string, User]
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
	return &UserCache{next: next, cache: ttlcache.New[string, User](opts.TTL, opts.MaxEntries, opts.Now)}, nil
}

// Unwrap returns the wrapped store.
func (c *UserCache) Unwrap() UserStore { return c.next }

// copyUser returns a copy of u that shares no memory with it.
func copyUser(u User) *User {
	if u.LastLogin != nil {
		t := *u.LastLogin
		u.LastLogin = &t
	}
	if u.Extra != nil {
		u.Extra = maps.Clone(u.Extra)
	}
	return &u
}

// UserByID returns the cached user while fresh, else loads and caches it.
// Missing users are not cached.
func (c *UserCache) UserByID(ctx context.Context, id string) (*User, error) {
	if u, ok := c.cache.Get(id); ok {
		return copyUser(u), nil
	}
	gen := c.cache.Gen()
	u, err := c.next.UserByID(ctx, id)
	if err != nil {
		return u, err
	}
	if u != nil {
		c.cache.PutIfGen(id, *copyUser(*u), gen)
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
	c.cache.Invalidate(u.ID)
	return err
}

// SetPassword writes through and drops the user's entry.
func (c *UserCache) SetPassword(ctx context.Context, id string, encoded string) error {
	defer c.cache.Invalidate(id)
	return c.next.SetPassword(ctx, id, encoded)
}

// UpdateLastLogin writes through and drops the user's entry.
func (c *UserCache) UpdateLastLogin(ctx context.Context, id string, t time.Time) error {
	defer c.cache.Invalidate(id)
	return c.next.UpdateLastLogin(ctx, id, t)
}
