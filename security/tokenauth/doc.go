// Package tokenauth is Django REST framework's TokenAuthentication for dmr
// endpoints: "Authorization: Token <key>" against DRF's authtoken_token
// table (package auth/drftoken), shared with a Django project. A token made
// by Django (drf_create_token, obtain_auth_token) is accepted here, and one
// made here (drftoken.Store.Create, the manage command createtoken) by DRF.
//
//	tokens, _ := drftoken.New(db, users, drftoken.Options{})
//	ta, _ := tokenauth.New(tokenauth.Options{Auth: a, Tokens: tokens})
//	api.Controller(dmr.ControllerConfig{Name: "Notes", Path: "/notes/", Auth: []security.Auth{sessionAuth, ta}})
//
// # What a request gets
//
// The header is read exactly as DRF reads it ([ParseAuthorization]): no
// Authorization header, or one whose first word is not the keyword
// (Options.Keyword, "Token" by default, "Bearer" for the common subclass;
// compared without regard to ASCII case), is not this auth's: the next auth
// of the endpoint is tried. Otherwise the answer is DRF's, as a 401 in the
// endpoint's error model with type "security":
//
//	"Token"                    Invalid token header. No credentials provided.
//	"Token a b"                Invalid token header. Token string should not contain spaces.
//	"Token <not UTF-8>"        Invalid token header. Token string should not contain invalid characters.
//	unknown key                Invalid token.
//	inactive or missing user   User inactive or deleted.
//
// A key longer than DRF's 40 characters, or holding a NUL, is "Invalid
// token." without a database query. On success the token's user becomes the
// request's current user exactly as a session's does
// (auth.Auth.WithAuthenticatedUser): handlers call auth.UserFromContext,
// auth.HasPerm and friends as usual. Options.Checks and [Auth.With] take the
// checks of package sessionauth (StaffOnly, SuperuserOnly,
// PermissionRequired, or any sessionauth.Check): they only ask the current
// user, so they compose with this auth unchanged; a failed check answers
// 403. A token or user store that is down or slower than its deadline
// answers 503 with Retry-After (apierror.ErrUnavailable), never "not mine"
// and never 401: the auth fails closed.
//
// There is no CSRF check, as in DRF: a browser never attaches an
// Authorization header to a cross-site request by itself, which is what
// CSRF exploits. When an endpoint lists the session auth first and the
// token auth second (or the reverse), a request with a valid session is
// still CSRF-checked by the session auth; a request with a token and no
// session falls through to the token auth.
//
// # The cache and its bound
//
// A checked token's user is kept in memory (Options.CacheTTL, 1 s by
// default; Options.CacheMaxEntries, 10 000) so that a repeated check does no
// I/O: 0.55–0.87 µs and 4 allocations on the shared 2-core test machine
// (BenchmarkAuthenticateCached), against a table and a user lookup per
// request without it. The bound it keeps: a token deleted, or its user
// deactivated, by another process (Django, its admin, another replica, a
// separate run of the createtoken command) is still accepted here for at
// most CacheTTL after the change was committed (a deactivation: CacheTTL
// plus the user cache's TTL when auth.Options.Users is an auth.UserCache,
// since a token reloaded after CacheTTL may find the user row there; the
// token row itself is always read from the database). Deletions made through the
// same drftoken.Store (Delete, DeleteForUser, Create with reset) leave the
// cache at once, including for checks in flight. A negative CacheTTL turns
// the cache off: every request then reads the database, as DRF does. Only
// keys in their exact stored spelling are cached (under MySQL's
// case-insensitive collations another spelling finds the row too, and is
// then looked up every time), and refusals are never cached.
//
// # What the document says
//
// DRF's "Token" is not an IANA-registered HTTP authentication scheme, and
// an OpenAPI "http" security scheme must name one, so the scheme is
// described as common practice does:
//
//	"drf_token": {"type":"apiKey","in":"header","name":"Authorization",
//	              "description":"Token <key> (Django REST framework's TokenAuthentication)"}
//
// with the 401 and 503 responses (and the 403 when there are checks). The
// auth is a security.Challenger: Challenge returns the keyword, which the
// API sends as WWW-Authenticate on the endpoint's 401, as DRF's
// authenticate_header does.
//
// # Threat model
//
// A token is a bearer secret: whoever holds it is the user, until it is
// deleted. DRF stores keys in clear (authtoken_token.key is the key itself)
// and we stay compatible, since a hashed key could not be read by DRF:
// anyone who can read the table (a backup, a replica, SQL access) holds
// every token, so protect it as the password of every API user. Tokens
// never expire in DRF either; rotate one with createtoken --reset (or
// drftoken.Store.Create with reset), revoke it with Delete. Send tokens over
// TLS only: on a plain connection they are readable by anyone on the path,
// for as long as they live.
//
// DRF finds the token by primary key, a B-tree lookup whose timing depends
// on the key compared; we do the same query. Comparing the found key
// with the presented one in constant time afterwards would be moot: the
// lookup itself has already compared them, in variable time, inside the
// database. The practical risk is small (the 160-bit random key makes
// byte-by-byte guessing through index timing over a network impractical;
// Django's own session keys are looked up the same way); the cache is
// keyed by the presented key in a Go map, whose hashing does not leak
// prefix matches either. An application that needs more should use keys
// stored as digests (not DRF-compatible), or rate-limit failed checks.
package tokenauth
