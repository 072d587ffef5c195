// Package manage gives an application Django-manage.py-style subcommands
// and its deployment configuration, so that a program's main is one line:
//
//	func main() { app.Main() }
//
// where app is a manage.App holding a function that builds the application's
// API from an opened Env (database, session store, CSRF and security-header
// middlewares, Django's auth on the auth_user table).
//
// # Commands
//
//	serve [--addr HOST:PORT]   serve (default 127.0.0.1:8000; the default command),
//	                           stopping gracefully on SIGINT/SIGTERM (see Operations)
//	migrate                    create django_session, auth_user, dmr_login_failure, authtoken_token, dmr_apikey, the token_blacklist tables (DMR_JWT_BLACKLIST) and the application's tables
//	createuser --username U [--email E] [--staff] [--superuser] [--password-stdin | --no-password]
//	changepassword --username U [--password-stdin]
//	clearsessions              delete expired sessions (Django's clearsessions)
//	createtoken --username U [--reset]
//	                           print U's DRF token, creating it when missing (DRF's drf_create_token;
//	                           --reset or -r replaces it). Env.TokenAuth is the matching endpoint auth
//	                           (keyword DMR_DRF_TOKEN_KEYWORD, default Token; cache DMR_AUTH_CACHE_TTL)
//	openapi [--version 3.1]    print the OpenAPI 3.2 document (or its 3.1 downgrade)
//	createapikey --username U [--name N] [--expires 720h]
//	                           make an API key for U (package security/apikey); the key is printed once
//	revokeapikey PREFIX        revoke the API key with that prefix (running servers notice within 5 s)
//	listapikeys                list API keys: prefix, user, name, created, expires, status
//
// Every command exits 0 on success and 1 with exactly one line on stderr on
// failure (a user that exists, a bad flag, an unreachable database). Passwords
// are read from stdin with --password-stdin (one trailing newline is dropped)
// or prompted for twice without echo on a terminal; with neither, the command
// fails rather than wait for input that will not come. --no-password stores
// Django's unusable password ("!" + random), so the user can log in only
// through another backend. App.Run takes the arguments, an environment lookup
// function and the three streams and returns the exit status, so the contract
// is testable without a process.
//
// # Configuration
//
// ConfigFromEnv reads DMR_DATABASE_URL (sqlite:PATH, postgres://…,
// postgresql://…, mysql://USER[:PASS]@HOST[:PORT]/DB; default
// sqlite:dmr.sqlite3), DMR_SECRET_KEY,
// DMR_SECRET_KEY_FALLBACKS (comma-separated), DMR_SESSION_STORE (db,
// cached_db, redis, signed_cookies), DMR_REDIS_URL (default
// redis://127.0.0.1:6379/0), DMR_REDIS_BACKEND (django, the default, for
// Django's own RedisCache, or django_redis) and DMR_REDIS_COMPRESSOR (zlib
// for django-redis's ZlibCompressor), DMR_CSRF_USE_SESSIONS, DMR_CSRF_TRUSTED_ORIGINS
// (comma-separated, Django's syntax) and DMR_AUTH_CACHE_TTL, and for serve
// DMR_BODY_TIMEOUT, DMR_METRICS_ADDR and DMR_PPROF (see Operations).
// Everything is validated before any command runs; errors name the variable.
//
// # The session and user cache
//
// DMR_AUTH_CACHE_TTL (a Go duration; 0 disables; unset means the
// application's Options.AuthCacheTTL, which is zero, off, unless the
// application sets it) puts a sessions.LocalCache in front of the session
// store and an auth.UserCache in front of auth_user. A logout, password
// change or deactivation made by Django or another replica takes effect here
// within the TTL; those made through this process take effect immediately.
// Open logs the TTL at start-up when the cache is on.
//
// DMR_AUTH_CACHE chooses how the caches learn of changes made elsewhere:
// ttl (the default, as above), off, notify (PostgreSQL) or changelog
// (SQLite, MySQL/MariaDB; DMR_AUTH_CACHE_POLL, default 50ms). With notify
// and changelog, triggers installed by the installtriggers command (removed
// by removetriggers; both idempotent) report every change to a session, a
// user or a user's groups and permissions, and the caches evict it at once
// (package sqldb/changefeed); the TTL becomes a safety net of FeedSafetyTTL.
// serve refuses to start, naming the command to run, while the triggers are
// missing. See docs/operations.md, "Session and user caches".
//
// With the caches off (DMR_AUTH_CACHE=off, or a zero TTL) and the db
// session store (DMR_SESSION_STORE=db, the default), the session store is a
// userdb.SessionJoin (Env.Store): a session-authenticated request reads its
// session row and its user row in one query instead of two, from its second
// request on. The other session stores keep their own loads.
//
// With DMR_SESSION_STORE=redis, notify and changelog evict cached sessions
// through Redis itself: one connection with CLIENT TRACKING (Redis 6+, in
// broadcast mode on the sessions' key prefix) receives every change any
// client makes to a session key, Django's logout included, and evicts it
// within the time Redis takes to push one message (package
// sessions/redisstore, "Invalidation"); users and permissions still come
// from the triggers. While that connection is down the session cache is
// bypassed, and it is flushed when the connection is back. A Redis, proxy
// or managed service that refuses CLIENT TRACKING stops start-up with one
// line naming the fallback, DMR_AUTH_CACHE=ttl, whose staleness bound is
// the TTL. The ttl and off modes do not use tracking.
//
// # The secret key
//
// Django refuses to start without SECRET_KEY. For the zero-setup SQLite case
// this package instead generates one the first time (50 characters, as
// Django's get_random_secret_key), keeps it in a file beside the database
// (PATH + ".secret_key", created with mode 0600 and O_EXCL, so two processes
// starting together agree) and logs a warning naming the file. Losing that
// file logs everybody out; anyone who can read it can forge sessions, so treat
// it as the database's twin. With PostgreSQL the key must come from
// DMR_SECRET_KEY: a server that silently invented a key per host would
// make sessions valid on one replica and not another.
//
// # Middleware order
//
// Env.Middleware wraps the application in, outermost first: security headers
// (so every response carries them, errors included), sessions, CSRF state,
// the current user. CSRF state sits inside the session so a secret rotated
// under CSRF_USE_SESSIONS is stored before the session is saved.
//
// # Session stores
//
// db keeps sessions in django_session on the configured database; cached_db
// adds a Redis copy; redis keeps them in Redis only (Django's cache backend);
// signed_cookies keeps them in the cookie, where logout cannot revoke a copied
// cookie (it stays valid until it expires or the secret key changes).
// migrate creates django_session whatever the store, as Django's migrate
// does, so switching stores later needs no migration.
// # Operations
//
// serve's http.Server bounds every phase of a connection: the header must
// arrive within ReadHeaderTimeout (10 s), a request body within
// DMR_BODY_TIMEOUT (default 30 s, package bodytimeout: slower bodies are cut
// off with 408 in the error model), the whole answer within WriteTimeout (the
// larger of 60 s and the body timeout + 30 s), and an idle kept-alive
// connection is closed after IdleTimeout (120 s).
//
// DMR_METRICS_ADDR (HOST:PORT, off by default) serves Prometheus metrics at
// /metrics on a second listener (package metrics: requests by route and
// status, latency, the password hashing pool; Env.Metrics for the
// application's own observations); DMR_PPROF=1 adds the runtime profiles
// under /debug/pprof/ there. Keep that address private. Env.HealthChecks
// gives the readiness checks (database, and Redis when used) for
// package health's /readyz.
//
// Unless GOGC is set, serve sets the garbage collector's target to
// DefaultGCPercent (400) instead of the runtime's 100: a server's live heap
// is a few MB and nearly all its garbage is per request, so the default
// collects every few thousand requests. The start-up line says which
// setting is in force; GOGC=100 restores the runtime's default.
//
// On SIGINT or SIGTERM serve stops accepting connections, closes idle ones,
// lets requests in flight finish for up to ShutdownTimeout (10 s), then
// closes the connections still busy and exits (status 1 if it had to).
package manage
