// Package sessions is Django's session framework for net/http: the session
// value with SessionBase semantics, SessionMiddleware, the session_data
// codec, an in-memory store and the signed-cookie backend, all
// byte-compatible with Django 3.2 to 6.1, so a Go service and a Django site
// can share one login. Database and Redis stores live in sessions/dbstore
// and sessions/redisstore and implement [Store].
//
// # Wiring
//
//	codec, _ := sessions.NewCodec(sessions.CodecOptions{SecretKey: key})
//	store := ... // a Store, e.g. dbstore with codec, or &sessions.MemoryStore{}
//	mw, _ := sessions.NewMiddleware(sessions.Options{Store: store})
//	http.ListenAndServe(addr, mw.Handler(app))
//
// Handlers use sessions.FromContext(r.Context()), which is never nil inside
// the middleware.
//
// # When the session is saved
//
// Django saves after the view has built the whole response. Go handlers
// write as they go, so the session is committed just before the response
// header is sent (package commit): by the API layer, which calls commit.Run
// with the final status, or, for plain handlers, by the thin writer wrapper
// the middleware installs (it never buffers and implements Unwrap, so
// flushing, streaming and http.ResponseController keep working). The
// commit follows SessionMiddleware.process_response: delete the cookie when
// it was sent and the session became empty; save when modified (or on
// every request with SaveEveryRequest), the session is not empty and the
// status is below 500; set the cookie with Max-Age and expires unless it
// expires at browser close; add Vary: Cookie when the session was accessed
// or the cookie set. A change made after the commit is logged at error
// level (it is not saved).
//
// # Concurrent requests
//
// Django's save is a blind UPDATE: two concurrent requests on one session
// lose one request's changes. Here the session records this request's own
// changes key by key (Set, Delete/Pop; Clear and Flush replace everything).
// Saving uses the Store's compare-and-swap on the version it loaded; on
// ErrConflict it reloads, re-applies its own changes to the fresh data and
// tries again (up to Options.MaxSaveAttempts, default 5). So two requests
// that change different keys both survive. When both change the same key,
// the last writer wins for that key, and keys only the other request changed
// are kept. If the session was deleted meanwhile (ErrNotFound: typically a
// logout in another request), the commit fails with an *InterruptedError,
// which answers 400 with Django's SessionInterrupted message.
//
// # Keys, loading and errors
//
// New keys are 32 characters of [a-z0-9] from crypto/rand. A cookie that
// names no live session is never adopted: the session loads as empty with no
// key, and a later save creates a fresh key (fixation defence). Cookie
// values that cannot be a key (not 8–40 characters of [a-z0-9]) are ignored
// with a warning, without asking the store. A store error while loading is
// not treated as an empty session: the session reads as empty, but the
// commit refuses to save and returns the error, so stored data is never
// overwritten because a database hiccupped. Session.Load and Session.Err
// expose it to handlers that want to check.
//
// # Store failures and deadlines
//
// Options.StoreTimeout gives every store operation (load, create, save,
// delete) its own deadline through its context. Store errors that are
// infrastructure failures — apierror.IsUnavailable: a refused or reset
// connection, SQLITE_BUSY, a PostgreSQL connection error, the deadline
// itself — are marked apierror.ErrUnavailable, so they answer 503 with
// Retry-After in the error model (an API layer renders them; plain handlers
// get commit.WriteError) instead of 500. Other store errors stay 500s. A
// burst of failures is logged once per interval with a count, not once per
// request.
//
// CycleKey (login) and Flush (logout) follow Django: Flush deletes the
// stored session at once; CycleKey picks the new key at once but stores it
// with the data at commit (one INSERT instead of Django's INSERT then
// UPDATE), deleting the old key then, or also when the response fails with
// status >= 500 (Django deletes it at once).
//
// # Cookie-backed sessions
//
// A [CookieStore] (Django's signed_cookies: [SignedCookieStore]) keeps the
// data in the cookie value. The middleware then treats the cookie value as
// Django does its session_key: it is verified and decoded on first access
// (with max age = the cookie age), and re-signed into a new cookie when the
// session is saved. There is no compare-and-swap and no revocation; see
// SignedCookieStore.
//
// # Caching sessions in memory
//
// LocalCache wraps any Store and serves loaded sessions from this process's
// memory for a time to live (1 s by default when enabled; off unless an
// application wraps its store). A logout or session change made by Django or
// another replica takes effect here within the TTL; those made through this
// process (through the LocalCache) take effect immediately. Saves stay
// compare-and-swap against the wrapped store.
//
// # Stores
//
// [Store] is the small contract the middleware needs (its doc says why each
// method is there). Package sessions/sessionstest checks it: every store in
// this module runs sessionstest.Run, and a store written elsewhere should
// too. The cookie is read with Django's parse_cookie semantics and written as
// set_cookie writes it, by internal/pycompat, which csrf shares.
//
// # Hostile cookies
//
// Tampered, truncated, oversized, wrongly keyed or badly encoded cookies,
// zlib bombs and bad JSON all end the same way: a fresh anonymous session
// and a warning in the log, never a 500. The signature is always verified
// before anything is decoded or decompressed, and decompression is capped.
//
// # Differences from Django
//
//   - Keys are validated more strictly (charset and length) before the store
//     is asked; Django only requires 8 characters.
//   - With SaveEveryRequest, a cookie that names no live session gives an
//     empty session (cookie deleted); Django would fail with
//     SessionInterrupted.
//   - When several cookies carry the session name, the last one wins, as in
//     Django's parse_cookie (Go's Request.Cookie returns the first).
//   - Vary: Cookie is added whenever the cookie is set, as in Django 5.2.14+
//     and 6.0.5+ (earlier versions only when the session was accessed).
//   - The session is saved only for status < 500, as in Django 4.0+ (3.2
//     skipped only status 500 itself).
//   - The Django 3.2 pre-3.1 session format is read only with
//     CodecOptions.Legacy32.
//   - A load error is an error, not an empty session (see above); Django
//     raises too, but a Go handler has no exception to carry it.
package sessions
