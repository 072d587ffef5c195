// Package basicauth is HTTP Basic authentication (RFC 7617) against Django
// users, for scripts and other non-browser clients: the Go counterpart of
// Django REST framework's BasicAuthentication.
//
//	ba, err := basicauth.New(basicauth.Options{Auth: a, Throttle: throttle})
//	c := api.Controller(dmr.ControllerConfig{Name: "Notes", Path: "/notes/", Auth: []security.Auth{sa, ba}})
//
// # What a request goes through
//
//   - No Authorization header, or another scheme (Bearer, Token…): not this
//     auth's; the next auth of the endpoint is tried.
//   - Basic credentials that cannot be read ([ParseBasic]: scheme matched
//     without regard to case, one token68 of standard base64, user-id and
//     password split at the first colon, UTF-8 without control characters,
//     a non-empty user-id), or several Authorization fields one of which is
//     Basic: 401. A credential that is present but broken never falls
//     through to another auth.
//   - The failed-login throttle (Options.Throttle, a
//     *loginthrottle.Throttle — pass the login endpoint's, so that guesses
//     through either count together): over its limits the answer is what the
//     login endpoint answers, 429 with Retry-After and django-axes' message,
//     before any password is hashed. Each verification (not each cache
//     hit) costs the throttle's store round trips, as a login does.
//   - auth.Auth.Authenticate with {"username", "password"}: the configured
//     backends (AUTHENTICATION_BACKENDS) in order, the password checked in
//     the bounded hashing pool. A saturated pool answers 503 with
//     Retry-After; a user store that is down 503 as well. Wrong credentials,
//     an unknown user (hashed anyway, so timing does not tell) and an
//     inactive user (refused by ModelBackend, and by this auth when a
//     backend such as AllowAllUsersModelBackend lets one through, as DRF
//     does) answer 401 and count as failures.
//   - Success: the request's current user (auth.CurrentUser,
//     auth.UserFromContext, auth.HasPerm) is the user, for this request
//     only. No session is created, no cookie set, last_login is not
//     updated (DRF does not either).
//
// Every 401 of an endpoint with this auth carries the challenge
// `WWW-Authenticate: Basic realm="api", charset="UTF-8"` (the Auth is a
// security.Challenger; the realm is Options.Realm), and the document
// declares the scheme {"type":"http","scheme":"basic"}, the 401 with its
// WWW-Authenticate header, the 503 and, with a throttle, the 429.
//
// # No CSRF
//
// As in DRF, Basic requests are not CSRF-checked: a browser attaches Basic
// credentials by itself only after a user typed them into its own prompt,
// which this API never asks for (the challenge goes out on 401, but API
// clients, not browsing users, are its audience). Do not put this auth on
// endpoints meant for browsers that might have cached Basic credentials for
// the origin; the session auth, which checks CSRF, is the one for them.
//
// # The verification cache (on by default)
//
// A Django password hash costs about as much CPU as the hasher's iteration
// count says (PBKDF2-SHA256 with 1,000,000 iterations in Django 5.2: a good
// fraction of a second of one core) — on every request, since Basic
// re-sends the password each time. A script making a few requests a second
// would keep the hashing pool busy by itself and lock out interactive
// logins with 503s. So successful verifications are remembered in this
// process for CacheOptions.TTL (DefaultCacheTTL, one minute), at most
// CacheOptions.MaxEntries of them:
//
//   - the key is HMAC-SHA256, under a random key drawn at start-up and never
//     stored, of the length-prefixed username and the password: the cache
//     holds no password nor anything that can be checked against one
//     without that key, and a different password (or username) is a
//     different entry, so a wrong password is never served from it;
//   - the entry holds the user's id, its backend and the password hash it
//     was verified against. A hit reloads the user (through the backend's
//     GetUser, so an auth.UserCache serves it) and is a hit only if the
//     user still exists, is active, and its stored hash is the same
//     string: a password changed anywhere (Django, changepassword, another
//     replica) or a deactivation takes effect on the next request, not
//     after the TTL;
//   - a hit skips the throttle: only the exact right credentials can hit,
//     so it is no guess, and a script is not locked out by someone else's
//     failures from its address.
//
// The remaining risk is a process memory dump taken within the TTL: with
// the HMAC key from the same dump, a cached entry lets an attacker test
// password guesses at HMAC speed instead of the hasher's. That is the
// trade: set CacheOptions.Disabled where it matters more than the hashing
// load. The cache is per process; replicas each verify once per TTL.
//
// # Where this differs from DRF
//
//   - DRF answers a malformed header with specific messages ("Invalid basic
//     header. No credentials provided."); here every refusal is the same
//     401 "Not authenticated", which tells an attacker nothing about why.
//   - DRF decodes the credentials as UTF-8 and falls back to Latin-1; here
//     they must be UTF-8 (the challenge says charset="UTF-8", RFC 7617
//     §2.1), and control characters are refused as the RFC requires.
//   - DRF has no throttle of failed attempts in its BasicAuthentication and
//     no cache (each request hashes).
package basicauth
