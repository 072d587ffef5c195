package manage

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/sessions"
	"github.com/dmr-go/dmr/sqldb"
	"github.com/dmr-go/dmr/sqldb/changefeed"
)

// The auth cache mode's variables (see AuthCacheMode).
const (
	EnvAuthCache     = "DMR_AUTH_CACHE"
	EnvAuthCachePoll = "DMR_AUTH_CACHE_POLL"
)

// AuthCacheMode says how the session and user caches learn of changes made
// by other processes (DMR_AUTH_CACHE).
//
// With DMR_SESSION_STORE=redis the database's triggers do not see the
// sessions: in the notify and changelog modes Redis reports their changes
// instead (client-side caching, redisstore.Track; Env.SessionTracker), and
// the triggers cover users and permissions. A Redis that refuses CLIENT
// TRACKING stops start-up; the ttl mode is the fallback.
type AuthCacheMode string

// The auth cache modes.
const (
	// AuthCacheDefault (unset) is AuthCacheTTL with the application's TTL:
	// the behaviour before the modes existed.
	AuthCacheDefault AuthCacheMode = ""
	// AuthCacheTTL trusts a cached session or user for the TTL
	// (DMR_AUTH_CACHE_TTL, else Options.AuthCacheTTL).
	AuthCacheTTL AuthCacheMode = "ttl"
	// AuthCacheOff turns the session, user and DRF token caches off.
	AuthCacheOff AuthCacheMode = "off"
	// AuthCacheNotify (PostgreSQL) evicts on the notifications of the
	// triggers installtriggers made, received on one LISTEN connection.
	AuthCacheNotify AuthCacheMode = "notify"
	// AuthCacheChangelog (SQLite, MySQL/MariaDB) evicts on the rows those
	// triggers append to dmr_cache_changelog, polled every
	// DMR_AUTH_CACHE_POLL (default 50ms).
	AuthCacheChangelog AuthCacheMode = "changelog"
)

// FeedSafetyTTL is the sessions' and users' time to live in the notify and
// changelog modes: the feed bounds their staleness, the TTL is a safety
// net. DMR_AUTH_CACHE_TTL still sets the DRF token cache, which no feed
// covers.
const FeedSafetyTTL = time.Minute

// feed reports whether the mode evicts on a changefeed.
func (m AuthCacheMode) feed() bool { return m == AuthCacheNotify || m == AuthCacheChangelog }

// authCacheFromEnv reads DMR_AUTH_CACHE and DMR_AUTH_CACHE_POLL.
func authCacheFromEnv(get func(string) string) (AuthCacheMode, time.Duration, error) {
	mode := AuthCacheMode(get(EnvAuthCache))
	switch mode {
	case AuthCacheDefault, AuthCacheTTL, AuthCacheOff, AuthCacheNotify, AuthCacheChangelog:
	default:
		return "", 0, fmt.Errorf("%s=%q: want ttl, off, notify (PostgreSQL) or changelog (SQLite, MySQL)", EnvAuthCache, string(mode))
	}
	var poll time.Duration
	if v := get(EnvAuthCachePoll); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Millisecond || d > time.Minute {
			return "", 0, fmt.Errorf("%s=%q: want a duration from 1ms to 1m, such as 50ms", EnvAuthCachePoll, v)
		}
		if mode != AuthCacheChangelog {
			return "", 0, fmt.Errorf("%s is only read with %s=changelog", EnvAuthCachePoll, EnvAuthCache)
		}
		poll = d
	}
	return mode, poll, nil
}

// validateAuthCache checks the mode against the database's dialect.
func (c Config) validateAuthCache(dialect sqldb.Dialect) error {
	switch c.AuthCache {
	case AuthCacheDefault, AuthCacheTTL, AuthCacheOff:
	case AuthCacheNotify:
		if dialect != sqldb.Postgres {
			return fmt.Errorf("%s=notify needs PostgreSQL (the database is %s: use changelog)", EnvAuthCache, dialect)
		}
	case AuthCacheChangelog:
		if dialect == sqldb.Postgres {
			return fmt.Errorf("%s=changelog is for SQLite and MySQL (on PostgreSQL use notify)", EnvAuthCache)
		}
	default:
		return fmt.Errorf("%s=%q: want ttl, off, notify or changelog", EnvAuthCache, string(c.AuthCache))
	}
	if c.AuthCachePoll < 0 || (c.AuthCachePoll > 0 && c.AuthCache != AuthCacheChangelog) {
		return fmt.Errorf("%s=%v: only a positive duration, with %s=changelog", EnvAuthCachePoll, c.AuthCachePoll, EnvAuthCache)
	}
	return nil
}

// authFeed connects the changefeed to the env's caches: their Live is
// live.Load, one atomic load of the flag the feed keeps (Options.LiveFlag).
// Until the feed starts (and for commands that never start it) it is
// false: the caches are bypassed.
type authFeed struct {
	f        atomic.Pointer[changefeed.Feed]
	live     atomic.Bool          // the feed's LiveFlag
	sessions *sessions.LocalCache // nil with sessions outside the database
	users    *auth.UserCache
	userKey  func(string) string // the trigger's key as str(pk)
	redis    redisTracking       // sessions in Redis (authcache_redis.go)
}

func (a *authFeed) event(ev changefeed.Event) {
	switch ev.Kind {
	case changefeed.Session:
		if a.sessions != nil {
			a.sessions.Invalidate(ev.Key)
		}
	case changefeed.User:
		if a.users != nil {
			a.users.Invalidate(a.userKey(ev.Key))
		}
	case changefeed.UserPerms:
		if a.users != nil {
			a.users.InvalidatePermissions(a.userKey(ev.Key))
		}
	case changefeed.AllPerms:
		if a.users != nil {
			a.users.InvalidateAllPermissions()
		}
	}
}

func (a *authFeed) reset() {
	if a.sessions != nil {
		a.sessions.Flush()
	}
	if a.users != nil {
		a.users.Flush()
	}
}

// CacheTargets are the tables whose triggers feed the caches: django_session,
// the configured user model's table and, for a model with
// PermissionsMixin, its groups and user_permissions tables and Django's
// auth_group_permissions, auth_permission and auth_group, those of them
// that exist (Django's migrate creates them; dmr's does not).
func (e *Env) CacheTargets() changefeed.Targets {
	m := e.UserModel
	t := changefeed.Targets{SessionTable: "django_session", UserTable: m.Table, UserPK: m.PKColumn, SkipMissingPermTables: true}
	if m.HasPermissions {
		t.UserGroupsTable, t.UserGroupsColumn = m.GroupsTable, m.GroupsColumn
		t.UserPermsTable, t.UserPermsColumn = m.UserPermissionsTable, m.UserPermissionsColumn
		t.AllPermsTables = []string{"auth_group_permissions", "auth_permission", "auth_group"}
	}
	return t
}

// StartAuthCacheFeed starts the invalidation feed of DMR_AUTH_CACHE=notify or
// changelog (Open does it; the command runner does it after AutoMigrate): it
// checks that installtriggers ran, then listens or polls; Close stops it.
// It does nothing in the other modes or when the feed already runs.
func (e *Env) StartAuthCacheFeed(ctx context.Context) error {
	a := e.authFeed
	if a == nil || a.f.Load() != nil {
		return nil
	}
	if e.offline {
		return errors.New("manage: StartAuthCacheFeed: the environment is offline")
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	targets := e.CacheTargets()
	if err := changefeed.Check(ctx, e.SQL, targets); err != nil {
		var missing *changefeed.MissingError
		if errors.As(err, &missing) {
			return fmt.Errorf("%s=%s: %v; run the installtriggers command (again after a Django migration that remade a table)",
				EnvAuthCache, e.Config.AuthCache, err)
		}
		return fmt.Errorf("%s=%s: %w", EnvAuthCache, e.Config.AuthCache, err)
	}
	if err := e.startRedisTracking(ctx); err != nil {
		return err
	}
	opts := changefeed.Options{OnEvent: a.event, OnReset: a.reset, Logger: e.Logger, Interval: e.Config.AuthCachePoll, LiveFlag: &a.live}
	var (
		f   *changefeed.Feed
		err error
	)
	if e.Config.AuthCache == AuthCacheNotify {
		f, err = changefeed.Listen(ctx, e.Config.DatabaseURL, opts)
	} else {
		f, err = changefeed.Poll(ctx, e.SQL, opts)
	}
	if err != nil {
		return fmt.Errorf("%s=%s: %w", EnvAuthCache, e.Config.AuthCache, err)
	}
	a.f.Store(f)
	e.closers = append(e.closers, f.Close)
	e.Logger.Info("session and user caches evicted by the database's triggers", "env", EnvAuthCache, "mode", string(e.Config.AuthCache), "safety_ttl", FeedSafetyTTL.String())
	return nil
}

// AuthCacheFeed returns the running invalidation feed, or nil.
func (e *Env) AuthCacheFeed() *changefeed.Feed {
	if e.authFeed == nil {
		return nil
	}
	return e.authFeed.f.Load()
}

// installTriggers and removeTriggers are the commands of the same names.
func (c *cli) installTriggers(ctx context.Context) error {
	return c.withTriggers(ctx, "installtriggers", changefeed.Install, "Cache invalidation triggers installed")
}

func (c *cli) removeTriggers(ctx context.Context) error {
	return c.withTriggers(ctx, "removetriggers", changefeed.Remove, "Cache invalidation triggers removed")
}

func (c *cli) withTriggers(ctx context.Context, cmd string, do func(context.Context, *sqldb.DB, changefeed.Targets) error, done string) error {
	env, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer env.Close()
	t := env.CacheTargets()
	if err := do(ctx, env.SQL, t); err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	fmt.Fprintf(c.inv.Stdout, "%s (%s).\n", done, env.SQL.Dialect)
	return nil
}
