package basicauth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/internal/ttlcache"
	"github.com/dmr-go/dmr/openapi"
	"github.com/dmr-go/dmr/security"
	"github.com/dmr-go/dmr/security/sessionauth"
)

// Defaults of [Options].
const (
	DefaultSchemeName = "basic"
	DefaultRealm      = "api"
	// DefaultCacheTTL is how long a successful verification is remembered
	// (see the package documentation for why the cache is on by default).
	DefaultCacheTTL = time.Minute
	// DefaultCacheMaxEntries bounds the verification cache.
	DefaultCacheMaxEntries = 10_000
)

// Descriptions used in the document.
const (
	SchemeDescription = "HTTP Basic authentication with a Django username and password (RFC 7617)"
	// BusyDescription documents the 503: password hashing is saturated, or
	// the user store is unavailable.
	BusyDescription = "Raised when password hashing is saturated or the user store is unavailable; retry after the given delay"
	// ThrottledDescription documents the 429 (declared with Options.Throttle).
	ThrottledDescription = "Raised after too many failed logins from this client (for this username or any); retry after the given delay"
)

// Throttle is what the Basic auth needs of a failed-login throttle; a
// *loginthrottle.Throttle (package auth/loginthrottle) is one, the same the
// session login uses, so failures through either count together.
type Throttle = sessionauth.Throttle

// CacheOptions configures the cache of successful verifications.
type CacheOptions struct {
	// Disabled turns the cache off: every request hashes its password.
	Disabled bool
	// TTL is how long a verification is remembered; zero means
	// DefaultCacheTTL. Negative is an error.
	TTL time.Duration
	// MaxEntries bounds the cache; zero means DefaultCacheMaxEntries.
	MaxEntries int
	// Now is the clock; nil means time.Now. For tests.
	Now func() time.Time
}

// Options configures an [Auth]. Auth is required.
type Options struct {
	// Auth authenticates the credentials through its backends
	// (AUTHENTICATION_BACKENDS) and its bounded hashing pool.
	Auth *auth.Auth
	// Throttle, when set, limits failed attempts as the login endpoint
	// does: over its limits the answer is 429 with Retry-After before any
	// password is hashed.
	Throttle Throttle
	// Realm is the realm of the challenge; empty means "api". It may not
	// contain '"', '\' or control characters.
	Realm string
	// SchemeName names the security scheme; empty means "basic".
	SchemeName string
	// Cache configures the verification cache (on by default).
	Cache CacheOptions
}

// Auth is HTTP Basic authentication against Django users (a
// security.Auth and a security.Challenger). Create it with [New]; it is
// safe for concurrent use.
type Auth struct {
	auth      *auth.Auth
	throttle  Throttle
	scheme    string
	challenge string
	cache     *ttlcache.Cache[[sha256.Size]byte, verified]
	macs      sync.Pool // of *keyMAC
}

// keyMAC is HMAC-SHA256 under the per-process cache key, with a buffer.
type keyMAC struct {
	mac hash.Hash
	buf []byte
}

// verified is a cached successful verification: who, through which
// backend, and the password hash it was checked against (a different hash
// now means the password changed).
type verified struct {
	userID, backend, hash string
}

// New validates o and returns an Auth.
func New(o Options) (*Auth, error) {
	if o.Auth == nil {
		return nil, errors.New("basicauth: Options.Auth is required")
	}
	a := &Auth{auth: o.Auth, throttle: o.Throttle, scheme: o.SchemeName}
	if a.scheme == "" {
		a.scheme = DefaultSchemeName
	}
	if !security.ValidSchemeName(a.scheme) {
		return nil, fmt.Errorf("basicauth: invalid security scheme name %q (letters, digits, '.', '-' and '_' only)", a.scheme)
	}
	realm := o.Realm
	if realm == "" {
		realm = DefaultRealm
	}
	if strings.ContainsAny(realm, `"\`) || hasCTL(realm) {
		return nil, fmt.Errorf("basicauth: invalid realm %q", realm)
	}
	a.challenge = `Basic realm="` + realm + `", charset="UTF-8"`
	c := o.Cache
	if c.TTL < 0 || c.MaxEntries < 0 {
		return nil, errors.New("basicauth: negative Cache.TTL or Cache.MaxEntries")
	}
	if !c.Disabled {
		if c.TTL == 0 {
			c.TTL = DefaultCacheTTL
		}
		if c.MaxEntries == 0 {
			c.MaxEntries = DefaultCacheMaxEntries
		}
		a.cache = ttlcache.New[[sha256.Size]byte, verified](c.TTL, c.MaxEntries, c.Now)
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("basicauth: cache key: %w", err)
		}
		a.macs.New = func() any { return &keyMAC{mac: hmac.New(sha256.New, key), buf: make([]byte, 0, 128)} }
	}
	return a, nil
}

// Challenge implements security.Challenger:
// `Basic realm="api", charset="UTF-8"`.
func (a *Auth) Challenge() string { return a.challenge }

// Authenticate implements security.Auth. A request without an
// Authorization header, or with another scheme, is not this auth's (nil,
// nil). Basic credentials that cannot be read, are wrong, or name an
// inactive user answer 401; a throttled client 429; a saturated hashing pool
// or an unavailable store 503. On success the request's current user
// (auth.CurrentUser) is the authenticated user; no session is created and
// no CSRF check applies.
func (a *Auth) Authenticate(r *http.Request) (*http.Request, error) {
	vals := r.Header["Authorization"]
	if len(vals) == 0 {
		return nil, nil
	}
	if len(vals) > 1 {
		// Several Authorization fields: refuse if any is Basic rather than
		// guess which one counts.
		for _, v := range vals {
			if _, _, err := ParseBasic(v); err != ErrNotBasic {
				return nil, security.ErrNotAuthenticated
			}
		}
		return nil, nil
	}
	username, password, err := ParseBasic(vals[0])
	if err == ErrNotBasic {
		return nil, nil
	}
	if err != nil {
		return nil, security.ErrNotAuthenticated
	}
	ctx := r.Context()
	var key [sha256.Size]byte
	var gen uint64
	if a.cache != nil {
		key = a.cacheKey(username, password)
		if v, ok := a.cache.Get(key); ok {
			u, err := a.auth.BackendUser(ctx, v.backend, v.userID)
			if err != nil {
				return nil, fmt.Errorf("basicauth: loading the user: %w", err)
			}
			if u != nil && u.IsActive && subtle.ConstantTimeCompare([]byte(u.Password), []byte(v.hash)) == 1 {
				return r.WithContext(a.auth.WithAuthenticatedUser(ctx, u)), nil
			}
			// Password changed, user gone or deactivated: check afresh.
			a.cache.Invalidate(key)
		}
		gen = a.cache.Gen()
	}
	u, err := a.verify(r, username, password)
	if err != nil {
		return nil, err
	}
	if a.cache != nil {
		a.cache.PutIfGen(key, verified{userID: u.ID, backend: u.Backend, hash: u.Password}, gen)
	}
	return r.WithContext(a.auth.WithAuthenticatedUser(ctx, u)), nil
}

// verify authenticates through the auth backends, under the throttle.
func (a *Auth) verify(r *http.Request, username, password string) (*auth.User, error) {
	// A backend's refusal is a failed login, as in Django's authenticate();
	// an inactive user let through by a backend such as
	// AllowAllUsersModelBackend is refused, as DRF does. Hashing busy (503),
	// a store down (503), another failure (500) are errors.
	u, err := sessionauth.CheckCredentials(r.Context(), a.auth, a.throttle, r,
		auth.Credentials{"username": username, "password": password}, inactive, nil)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, security.ErrNotAuthenticated
	}
	return u, nil
}

func inactive(u *auth.User) bool { return !u.IsActive }

// cacheKey is HMAC-SHA256, under the per-process key, of the
// length-prefixed username followed by the password.
func (a *Auth) cacheKey(username, password string) (key [sha256.Size]byte) {
	m := a.macs.Get().(*keyMAC)
	m.mac.Reset()
	b := binary.AppendUvarint(m.buf[:0], uint64(len(username)))
	b = append(b, username...)
	b = append(b, password...)
	m.mac.Write(b)
	m.mac.Sum(key[:0])
	clear(b)
	if cap(b) <= 4096 {
		m.buf = b
	}
	a.macs.Put(m)
	return key
}

// retryAfter documents the Retry-After header of the 429 and 503 answers.
var retryAfter = []security.Header{{Name: "Retry-After", Description: "Seconds to wait before retrying."}}

// Describe implements security.Auth: the http/basic scheme, a 401 with
// WWW-Authenticate, the 503 of a busy hashing pool or store, and the 429
// of the throttle when there is one.
func (a *Auth) Describe(security.Operation) security.Description {
	d := security.Description{
		Schemes:     map[string]*openapi.SecurityScheme{a.scheme: {Type: "http", Scheme: "basic", Description: SchemeDescription}},
		Requirement: openapi.SecurityRequirement{a.scheme: []string{}},
		Responses: []security.Response{
			{Status: http.StatusUnauthorized, Description: security.NotAuthenticatedDescription,
				Headers: []security.Header{{Name: "WWW-Authenticate", Description: security.WWWAuthenticateDescription}}},
			{Status: http.StatusServiceUnavailable, Description: BusyDescription,
				Headers: retryAfter},
		},
	}
	if a.throttle != nil {
		d.Responses = append(d.Responses, security.Response{Status: http.StatusTooManyRequests, Description: ThrottledDescription,
			Headers: retryAfter})
	}
	return d
}

var _ security.Challenger = (*Auth)(nil)
