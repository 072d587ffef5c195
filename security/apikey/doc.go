// Package apikey authenticates requests by API key — a long random secret
// made for one user (a script, a CI job, a partner's service), sent in a
// header (X-API-Key by default) or a cookie, kept hashed in the dmr_apikey
// table on SQLite, PostgreSQL or MySQL/MariaDB. It plays the part of
// djangorestframework-api-key, with keys bound to Django users.
//
//	keys, _ := apikey.NewStore(db, apikey.StoreOptions{})
//	_ = keys.CreateTables(ctx) // the migrate command does this
//	ak, _ := apikey.New(apikey.Options{Store: keys, Auth: a})
//	c := api.Controller(dmr.ControllerConfig{Name: "Export", Path: "/export/", Auth: []security.Auth{ak}})
//
// Keys are made with [Store.Create] or the createapikey command of package
// manage, which prints the key once; revokeapikey and listapikeys manage
// them.
//
// # Keys
//
// A key reads dmr_<prefix>.<secret>: "dmr_" so that people and secret
// scanners recognise it, a prefix of 12 lower-case hex digits (48 random
// bits, unique, public: listed by listapikeys, logged if need be, and used
// to find the row through a unique index), and a secret of 256 bits from
// crypto/rand in unpadded base64url. [ParseKey] accepts exactly that shape
// (the one canonical spelling of the secret).
//
// The table keeps the prefix and the hex SHA-256 of the whole key, never
// the key. A password hasher (PBKDF2, Argon2) exists to make guessing a
// low-entropy human password from its hash slow; a 256-bit random secret
// cannot be guessed however fast the hash, so its salt and iterations would
// buy nothing and cost a hash's CPU on every request. The presented key's
// hash is compared with the stored one in constant time.
//
// # What a request goes through
//
//   - No header (or cookie): not this auth's; the next auth is tried.
//   - A header that is present — empty, malformed, twice, an unknown
//     prefix, a wrong secret, a revoked or an expired key, a key whose user
//     was deleted or is inactive: 401. A credential that is present but
//     invalid never falls through to another auth.
//   - A store that is down or slower than its deadline: 503 with
//     Retry-After (apierror.ErrUnavailable).
//   - Success: the key's user is the request's current user
//     (auth.CurrentUser, auth.HasPerm…) and the key's row is
//     [FromContext]. No session, no CSRF check.
//
// API keys have no standard HTTP authentication scheme, so the Auth sends
// no WWW-Authenticate challenge (it is not a security.Challenger); the
// document declares {"type":"apiKey","in":"header","name":"X-API-Key"} (or
// "in":"cookie"), the 401 and the 503.
//
// # Caching and revocation
//
// Every request needs its key's row; [Store.Lookup] keeps rows found in
// this process's memory for StoreOptions.CacheTTL (DefaultCacheTTL, 5 s;
// negative turns the cache off), at most CacheMaxEntries of them. Unknown
// prefixes are not cached. Expiry is checked on every request against the
// clock, not the cache. A revocation through the same Store
// ([Store.Revoke]) drops the entry at once, and a load that raced with it
// cannot put the old row back (internal/ttlcache's generations). A key
// revoked by another process (the revokeapikey command, another replica, a
// SQL UPDATE) still works here for at most the TTL. The user is loaded
// through auth.Auth, so an auth.UserCache in front of the user table serves
// it and bounds how long a deactivation takes the same way.
//
// # Cookies
//
// With Options.Cookie the key is read from that cookie instead of a
// header. A browser sends cookies on cross-site requests too (subject to
// SameSite), and this auth does no CSRF check: use the cookie form only
// for a cookie set with SameSite=Strict, or on endpoints whose unsafe
// methods are not reachable from a browser. The header form is not exposed
// to CSRF: a cross-site page cannot set a custom header without a CORS
// preflight.
//
// # Threat model and differences from djangorestframework-api-key
//
//   - Stolen database: it holds SHA-256 digests of 256-bit secrets, which
//     cannot be reversed; the prefixes alone authenticate nothing.
//   - Guessing: 256 bits; a wrong secret under a known prefix costs one
//     indexed lookup and one SHA-256 and answers the same 401 as an
//     unknown prefix. Rate limiting of requests is not done here.
//   - djangorestframework-api-key's older releases hashed keys with
//     Django's password hashers, and its 3.x releases moved to a fast
//     SHA-512 based hasher for the reason above; here SHA-256 from the
//     start.
//   - Its keys are "<prefix>.<secret>" with 8-character prefixes and
//     belong to no user (it only answers "has a valid key"); here a key
//     belongs to a Django user, who must exist and be active, and the
//     request runs as that user, so Django permissions apply.
//   - It uses "Authorization: Api-Key <key>" by default; here X-API-Key
//     (configurable), leaving Authorization to Basic and bearer tokens.
//   - Its "revoked" is a boolean; here a nullable timestamp, also reported
//     by listapikeys. last_used exists in the table but is not written (a
//     write per request would turn every authenticated read into a write).
package apikey
