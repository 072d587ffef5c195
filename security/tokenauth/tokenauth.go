package tokenauth

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/drftoken"
	"github.com/dmr-go/dmr/internal/ttlcache"
	"github.com/dmr-go/dmr/openapi"
	"github.com/dmr-go/dmr/security"
	"github.com/dmr-go/dmr/security/sessionauth"
)

// Defaults.
const (
	DefaultKeyword    = "Token"
	DefaultSchemeName = "drf_token"
	// DefaultCacheTTL bounds how long a token deleted, or a user deactivated,
	// by another process (Django, another replica) is still accepted here.
	DefaultCacheTTL        = time.Second
	DefaultCacheMaxEntries = 10_000
	// SchemeDescription is the scheme's description in the document, after
	// the keyword ("Token <key> (Django REST framework's TokenAuthentication)").
	SchemeDescription = "<key> (Django REST framework's TokenAuthentication)"
)

// Options configures an [Auth]. Auth and Tokens are required.
type Options struct {
	// Auth loads the token's user (auth.Auth.UserByID: under its
	// StoreTimeout, through its UserCache if any) and makes it the request's
	// current user (auth.Auth.WithAuthenticatedUser), so that handlers,
	// auth.HasPerm and the checks see it as they see a session's user.
	Auth *auth.Auth
	// Tokens is the authtoken_token store.
	Tokens *drftoken.Store
	// Keyword is the word before the key (DRF's TokenAuthentication.keyword):
	// default "Token"; "Bearer" for a subclass that sets keyword = "Bearer".
	// It is compared without regard to ASCII case. It must be an HTTP token
	// (RFC 9110: letters, digits and !#$%&'*+-.^_`|~).
	Keyword string
	// SchemeName names the security scheme in the document; default
	// "drf_token".
	SchemeName string
	// CacheTTL is how long a token's user, once checked, is served from
	// memory: the bound on how long a token deleted (or a user deactivated)
	// outside this process stays valid here. Zero means DefaultCacheTTL;
	// negative disables the cache (every request reads the database, as DRF
	// does).
	CacheTTL time.Duration
	// CacheMaxEntries bounds the cache; zero means DefaultCacheMaxEntries.
	CacheMaxEntries int
	// Checks must all admit the user (sessionauth.StaffOnly,
	// sessionauth.PermissionRequired…: they only need the current user in
	// the context, which this auth puts there).
	Checks []sessionauth.Check
	// Now is the cache's clock; nil means time.Now. For tests.
	Now func() time.Time
}

// Auth is DRF token authentication for endpoints (a security.Auth and a
// security.Challenger). Create it with [New]; it is safe for concurrent
// use.
type Auth struct {
	auth    *auth.Auth
	tokens  *drftoken.Store
	keyword string
	scheme  string
	cache   *ttlcache.Cache[string, auth.User] // nil when disabled
	checks  []sessionauth.Check
}

var httpTokenRE = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

// New validates o and returns an Auth. Tokens deleted through o.Tokens
// leave the cache at once.
func New(o Options) (*Auth, error) {
	if o.Auth == nil {
		return nil, errors.New("tokenauth: Options.Auth is required")
	}
	if o.Tokens == nil {
		return nil, errors.New("tokenauth: Options.Tokens is required")
	}
	a := &Auth{auth: o.Auth, tokens: o.Tokens, keyword: o.Keyword, scheme: o.SchemeName, checks: slices.Clone(o.Checks)}
	if a.keyword == "" {
		a.keyword = DefaultKeyword
	}
	if a.scheme == "" {
		a.scheme = DefaultSchemeName
	}
	if !httpTokenRE.MatchString(a.keyword) {
		return nil, fmt.Errorf("tokenauth: invalid keyword %q (an HTTP token: letters, digits and !#$%%&'*+-.^_`|~)", a.keyword)
	}
	if !security.ValidSchemeName(a.scheme) {
		return nil, fmt.Errorf("tokenauth: invalid security scheme name %q (letters, digits, '.', '-' and '_' only)", a.scheme)
	}
	for i, c := range o.Checks {
		if c.Allow == nil {
			return nil, fmt.Errorf("tokenauth: Options.Checks[%d] has no Allow function", i)
		}
	}
	if o.CacheMaxEntries < 0 {
		return nil, errors.New("tokenauth: negative CacheMaxEntries")
	}
	if o.CacheTTL >= 0 {
		ttl, maxEntries := o.CacheTTL, o.CacheMaxEntries
		if ttl == 0 {
			ttl = DefaultCacheTTL
		}
		if maxEntries == 0 {
			maxEntries = DefaultCacheMaxEntries
		}
		a.cache = ttlcache.New[string, auth.User](ttl, maxEntries, o.Now)
		o.Tokens.OnDelete(a.cache.Invalidate)
	}
	return a, nil
}

// With returns a copy of a that also requires checks (after a's own),
// sharing a's cache. It panics on a Check without Allow (a programmer
// error, found at registration).
func (a *Auth) With(checks ...sessionauth.Check) *Auth {
	for i, c := range checks {
		if c.Allow == nil {
			panic(fmt.Sprintf("tokenauth: With: check %d has no Allow function", i))
		}
	}
	b := *a
	b.checks = append(slices.Clone(a.checks), checks...)
	return &b
}

// Keyword returns the keyword the Authorization header must start with.
func (a *Auth) Keyword() string { return a.keyword }

// Challenge implements security.Challenger: the keyword, as DRF's
// authenticate_header answers it in the 401's WWW-Authenticate.
func (a *Auth) Challenge() string { return a.keyword }

// Authenticate implements security.Auth. A request without an Authorization
// header, or whose header starts with another word, is not this auth's
// (nil, nil). Otherwise it answers DRF's 401s (see [ParseAuthorization],
// ErrInvalidToken for an unknown key, ErrInactive for an inactive or
// missing user), 503 when the token or user store is unavailable, or
// continues with the token's user as the request's current user, after
// every check passed. No CSRF check is made: the browser never adds the
// header by itself, which is what CSRF exploits (DRF exempts it too).
func (a *Auth) Authenticate(r *http.Request) (*http.Request, error) {
	key, ok, err := ParseAuthorization(r.Header.Get("Authorization"), a.keyword)
	if !ok || err != nil {
		return nil, err
	}
	ctx := r.Context()
	u, err := a.user(r, key)
	if err != nil {
		return nil, err
	}
	ctx = a.auth.WithAuthenticatedUser(ctx, u)
	for _, c := range a.checks {
		if err := c.Allow(ctx, u); err != nil {
			return nil, err
		}
	}
	return r.WithContext(ctx), nil
}

// user returns key's active user, from the cache or the stores.
func (a *Auth) user(r *http.Request, key string) (*auth.User, error) {
	if a.cache != nil {
		if u, ok := a.cache.Get(key); ok {
			return u.Clone(), nil
		}
	}
	// DRF's key is a CharField(max_length=40); PostgreSQL refuses a NUL in
	// text. Neither can name a stored token: no need to ask.
	if utf8.RuneCountInString(key) > drftoken.KeyLength || strings.IndexByte(key, 0) >= 0 {
		return nil, ErrInvalidToken
	}
	var gen uint64
	if a.cache != nil {
		gen = a.cache.Gen()
	}
	ctx := r.Context()
	t, err := a.tokens.Get(ctx, key)
	if errors.Is(err, drftoken.ErrNotFound) {
		return nil, ErrInvalidToken
	}
	if err != nil {
		return nil, fmt.Errorf("tokenauth: loading the token: %w", apierror.MarkUnavailable(err))
	}
	u, err := a.auth.UserByID(ctx, t.UserID)
	if errors.Is(err, auth.ErrUserNotFound) {
		return nil, ErrInactive
	}
	if err != nil {
		return nil, fmt.Errorf("tokenauth: loading the token's user: %w", err)
	}
	if !u.IsActive {
		return nil, ErrInactive
	}
	// Only the stored spelling is cached: under MySQL's case-insensitive
	// collations another spelling finds the same row, and a deletion
	// through Store drops the stored key only.
	if a.cache != nil && t.Key == key {
		a.cache.PutIfGen(key, *u.Clone(), gen)
	}
	return u, nil
}

// Describe implements security.Auth: an apiKey scheme in the Authorization
// header (DRF's "Token" is not a registered HTTP authentication scheme, so
// an OpenAPI "http" scheme cannot name it), the 401 and 503, and with
// checks the 403.
func (a *Auth) Describe(security.Operation) security.Description {
	d := security.Description{
		Schemes: map[string]*openapi.SecurityScheme{
			a.scheme: {Type: "apiKey", In: "header", Name: "Authorization", Description: a.keyword + " " + SchemeDescription},
		},
		Requirement: openapi.SecurityRequirement{a.scheme: []string{}},
		Responses:   []security.Response{security.NotAuthenticatedResponse(), security.UnavailableResponse()},
	}
	if len(a.checks) > 0 {
		d.Responses = append(d.Responses, security.Response{Status: http.StatusForbidden, Description: sessionauth.PermissionDescription + sessionauth.Requires(a.checks)})
	}
	return d
}

// ValidKeyword reports whether k can be Options.Keyword: an HTTP token
// (RFC 9110), so one word of letters, digits and !#$%&'*+-.^_`|~.
func ValidKeyword(k string) bool { return httpTokenRE.MatchString(k) }
