// Package auth is Django's django.contrib.auth for Go: users, pluggable
// authentication backends, login and logout on a session, the session auth
// hash that ends sessions when a password changes, and a middleware that
// puts the current user on the request context. Sessions, users and
// password hashes stay byte-compatible with a Django project that shares
// the database and SECRET_KEY.
//
// # Pieces
//
//   - [User] is a row of auth_user; the zero User is the anonymous user.
//     [UserFromContext] never returns nil, so handlers ask
//     u.IsAuthenticated() and nothing else.
//   - [UserStore] keeps users: [MemoryUsers] for tests, auth/userdb for
//     Django's auth_user table on SQLite and PostgreSQL.
//   - [Backend]s authenticate credentials; [ModelBackend] checks username
//     and password with package hashers.
//   - [Auth] ties them to sessions: Authenticate, Login, Logout, GetUser,
//     SetPassword/ChangePassword, UpdateSessionAuthHash, and Middleware.
//   - [Auth.WithAuthenticatedUser] makes a user the current user of one
//     request without a session, for auths that identify the user on every
//     request (HTTP Basic, API keys, tokens); [Auth.UserByID] and
//     [Auth.BackendUser] load that user under Options.StoreTimeout.
//   - [HasPerm], [HasPerms] and [AllPermissions] answer Django's has_perm,
//     has_perms and get_all_permissions for the request's user, from a
//     [PermissionSource] (auth/permdb for Django's tables).
//
// # Groups and permissions
//
// The rules are ModelBackend's (and PermissionsMixin's): an active superuser
// has every permission and no store is asked; an anonymous or inactive user
// has none; anybody else has the permissions granted to the user or to one
// of its groups, each "<app_label>.<codename>". They are loaded at most once
// per request (memoised with the current user; a Login or Logout in the
// request starts afresh). A failure to load them is an error, never a
// grant. Object permissions (has_perm(perm, obj)) are not supported: Django's
// ModelBackend answers them with no permission either.
//
// # Threat model
//
// Session fixation: Login never keeps a session key that existed before
// the user logged in — it cycles the key (keeping the data), or flushes the
// session when it belonged to another user or to an older password. The
// CSRF secret is rotated at login too, so a token planted before login is
// worthless after it.
//
// Stolen sessions after a password change: every session stores
// _auth_user_hash, an HMAC (keyed by SECRET_KEY) of the user's password
// hash. When the password changes, every other session's hash stops
// matching and GetUser flushes it; ChangePassword keeps the current one by
// cycling its key and storing the new hash. Rotating SECRET_KEY with
// SECRET_KEY_FALLBACKS keeps sessions alive: a hash made with a fallback key
// is accepted once, then the key is cycled and the hash rewritten.
//
// Username enumeration and password guessing: ModelBackend hashes the
// submitted password once for unknown usernames, and package hashers does
// the same for unusable or unknown hashes and hardens failed checks of
// outdated hashes, so response times do not reveal which usernames exist.
// All comparisons of secrets are constant-time. Password hashing runs in a
// bounded pool (package hashers), so a flood of logins queues and then gets
// 503 instead of starving other requests. Rate limiting and lockout are not
// done here.
//
// Inactive users cannot authenticate, and a session of a user deactivated
// meanwhile reads as anonymous.
//
// # Caching users in memory
//
// UserCache wraps any UserStore and serves UserByID (the lookup behind every
// session-authenticated request) from this process's memory for a time to
// live (1 s by default when enabled; off unless an application wraps its
// store). The session auth hash and is_active checks then run on the cached
// row: a password change or deactivation made by Django or another replica
// takes effect here within the TTL; those made through this process (through
// the UserCache) take effect immediately. UserCache.CachePermissions keeps the
// users' permissions on the same terms (same TTL and bound, dropped with the
// user's row), so a permission granted or revoked in Django shows here
// within the TTL too; UserCache.Invalidate drops both at once.
//
// # Store failures and deadlines
//
// Options.StoreTimeout bounds each user store operation Auth makes (the
// current user's load, the login's lookup and last_login update, password
// changes) through its context. GetUser, Authenticate, Login and Logout mark
// infrastructure failures (apierror.IsUnavailable: a refused connection, a
// lock, the deadline) as apierror.ErrUnavailable, which answers 503 with
// Retry-After; a failed current-user load is logged once per interval with
// a count, not once per request.
//
// # Differences from Django
//
//   - Authenticate returns the backend's permission-denied error (and any
//     store or hashing error) instead of None, so callers can tell a
//     refusal or an outage from wrong credentials; treat
//     errors.Is(err, ErrPermissionDenied) like a failed login to match
//     Django exactly.
//   - A session whose _auth_user_id is not an integer reads as anonymous;
//     Django raises an error (HTTP 500).
//   - Permissions come from one PermissionSource, whatever backend the
//     session names; Django asks every backend in turn.
//   - There are no signals (user_logged_in and so on); last_login is
//     updated by Login directly, as Django's default receiver does.
package auth
