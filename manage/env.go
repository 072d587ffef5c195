package manage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/drftoken"
	"github.com/dmr-go/dmr/auth/hashers"
	"github.com/dmr-go/dmr/auth/loginthrottle"
	"github.com/dmr-go/dmr/auth/permdb"
	"github.com/dmr-go/dmr/auth/userdb"
	"github.com/dmr-go/dmr/csrf"
	"github.com/dmr-go/dmr/metrics"
	"github.com/dmr-go/dmr/security"
	"github.com/dmr-go/dmr/securityheaders"
	"github.com/dmr-go/dmr/sessions"
	"github.com/dmr-go/dmr/sessions/dbstore"
	"github.com/dmr-go/dmr/sessions/redisstore"
	"github.com/dmr-go/dmr/sqldb"
)

// Options are the application's fixed settings that do not come from the
// environment: cookie names and attributes, header policy, logger. The zero
// value is Django's defaults.
type Options struct {
	// Sessions are the SESSION_* cookie settings.
	Sessions sessions.Settings
	// CSRF is the base CSRF configuration; UseSessions, TrustedOrigins and
	// Session are filled from the Config.
	CSRF csrf.Options
	// SecurityHeaders configures the security headers middleware.
	SecurityHeaders securityheaders.Options
	// Hashers checks and makes password hashes; nil means Django 5.2's
	// defaults (PBKDF2-SHA256, 1,000,000 iterations) with hashing slots for
	// half the CPUs (hashers.DefaultMaxConcurrent). Tests pass cheaper
	// parameters here.
	Hashers *hashers.Hashers
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Backends are the application's Go authentication backends by Django
	// dotted path. Config.AuthenticationBackends (DMR_AUTHENTICATION_BACKENDS)
	// chooses which run and in which order.
	Backends map[string]BackendFunc
	// AuthCacheTTL is the application's default for Config.AuthCacheTTL
	// (DMR_AUTH_CACHE_TTL), used when the configuration leaves it unset:
	// zero (the library's default) means no caching; a positive value keeps
	// loaded sessions and users in memory that long (sessions.LocalCache,
	// auth.UserCache), the bound on how late a logout, password change or
	// deactivation made by another process takes effect here.
	AuthCacheTTL time.Duration
}

// Env is an application's opened environment: the validated configuration, the
// database, the session store and the middlewares built from them. Open
// creates it; Close releases it.
type Env struct {
	Config Config
	Logger *slog.Logger

	// SecretKey and FallbackKeys are SECRET_KEY and SECRET_KEY_FALLBACKS.
	SecretKey    []byte
	FallbackKeys [][]byte

	// SQL is the application's database (users, the django_session table,
	// the application's own tables): its dialect and its read and write
	// pools (separate on SQLite, see sqldb.DB).
	SQL *sqldb.DB
	// SessionTable is the django_session table on SQL. It is always set (migrate
	// creates the table whatever the session store, as Django does); it is the
	// session store for StoreDB.
	SessionTable *dbstore.Store
	// Redis is the client for StoreRedis and StoreCachedDB (and the rate
	// limits' ThrottleRedis), else nil.
	Redis *redis.Client
	// Store is the server-side session store; nil with StoreSignedCookies,
	// where CookieStore is set instead. With a positive auth cache TTL (or
	// DMR_AUTH_CACHE=notify|changelog) it is a sessions.LocalCache in front of
	// the configured store. With the db store and no cache it is a
	// userdb.SessionJoin on SessionTable and UserTable, which loads the
	// session's user row in the session's query.
	Store       sessions.Store
	CookieStore sessions.CookieStore

	// Users is the auth_user table on SQL (an auth.UserCache in front of it
	// with a positive auth cache TTL or DMR_AUTH_CACHE=notify|changelog); Auth is Django's auth (authenticate,
	// login, logout, the current user) on it.
	Users auth.UserStore
	Auth  *auth.Auth
	// UserTable is the user table itself (no cache), and UserModel
	// describes the configured user model (table, key, Django's derived
	// names such as its view permission).
	UserTable *userdb.Store
	UserModel userdb.Info
	// Permissions loads users' permissions from Django's groups and
	// permission tables (nil for a model without PermissionsMixin); Auth
	// reads them through the user cache when it is on.
	Permissions *permdb.Loader
	// Hashers makes and checks password hashes (Django's PASSWORD_HASHERS
	// for the configured DJANGO_VERSION).
	Hashers *hashers.Hashers
	// DRFTokens is DRF's authtoken_token on SQL, for the user model
	// (migrate creates it; Env.TokenAuth and the createtoken command use it).
	DRFTokens        *drftoken.Store
	drfTokenCacheTTL time.Duration // the auth cache TTL, for TokenAuth

	// LoginFailures is the dmr_login_failure table on SQL; migrate creates it
	// whatever the session store. LoginThrottle counts failed logins (in
	// that table, or in Redis with StoreRedis) for the login endpoint; nil
	// when both of its limits are off.
	LoginFailures *loginthrottle.SQLStore
	LoginThrottle *loginthrottle.Throttle
	// Throttle holds the API-wide rate limits of DMR_THROTTLE_RATES (anon,
	// then user), for dmr.Config.Throttle; nil when it is unset.
	Throttle []security.Limiter

	// Sessions, CSRF and Headers are the middlewares' configurations.
	Sessions *sessions.Middleware
	CSRF     *csrf.Protector
	Headers  *securityheaders.Policy

	// Metrics are the Prometheus metrics served on Config.MetricsAddr, nil
	// when that is not set (the methods of a nil *metrics.Metrics do
	// nothing, so handlers may call them unconditionally).
	Metrics *metrics.Metrics

	offline  bool
	authFeed *authFeed // DMR_AUTH_CACHE=notify or changelog (authcache_feed.go)
	closers  []func() error
	apiKeys  apiKeyState // APIKeys (apikeys.go)
}

// openMode says how much I/O Open may do.
type openMode int

const (
	// online: ping the services, create the secret key file if needed.
	online openMode = iota
	// offline: no I/O (describing the application: the openapi command).
	offline
	// onlineNoFeed: online, but the auth cache feed is not started (the
	// command runner starts it for serve after AutoMigrate; other commands
	// run with the caches bypassed).
	onlineNoFeed
)

// Open validates cfg, resolves the secret key, opens the database (and Redis
// when the session store needs it), checks that they answer, and builds the
// session, CSRF and security-header middlewares.
func Open(ctx context.Context, cfg Config, opts Options) (*Env, error) {
	return open(ctx, cfg, opts, online)
}

// OpenOffline is Open without any I/O: nothing is contacted (database and
// Redis handles are created but never used by Open) and no secret key file is
// written (a missing key is replaced by a random one). It is for commands that
// only describe the application, such as printing its OpenAPI document.
func OpenOffline(cfg Config, opts Options) (*Env, error) {
	return open(context.Background(), cfg, opts, offline)
}

func open(ctx context.Context, cfg Config, opts Options, mode openMode) (_ *Env, err error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	e := &Env{Config: cfg, Logger: log, offline: mode == offline}
	if cfg.AuthCache.feed() {
		e.authFeed = &authFeed{}
	}
	defer func() {
		if err != nil {
			e.Close()
		}
	}()

	// Lazy: no I/O here; the ping below is the online check.
	// DMR_DB_TIMEOUT bounds each operation, the wait for a pool connection
	// included (and, unless the URL says otherwise, PostgreSQL's
	// statement_timeout and MySQL's read/write timeouts).
	db, err := sqldb.Open(ctx, cfg.DatabaseURL, sqldb.Options{Lazy: true, Timeout: cfg.StoreTimeout()})
	if err != nil {
		return nil, err
	}
	dialect := db.Dialect
	e.SQL = db
	e.closers = append(e.closers, db.Close)
	if mode != offline {
		if err := db.Ping(ctx); err != nil {
			return nil, fmt.Errorf("database %s unreachable: %w", dialect, errors.Unwrap(err))
		}
	}

	// The key file lives beside the database file, so it is resolved once
	// the database is known to open.
	key := cfg.SecretKey
	if mode == offline && key == "" {
		key = NewSecretKey()
	} else if key, err = cfg.resolveSecretKey(log, true); err != nil {
		return nil, err
	}
	e.SecretKey = []byte(key)
	for _, k := range cfg.SecretKeyFallbacks {
		e.FallbackKeys = append(e.FallbackKeys, []byte(k))
	}

	codec, err := sessions.NewCodec(sessions.CodecOptions{SecretKey: e.SecretKey, FallbackKeys: e.FallbackKeys})
	if err != nil {
		return nil, err
	}
	e.SessionTable, err = dbstore.New(db, dbstore.Options{Codec: codec, Logger: log})
	if err != nil {
		return nil, err
	}
	e.closers = append(e.closers, e.SessionTable.Close) // its prepared statements

	if cfg.needsRedis() {
		ropts, err := redis.ParseURL(cfg.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("%s: %s", EnvRedisURL, redactRedisErr(cfg.RedisURL, err))
		}
		redisDefaults(ropts)
		e.Redis = redis.NewClient(ropts)
		e.closers = append(e.closers, e.Redis.Close)
		if mode != offline {
			if err := e.Redis.Ping(ctx).Err(); err != nil {
				return nil, fmt.Errorf("redis at %s unreachable: %w", ropts.Addr, err)
			}
		}
	}
	rop := redisstore.Options{KeyPrefix: cfg.RedisKeyPrefix, Logger: log,
		Format: cfg.RedisFormat, Compressor: cfg.RedisCompressor}
	switch cfg.SessionStore {
	case StoreDB:
		e.Store = e.SessionTable
	case StoreCachedDB:
		if e.Store, err = redisstore.NewCachedDB(e.SessionTable, e.Redis, rop); err != nil {
			return nil, err
		}
	case StoreRedis:
		if e.Store, err = redisstore.NewCache(e.Redis, rop); err != nil {
			return nil, err
		}
	case StoreSignedCookies:
		e.CookieStore, err = sessions.NewSignedCookieStore(sessions.SignedCookieOptions{SecretKey: e.SecretKey, FallbackKeys: e.FallbackKeys})
		if err != nil {
			return nil, err
		}
	}
	if e.authFeed != nil && e.Store != nil {
		// Sessions in the database: the feed evicts them; in Redis: Redis
		// tracking does (authcache_redis.go).
		lc, err := sessions.NewLocalCache(e.Store, sessions.LocalCacheOptions{TTL: FeedSafetyTTL, Live: e.authFeed.sessionsLive(cfg.SessionStore)})
		if err != nil {
			return nil, err
		}
		e.Store, e.authFeed.sessions = lc, lc
	} else if ttl := e.authCacheTTL(opts); ttl > 0 && e.Store != nil {
		if e.Store, err = sessions.NewLocalCache(e.Store, sessions.LocalCacheOptions{TTL: ttl}); err != nil {
			return nil, err
		}
	}

	co := opts.CSRF
	co.UseSessions = cfg.CSRFUseSessions
	co.TrustedOrigins = append(append([]string(nil), co.TrustedOrigins...), cfg.CSRFTrustedOrigins...)
	if co.Logger == nil {
		co.Logger = log
	}
	if co.UseSessions {
		co.Session = sessionValues
		if co.SessionCookieDomain == "" {
			co.SessionCookieDomain = opts.Sessions.CookieDomain
		}
	}
	if e.CSRF, err = csrf.New(co); err != nil {
		return nil, err
	}
	if err := e.openUsers(ctx, opts); err != nil {
		return nil, err
	}
	if err := e.joinSessionUsers(); err != nil {
		return nil, err
	}
	e.Sessions, err = sessions.NewMiddleware(sessions.Options{
		Settings: opts.Sessions, Store: e.Store, CookieStore: e.CookieStore, Logger: log,
		StoreTimeout: cfg.StoreTimeout(),
	})
	if err != nil {
		return nil, err
	}
	if err := e.openDRFTokens(opts); err != nil {
		return nil, err
	}
	if err := e.openLoginThrottle(co.Trust); err != nil {
		return nil, err
	}
	if err := e.openThrottle(co.Trust); err != nil {
		return nil, err
	}
	if err := e.openMetrics(); err != nil {
		return nil, err
	}
	if mode == online {
		if err := e.StartAuthCacheFeed(ctx); err != nil {
			return nil, err
		}
	}
	if ttl := e.authCacheTTL(opts); ttl > 0 && mode != offline && e.authFeed == nil {
		log.Info("session and user cache on: a logout, password change or deactivation made by another process takes effect here within the TTL",
			"ttl", ttl.String(), "env", EnvAuthCacheTTL)
	}
	ho := opts.SecurityHeaders
	if isZeroTrust(ho.Trust) {
		ho.Trust = co.Trust
	}
	if e.Headers, err = securityheaders.New(ho); err != nil {
		return nil, err
	}
	return e, nil
}

// joinSessionUsers makes the db session store load the session's user row
// in the same query (userdb.SessionJoin) when nothing caches them: the
// session store is the django_session table itself and the users come
// straight from the user table on the same database. A request
// authenticated by its session then costs one query instead of two.
func (e *Env) joinSessionUsers() error {
	// A session or user cache wraps the table: Store or Users is then
	// another value.
	if e.Config.SessionStore != StoreDB || e.Store != e.SessionTable || e.UserTable == nil || e.Users != e.UserTable {
		return nil
	}
	j, err := userdb.NewSessionJoin(e.SessionTable, e.UserTable, userdb.SessionJoinOptions{})
	if err != nil {
		return err
	}
	e.Store = j
	return nil
}

// authCacheTTL is the effective cache time to live: the configuration's,
// else the application's default.
func (e *Env) authCacheTTL(opts Options) time.Duration {
	if e.Config.AuthCache == AuthCacheOff {
		return 0
	}
	if e.Config.AuthCacheTTL != nil {
		return *e.Config.AuthCacheTTL
	}
	return opts.AuthCacheTTL
}

func isZeroTrust(t securityheaders.Trust) bool {
	return t.ProxySSLHeader == "" && t.ProxySSLValue == "" && len(t.AllowedHosts) == 0 && !t.UseXForwardedHost &&
		t.ClientIPHeader == "" && t.ProxyCount == 0
}

// openLoginThrottle builds the failed-login throttle. Its counters live
// where the sessions do: in Redis for StoreRedis, else in the database
// (for signed cookies too, so that every instance shares them).
func (e *Env) openLoginThrottle(trust securityheaders.Trust) error {
	var err error
	if e.LoginFailures, err = loginthrottle.NewSQLStore(e.SQL, loginthrottle.SQLOptions{}); err != nil {
		return err
	}
	e.closers = append(e.closers, e.LoginFailures.Close)
	cfg := e.Config
	if cfg.LoginFailureLimit < 0 && cfg.LoginIPFailureLimit < 0 {
		return nil
	}
	var store loginthrottle.Store = e.LoginFailures
	if cfg.SessionStore == StoreRedis {
		if store, err = loginthrottle.NewRedisStore(e.Redis, loginthrottle.RedisOptions{KeyPrefix: cfg.RedisKeyPrefix}); err != nil {
			return err
		}
	}
	e.LoginThrottle, err = loginthrottle.New(loginthrottle.Options{
		Store: store, FailureLimit: cfg.LoginFailureLimit, IPFailureLimit: cfg.LoginIPFailureLimit,
		CoolOff: cfg.LoginCoolOff, Trust: &trust,
	})
	return err
}

func sessionValues(r *http.Request) csrf.SessionValues {
	if s := sessions.FromContext(r.Context()); s != nil {
		return s
	}
	return nil
}

// Middleware wraps h in the stack every request goes through, outermost
// first: security headers, sessions, CSRF state, current user. The CSRF state
// sits inside the session so that, with CSRF_USE_SESSIONS, a rotated secret
// is stored before the session is saved.
func (e *Env) Middleware(h http.Handler) http.Handler {
	return e.Headers.Middleware(e.Sessions.Handler(e.CSRF.Middleware(e.Auth.Middleware(h))))
}

// Close releases the database and Redis connections.
func (e *Env) Close() error {
	var errs []error
	for i := len(e.closers) - 1; i >= 0; i-- {
		errs = append(errs, e.closers[i]())
	}
	e.closers = nil
	return errors.Join(errs...)
}
