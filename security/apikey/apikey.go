package apikey

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/openapi"
	"github.com/dmr-go/dmr/security"
)

// Defaults of [Options].
const (
	DefaultHeader     = "X-API-Key"
	DefaultSchemeName = "api_key"
	SchemeDescription = "An API key made with the createapikey command (dmr_<prefix>.<secret>)"
)

// Options configures an [Auth]. Store and Auth are required.
type Options struct {
	// Store keeps the keys.
	Store *Store
	// Auth loads the keys' users (which must exist and be active) and makes
	// them the request's current user.
	Auth *auth.Auth
	// Header is the request header carrying the key; empty means
	// "X-API-Key". Ignored when Cookie is set.
	Header string
	// Cookie, when set, names the cookie carrying the key instead of a
	// header.
	Cookie string
	// SchemeName names the security scheme; empty means "api_key".
	SchemeName string
}

// Auth authenticates requests by API key (a security.Auth). Create it with
// [New]; it is safe for concurrent use.
type Auth struct {
	store  *Store
	auth   *auth.Auth
	header string // canonical, when reading a header
	name   string // the header's name as configured, for the document
	cookie string
	scheme string
}

// New validates o and returns an Auth.
func New(o Options) (*Auth, error) {
	if o.Store == nil || o.Auth == nil {
		return nil, errors.New("apikey: Options.Store and Options.Auth are required")
	}
	a := &Auth{store: o.Store, auth: o.Auth, cookie: o.Cookie, scheme: o.SchemeName}
	if a.scheme == "" {
		a.scheme = DefaultSchemeName
	}
	if !security.ValidSchemeName(a.scheme) {
		return nil, fmt.Errorf("apikey: invalid security scheme name %q", a.scheme)
	}
	if a.cookie != "" {
		if (&http.Cookie{Name: a.cookie, Value: "x"}).Valid() != nil {
			return nil, fmt.Errorf("apikey: invalid cookie name %q", a.cookie)
		}
		return a, nil
	}
	h := o.Header
	if h == "" {
		h = DefaultHeader
	}
	if !validHeaderName(h) || strings.EqualFold(h, "Authorization") || strings.EqualFold(h, "Cookie") {
		return nil, fmt.Errorf("apikey: invalid header name %q", h)
	}
	a.header, a.name = http.CanonicalHeaderKey(h), h
	return a, nil
}

func validHeaderName(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return h != ""
}

// value returns the presented key and whether one is present.
func (a *Auth) value(r *http.Request) (string, bool, bool) {
	if a.cookie != "" {
		var v string
		n := 0
		for _, c := range r.CookiesNamed(a.cookie) {
			v = c.Value
			n++
		}
		return v, n > 0, n <= 1
	}
	vs := r.Header[a.header]
	if len(vs) == 0 {
		return "", false, true
	}
	return vs[0], true, len(vs) == 1
}

// Authenticate implements security.Auth. Without the header (or cookie) the
// request is not this auth's (nil, nil). A present key that is malformed,
// unknown, wrong, revoked or expired, or whose user is missing or inactive,
// answers 401; a store that is down 503. On success the key's user is the
// request's current user (auth.CurrentUser) and the key's row is available
// with [FromContext]. No CSRF check applies: a browser does not send the
// header by itself (with Cookie, see the package documentation).
func (a *Auth) Authenticate(r *http.Request) (*http.Request, error) {
	v, present, single := a.value(r)
	if !present {
		return nil, nil
	}
	if !single {
		return nil, security.ErrNotAuthenticated
	}
	ctx := r.Context()
	k, err := a.store.Check(ctx, v)
	switch {
	case errors.Is(err, ErrMalformed), errors.Is(err, ErrNotFound), errors.Is(err, ErrRevoked), errors.Is(err, ErrExpired):
		return nil, security.ErrNotAuthenticated
	case err != nil:
		return nil, err
	}
	u, err := a.auth.UserByID(ctx, k.UserID)
	if errors.Is(err, auth.ErrUserNotFound) {
		return nil, security.ErrNotAuthenticated
	}
	if err != nil {
		return nil, fmt.Errorf("apikey: loading the key's user: %w", err)
	}
	if !u.IsActive {
		return nil, security.ErrNotAuthenticated
	}
	ctx = a.auth.WithAuthenticatedUser(context.WithValue(ctx, keyCtx{}, k), u)
	return r.WithContext(ctx), nil
}

type keyCtx struct{}

// FromContext returns the key that authenticated the request, or nil.
func FromContext(ctx context.Context) *Key {
	k, _ := ctx.Value(keyCtx{}).(*Key)
	return k
}

// Describe implements security.Auth: an apiKey scheme in the header (or
// cookie), a 401 and the 503 of an unavailable store. API keys have no
// standard WWW-Authenticate challenge, so the Auth is not a
// security.Challenger.
func (a *Auth) Describe(security.Operation) security.Description {
	s := &openapi.SecurityScheme{Type: "apiKey", Description: SchemeDescription, Name: a.name, In: "header"}
	if a.cookie != "" {
		s.Name, s.In = a.cookie, "cookie"
	}
	return security.Description{
		Schemes:     map[string]*openapi.SecurityScheme{a.scheme: s},
		Requirement: openapi.SecurityRequirement{a.scheme: []string{}},
		Responses:   []security.Response{security.NotAuthenticatedResponse(), security.UnavailableResponse()},
	}
}
