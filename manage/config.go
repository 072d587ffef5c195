package manage

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dmr-go/dmr/auth/hashers"
	"github.com/dmr-go/dmr/auth/userdb"
	"github.com/dmr-go/dmr/csrf"
	"github.com/dmr-go/dmr/sessions/redisstore"
	"github.com/dmr-go/dmr/sqldb"
)

// Environment variables read by ConfigFromEnv.
const (
	EnvDatabaseURL        = "DMR_DATABASE_URL"
	EnvSecretKey          = "DMR_SECRET_KEY"
	EnvSecretKeyFallbacks = "DMR_SECRET_KEY_FALLBACKS"
	EnvSessionStore       = "DMR_SESSION_STORE"
	EnvRedisURL           = "DMR_REDIS_URL"
	EnvCSRFUseSessions    = "DMR_CSRF_USE_SESSIONS"
	EnvCSRFTrustedOrigins = "DMR_CSRF_TRUSTED_ORIGINS"
	EnvAuthCacheTTL       = "DMR_AUTH_CACHE_TTL"
	EnvDjangoVersion      = "DMR_DJANGO_VERSION"
	EnvDocsAssets         = "DMR_DOCS_ASSETS"

	EnvAuthUserModel          = "DMR_AUTH_USER_MODEL"
	EnvAuthUserTable          = "DMR_AUTH_USER_TABLE"
	EnvAuthUsernameField      = "DMR_AUTH_USERNAME_FIELD"
	EnvAuthenticationBackends = "DMR_AUTHENTICATION_BACKENDS"
	EnvLoginFailureLimit      = "DMR_LOGIN_FAILURE_LIMIT"
	EnvLoginIPFailureLimit    = "DMR_LOGIN_IP_FAILURE_LIMIT"
	EnvLoginCoolOff           = "DMR_LOGIN_COOLOFF"
	EnvBodyTimeout            = "DMR_BODY_TIMEOUT"
	EnvMetricsAddr            = "DMR_METRICS_ADDR"
	EnvPProf                  = "DMR_PPROF"
	EnvDBTimeout              = "DMR_DB_TIMEOUT"
)

// Defaults of the configuration.
const (
	DefaultDatabaseURL = "sqlite:dmr.sqlite3"
	DefaultRedisURL    = "redis://127.0.0.1:6379/0"
	DefaultAddr        = "127.0.0.1:8000"
	// DefaultDBTimeout bounds one store operation (Config.DBTimeout).
	DefaultDBTimeout = 5 * time.Second
)

// StoreKind names a session store, as Django's SESSION_ENGINE does.
type StoreKind string

// The session stores. StoreDB is the default.
const (
	// StoreDB keeps sessions in the django_session table of the database
	// (django.contrib.sessions.backends.db).
	StoreDB StoreKind = "db"
	// StoreCachedDB keeps them in the database with a copy in Redis
	// (backends.cached_db).
	StoreCachedDB StoreKind = "cached_db"
	// StoreRedis keeps them in Redis only (backends.cache with RedisCache).
	StoreRedis StoreKind = "redis"
	// StoreSignedCookies keeps them in the signed cookie itself
	// (backends.signed_cookies): no server-side state, no revocation.
	StoreSignedCookies StoreKind = "signed_cookies"
)

// Config is an application's deployment configuration: where its data lives,
// its secret keys and its session and CSRF settings. ConfigFromEnv reads it
// from the DMR_* environment variables; Validate checks it.
type Config struct {
	// DatabaseURL is sqlite:PATH (relative or absolute),
	// postgres://… / postgresql://… or mysql://USER[:PASS]@HOST[:PORT]/DB
	// (MySQL 8, MariaDB; see sqldb.ParseURL). Empty means DefaultDatabaseURL.
	DatabaseURL string
	// SecretKey is Django's SECRET_KEY. When empty on SQLite, Open uses the
	// key kept in the file beside the database (SecretKeyFile), creating it
	// once; on PostgreSQL an empty key is an error.
	SecretKey string
	// SecretKeyFallbacks is SECRET_KEY_FALLBACKS: old keys still accepted
	// when verifying, never used to sign.
	SecretKeyFallbacks []string
	// SessionStore selects the session store; empty means StoreDB.
	SessionStore StoreKind
	// RedisURL locates Redis for StoreRedis and StoreCachedDB; empty means
	// DefaultRedisURL.
	RedisURL string
	// RedisFormat is the Django cache backend whose format sessions in
	// Redis have: redisstore.FormatDjango (Django's own RedisCache, the
	// zero value) or redisstore.FormatDjangoRedis (django-redis).
	RedisFormat redisstore.Format
	// RedisCompressor is django-redis's COMPRESSOR (only with
	// FormatDjangoRedis).
	RedisCompressor redisstore.Compressor
	// RedisKeyPrefix is Django's CACHES["default"]["KEY_PREFIX"] (empty by
	// default). Not read from the environment; tests use it to keep their
	// keys apart.
	RedisKeyPrefix string
	// CSRFUseSessions is CSRF_USE_SESSIONS: the CSRF secret lives in the
	// session instead of the csrftoken cookie.
	CSRFUseSessions bool
	// CSRFTrustedOrigins is CSRF_TRUSTED_ORIGINS ("https://*.example.com").
	CSRFTrustedOrigins []string
	// AuthCacheTTL is how long this process keeps loaded sessions and users
	// in memory (sessions.LocalCache, auth.UserCache): a logout, password
	// change or deactivation made by Django or another replica takes effect
	// here within this time; those made through this process take effect
	// immediately. Nil means the application's default
	// (Options.AuthCacheTTL); zero disables the caches.
	AuthCacheTTL *time.Duration
	// AuthCache is DMR_AUTH_CACHE: how the session and user caches learn of
	// changes made elsewhere (see AuthCacheMode; empty keeps AuthCacheTTL's
	// behaviour), and AuthCachePoll DMR_AUTH_CACHE_POLL, the change log's
	// poll interval (changelog mode; zero means 50ms). See authcache_feed.go.
	AuthCache     AuthCacheMode
	AuthCachePoll time.Duration
	// DjangoVersion is the Django version ("4.2", "5.2"…) whose default
	// PASSWORD_HASHERS and parameters (PBKDF2 iterations, scrypt
	// parallelism) new password hashes follow, so that a Django project
	// sharing the auth_user table accepts them without rehashing. Empty
	// means 5.2. Options.Hashers, when set, takes precedence.
	DjangoVersion string
	// DocsAssetsDir, when set, is a directory holding the pinned
	// swagger-ui-dist files, served by the docs page instead of the CDN
	// (dmr.DocsOptions.AssetsDir), for machines without internet access.
	DocsAssetsDir string

	// AuthUserModel is AUTH_USER_MODEL ("accounts.CustomUser"); empty means
	// Django's auth.User. With any other model Django's migrations own the
	// user tables: no command creates them (nor django_session), and the
	// user table must exist when the application opens.
	AuthUserModel string
	// AuthUserTable is the user model's Meta.db_table when it sets one;
	// empty means Django's default "<app_label>_<modelname>".
	AuthUserTable string
	// AuthUsernameField is the model's USERNAME_FIELD; empty means
	// "username".
	AuthUsernameField string
	// AuthenticationBackends is AUTHENTICATION_BACKENDS: Django dotted
	// paths, tried in order at login; a session whose _auth_user_backend is
	// one of them is honoured. A path the application registered
	// (Options.Backends) is its Go backend; any other path behaves like
	// ModelBackend under that name. Empty means ModelBackend only.
	AuthenticationBackends []string

	// LoginFailureLimit, LoginIPFailureLimit and LoginCoolOff configure the
	// failed-login throttle (loginthrottle.Options: zero means its default,
	// negative turns that counter off; the environment's 0 turns it off).
	LoginFailureLimit   int
	LoginIPFailureLimit int
	LoginCoolOff        time.Duration

	// BodyTimeout bounds how long a request body may take to arrive
	// (package bodytimeout): a slower body is cut off with 408. Zero means
	// bodytimeout.DefaultTimeout (30 s).
	BodyTimeout time.Duration
	// MetricsAddr, when set, is the HOST:PORT where serve exposes Prometheus
	// metrics at /metrics (package metrics), apart from the application's
	// address. Empty (the default) means no metrics.
	MetricsAddr string
	// PProf adds the runtime profiles (/debug/pprof/) to the metrics
	// address. It requires MetricsAddr.
	PProf bool

	// ThrottleRates are the API's rate limits (DMR_THROTTLE_RATES, DRF's
	// DEFAULT_THROTTLE_RATES); ThrottleStore is where they count (empty:
	// Redis when the sessions live there, else memory). See throttle.go.
	ThrottleRates ThrottleRates
	ThrottleStore ThrottleStoreKind

	// DBTimeout bounds one store operation (a session load or save, a user
	// load, the login's and logout's store calls) through its context: a
	// store that is down, locked or frozen answers 503 with Retry-After
	// within it. Zero means DefaultDBTimeout (5 s).
	DBTimeout time.Duration

	// DRFTokenKeyword is the word before a DRF token in the Authorization
	// header (TokenAuthentication.keyword); empty means "Token". See
	// Env.TokenAuth.
	DRFTokenKeyword string
	// JWT configures the JWT auth (DMR_JWT_*, see manage/jwt.go).
	JWT JWTConfig
}

// UserModel is the configured user model.
func (c Config) UserModel() userdb.Model {
	return userdb.Model{Name: c.AuthUserModel, Table: c.AuthUserTable, UsernameField: c.AuthUsernameField}
}

// ConfigFromEnv reads the configuration from the environment through lookup
// (os.LookupEnv in a real program) and validates it:
//
//	DMR_DATABASE_URL          sqlite:PATH | postgres://… | postgresql://… | mysql://USER[:PASS]@HOST[:PORT]/DB  (default sqlite:dmr.sqlite3)
//	DMR_SECRET_KEY            Django's SECRET_KEY
//	DMR_SECRET_KEY_FALLBACKS  comma-separated SECRET_KEY_FALLBACKS
//	DMR_SESSION_STORE         db (default) | cached_db | redis | signed_cookies
//	DMR_REDIS_URL             default redis://127.0.0.1:6379/0
//	DMR_REDIS_BACKEND         the Django cache backend sharing Redis sessions: django (default,
//	                          django.core.cache.backends.redis.RedisCache) | django_redis
//	                          (django_redis.cache.RedisCache)
//	DMR_REDIS_COMPRESSOR      none (default) | zlib: django-redis's ZlibCompressor (django_redis only)
//	DMR_CSRF_USE_SESSIONS     1/true or 0/false (default false)
//	DMR_CSRF_TRUSTED_ORIGINS  comma-separated, Django's syntax (https://*.example.com)
//	DMR_AUTH_CACHE_TTL        Go duration (1s, 500ms); 0 disables the session and user caches
//	                          (default: the application's Options.AuthCacheTTL)
//	DMR_AUTH_CACHE            ttl (the default) | off | notify (PostgreSQL) | changelog (SQLite, MySQL): with
//	                          notify and changelog the database's triggers (installtriggers) evict cached
//	                          sessions and users at once, whoever changed them; with DMR_SESSION_STORE=redis
//	                          Redis's CLIENT TRACKING (Redis 6+) evicts the sessions
//	DMR_AUTH_CACHE_POLL       the change log's poll interval with changelog (default 50ms)
//	DMR_DJANGO_VERSION        the Django version sharing the database (3.2 … 6.1, default 5.2): new
//	                          password hashes use its PASSWORD_HASHERS defaults, so Django does not
//	                          rewrite them at the next login
//	DMR_DOCS_ASSETS           a directory holding swagger-ui-dist at the pinned version (for example
//	                          $HOME/.cache/dmr/npm/node_modules/swagger-ui-dist, see scripts/docs-assets.sh):
//	                          the docs page serves it instead of loading it from the CDN (offline use)
//	DMR_AUTH_USER_MODEL       AUTH_USER_MODEL, app_label.ModelName (default auth.User); with a custom
//	                          model Django's migrations create the user tables and django_session
//	DMR_AUTH_USER_TABLE       the user model's db_table when it sets one (default <app_label>_<modelname>)
//	DMR_AUTH_USERNAME_FIELD   USERNAME_FIELD (default username): what logins and createuser use
//	DMR_AUTHENTICATION_BACKENDS comma-separated AUTHENTICATION_BACKENDS paths (default
//	                          django.contrib.auth.backends.ModelBackend); paths the application has no
//	                          Go backend for behave like ModelBackend under their own name
//	DMR_LOGIN_FAILURE_LIMIT   failed logins per (client IP, username) within the cool-off before logins
//	                          for that pair answer 429 (default 5; 0 turns this limit off)
//	DMR_LOGIN_IP_FAILURE_LIMIT  the same per client IP over all usernames (default 50; 0: off)
//	DMR_LOGIN_COOLOFF         Go duration a counter lasts after its latest failure, so how long a lock
//	                          lasts (default 15m)
//	DMR_BODY_TIMEOUT          Go duration (default 30s): a request body arriving slower is cut off with 408
//	DMR_METRICS_ADDR          HOST:PORT serving Prometheus metrics at /metrics (default: off); keep it private
//	DMR_PPROF                 1/true adds /debug/pprof/ profiles to DMR_METRICS_ADDR (default false)
//	DMR_DB_TIMEOUT            Go duration bounding one store operation (default 5s): a store that is down,
//	                          locked or frozen answers 503 with Retry-After within it
//	DMR_DRF_TOKEN_KEYWORD     the word before a DRF token in the Authorization header (default Token;
//	                          Bearer for a TokenAuthentication subclass that sets keyword = "Bearer")
//	DMR_THROTTLE_RATES        rate limits of every API endpoint in DRF's form, anon=N/min,user=M/hour
//	                          (units s, m, h, d: DRF reads the first letter); default: none
//	DMR_THROTTLE_STORE        memory | redis (DMR_REDIS_URL, shared by every instance); default redis when
//	                          the sessions are in Redis, else memory
//	DMR_JWT_*                 the JWT auth (SimpleJWT's settings): see JWTEnvHelp
//
// Empty variables count as unset. The error names the variable at fault.
func ConfigFromEnv(lookup func(string) (string, bool)) (Config, error) {
	get := func(name string) string {
		v, _ := lookup(name)
		return strings.TrimSpace(v)
	}
	c := Config{
		DatabaseURL:        get(EnvDatabaseURL),
		SecretKey:          get(EnvSecretKey),
		SecretKeyFallbacks: splitList(get(EnvSecretKeyFallbacks)),
		SessionStore:       StoreKind(get(EnvSessionStore)),
		RedisURL:           get(EnvRedisURL),
		CSRFTrustedOrigins: splitList(get(EnvCSRFTrustedOrigins)),
		DjangoVersion:      get(EnvDjangoVersion),
		DocsAssetsDir:      get(EnvDocsAssets),

		AuthUserModel:          get(EnvAuthUserModel),
		AuthUserTable:          get(EnvAuthUserTable),
		AuthUsernameField:      get(EnvAuthUsernameField),
		AuthenticationBackends: splitList(get(EnvAuthenticationBackends)),
		DRFTokenKeyword:        get(EnvDRFTokenKeyword),
	}
	var err error
	if c.RedisFormat, c.RedisCompressor, err = redisFormatFromEnv(get(EnvRedisBackend), get(EnvRedisCompressor)); err != nil {
		return Config{}, err
	}
	r := envReader{get: get}
	r.boolean(EnvCSRFUseSessions, &c.CSRFUseSessions)
	if d, ok := r.duration(EnvAuthCacheTTL, 0, "a duration such as 1s or 500ms, or 0 to disable"); ok {
		c.AuthCacheTTL = &d
	}
	for _, l := range []struct {
		name string
		dst  *int
	}{{EnvLoginFailureLimit, &c.LoginFailureLimit}, {EnvLoginIPFailureLimit, &c.LoginIPFailureLimit}} {
		if v := get(l.name); v != "" && r.err == nil {
			n, perr := strconv.Atoi(v)
			if perr != nil || n < 0 {
				r.err = fmt.Errorf("%s=%q: want a number of failures, or 0 to turn the limit off", l.name, v)
			} else if n == 0 {
				*l.dst = -1 // off
			} else {
				*l.dst = n
			}
		}
	}
	if d, ok := r.duration(EnvLoginCoolOff, time.Second, "a duration of at least 1s, such as 15m"); ok {
		c.LoginCoolOff = d
	}
	if d, ok := r.duration(EnvBodyTimeout, time.Nanosecond, "a positive duration such as 30s"); ok {
		c.BodyTimeout = d
	}
	c.MetricsAddr = get(EnvMetricsAddr)
	r.boolean(EnvPProf, &c.PProf)
	if d, ok := r.duration(EnvDBTimeout, time.Nanosecond, "a positive duration such as 5s or 500ms"); ok {
		c.DBTimeout = d
	}
	err = r.err
	if err == nil {
		c.ThrottleRates, c.ThrottleStore, err = throttleFromEnv(get)
	}
	if err == nil {
		c.JWT, err = jwtFromEnv(get)
	}
	if err == nil {
		c.AuthCache, c.AuthCachePoll, err = authCacheFromEnv(get)
	}
	if err != nil {
		return Config{}, err
	}
	c.setDefaults()
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// envReader reads typed variables through get, keeping the first error,
// which names the variable and what it wants; once there is one, the
// readers do nothing.
type envReader struct {
	get func(string) string
	err error
}

// boolean sets *dst from the variable name when it is set.
func (r *envReader) boolean(name string, dst *bool) {
	if v := r.get(name); v != "" && r.err == nil {
		if *dst, r.err = strconv.ParseBool(v); r.err != nil {
			r.err = fmt.Errorf("%s=%q: want 1 or 0", name, v)
		}
	}
}

// duration returns the variable name as a duration of at least min, and
// whether it is set (and valid); want describes the valid values.
func (r *envReader) duration(name string, min time.Duration, want string) (time.Duration, bool) {
	v := r.get(name)
	if v == "" || r.err != nil {
		return 0, false
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < min {
		r.err = fmt.Errorf("%s=%q: want %s", name, v, want)
		return 0, false
	}
	return d, true
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func (c *Config) setDefaults() {
	if c.DatabaseURL == "" {
		c.DatabaseURL = DefaultDatabaseURL
	}
	if c.SessionStore == "" {
		c.SessionStore = StoreDB
	}
	if c.RedisURL == "" {
		c.RedisURL = DefaultRedisURL
	}
}

// StoreTimeout is the effective DBTimeout: DefaultDBTimeout when unset.
func (c Config) StoreTimeout() time.Duration {
	if c.DBTimeout <= 0 {
		return DefaultDBTimeout
	}
	return c.DBTimeout
}

// Validate checks the configuration without touching the network or the disk.
// Missing values are taken as their defaults.
func (c Config) Validate() error {
	c.setDefaults()
	src, err := sqldb.ParseURL(c.DatabaseURL)
	if err != nil {
		return fmt.Errorf("%s: %s", EnvDatabaseURL, strings.TrimPrefix(err.Error(), "sqldb: "))
	}
	dialect := src.Dialect
	switch c.SessionStore {
	case StoreDB, StoreCachedDB, StoreRedis, StoreSignedCookies:
	default:
		return fmt.Errorf("%s=%q: want db, cached_db, redis or signed_cookies", EnvSessionStore, string(c.SessionStore))
	}
	if c.needsRedis() {
		if _, err := redis.ParseURL(c.RedisURL); err != nil {
			return fmt.Errorf("%s: %s", EnvRedisURL, redactRedisErr(c.RedisURL, err))
		}
	}
	if err := c.validateRedisFormat(); err != nil {
		return err
	}
	if err := c.validateThrottle(); err != nil {
		return err
	}
	if c.SecretKey == "" && dialect != sqldb.SQLite {
		return fmt.Errorf("%s is required with %s (only the SQLite setup generates a key)", EnvSecretKey, dialect)
	}
	for i, k := range c.SecretKeyFallbacks {
		if k == "" {
			return fmt.Errorf("%s: entry %d is empty", EnvSecretKeyFallbacks, i+1)
		}
	}
	if c.DjangoVersion != "" {
		if _, err := hashers.ParseVersion(c.DjangoVersion); err != nil {
			return fmt.Errorf("%s=%q: want a Django version such as 4.2 or 5.2", EnvDjangoVersion, c.DjangoVersion)
		}
	}
	if c.LoginCoolOff < 0 {
		return fmt.Errorf("%s: negative duration %v", EnvLoginCoolOff, c.LoginCoolOff)
	}
	if c.DBTimeout < 0 {
		return fmt.Errorf("%s: negative duration %v", EnvDBTimeout, c.DBTimeout)
	}
	if err := validateDRFTokenKeyword(c.DRFTokenKeyword); err != nil {
		return err
	}
	if c.AuthCacheTTL != nil && *c.AuthCacheTTL < 0 {
		return fmt.Errorf("%s: negative duration %v", EnvAuthCacheTTL, *c.AuthCacheTTL)
	}
	if err := c.validateAuthCache(dialect); err != nil {
		return err
	}
	if _, _, err := userdb.ParseModel(c.AuthUserModel); err != nil {
		return fmt.Errorf("%s: %s", EnvAuthUserModel, strings.TrimPrefix(err.Error(), "userdb: "))
	}
	if c.AuthUsernameField != "" && !isIdentifier(c.AuthUsernameField) {
		return fmt.Errorf("%s=%q: want a field name such as username or email", EnvAuthUsernameField, c.AuthUsernameField)
	}
	if c.AuthUserTable != "" && (len(c.AuthUserTable) > 128 || strings.ContainsAny(c.AuthUserTable, "\"`\x00")) {
		return fmt.Errorf("%s=%q: not a table name", EnvAuthUserTable, c.AuthUserTable)
	}
	seen := map[string]bool{}
	for _, b := range c.AuthenticationBackends {
		if !isDottedPath(b) {
			return fmt.Errorf("%s: %q is not a dotted Python path", EnvAuthenticationBackends, b)
		}
		if seen[b] {
			return fmt.Errorf("%s: %q is listed twice", EnvAuthenticationBackends, b)
		}
		seen[b] = true
	}
	if c.BodyTimeout < 0 {
		return fmt.Errorf("%s: negative duration %v", EnvBodyTimeout, c.BodyTimeout)
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			return fmt.Errorf("%s=%q: want HOST:PORT", EnvMetricsAddr, c.MetricsAddr)
		}
	}
	if c.PProf && c.MetricsAddr == "" {
		return fmt.Errorf("%s needs %s: profiles are served on the metrics address only", EnvPProf, EnvMetricsAddr)
	}
	if err := c.JWT.Validate(); err != nil {
		return err
	}
	if _, err := csrf.New(csrf.Options{TrustedOrigins: c.CSRFTrustedOrigins}); err != nil {
		return fmt.Errorf("%s: %s", EnvCSRFTrustedOrigins, strings.TrimPrefix(err.Error(), "csrf: "))
	}
	return nil
}

func isIdentifier(s string) bool {
	for i, r := range s {
		if r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9') {
			continue
		}
		return false
	}
	return s != ""
}

func isDottedPath(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) < 2 {
		return false
	}
	for _, p := range parts {
		if !isIdentifier(p) {
			return false
		}
	}
	return true
}

func (c Config) needsRedis() bool {
	return c.SessionStore == StoreRedis || c.SessionStore == StoreCachedDB || c.throttleNeedsRedis()
}

func (c Config) dialect() sqldb.Dialect {
	src, _ := sqldb.ParseURL(c.DatabaseURL)
	return src.Dialect
}

// redactRedisErr words a Redis URL error without repeating the URL, which may
// carry a password.
func redactRedisErr(raw string, err error) string {
	msg := strings.ReplaceAll(err.Error(), strconv.Quote(raw), "the URL")
	msg = strings.ReplaceAll(msg, raw, "the URL")
	if u, perr := url.Parse(raw); perr == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			msg = strings.ReplaceAll(msg, p, "xxxxx")
		}
	}
	return msg
}
