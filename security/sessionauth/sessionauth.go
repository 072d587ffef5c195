package sessionauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/csrf"
	"github.com/dmr-go/dmr/openapi"
	"github.com/dmr-go/dmr/security"
)

// Default names and descriptions, as Django Modern Rest writes them.
const (
	DefaultSchemeName     = "django_session"
	DefaultCSRFSchemeName = "csrf"
	SchemeDescription     = "Reusing standard Django auth flow for API"
	CSRFSchemeDescription = "CSRF protection"
	CSRFFailedDescription = "Raised when CSRF check failed"
	// PermissionDescription documents the 403 of a failed Options.Check on a
	// safe method; on unsafe methods the 403 covers both causes.
	PermissionDescription       = "Raised when permission check failed"
	CSRFOrPermissionDescription = "Raised when CSRF check failed or permission was denied"
)

// ErrPermissionDenied is what a failed Options.Check answers: 403
// {"detail":[{"msg":"Permission denied","type":"security"}]}.
var ErrPermissionDenied error = permissionDenied{}

type permissionDenied struct{}

func (permissionDenied) Error() string { return "sessionauth: permission denied" }

// APIError implements apierror.Coder.
func (permissionDenied) APIError() *apierror.Error {
	return apierror.New(http.StatusForbidden, "Permission denied", apierror.TypeSecurity)
}

// Check is an extra condition on the logged-in user, such as [StaffOnly]. It
// runs after the CSRF check; false answers 403 Permission denied.
type Check func(ctx context.Context, u *auth.User) bool

// StaffOnly admits staff users (is_staff).
func StaffOnly(_ context.Context, u *auth.User) bool { return u.IsStaff }

// SuperuserOnly admits superusers (is_superuser).
func SuperuserOnly(_ context.Context, u *auth.User) bool { return u.IsSuperuser }

// Options configures an [Auth]. CSRF is required; everything else has
// Django Modern Rest's defaults.
type Options struct {
	// CSRF checks unsafe requests (required). Its cookie name and session
	// mode also shape the document.
	CSRF *csrf.Protector
	// SessionCookieName names the session cookie in the document; empty
	// means "sessionid". Pass sessions.Middleware.CookieName() when the
	// session middleware uses another name.
	SessionCookieName string
	// SchemeName and CSRFSchemeName name the security schemes; empty means
	// "django_session" and "csrf".
	SchemeName     string
	CSRFSchemeName string
	// Check, when set, must admit the user after the CSRF check.
	Check Check
}

// Auth is Django session authentication for endpoints (a security.Auth).
// Create it with [New]; it is safe for concurrent use.
type Auth struct {
	csrf       *csrf.Protector
	cookie     string
	scheme     string
	csrfScheme string // empty under CSRF_USE_SESSIONS
	csrfCookie string
	check      Check
}

var schemeNameRE = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)

// ValidCookieName reports whether name can be sent as a cookie name (an
// invalid one would make net/http drop the cookie silently).
func ValidCookieName(name string) bool {
	return name != "" && (&http.Cookie{Name: name, Value: "x"}).Valid() == nil
}

// New validates o and returns an Auth.
func New(o Options) (*Auth, error) {
	if o.CSRF == nil {
		return nil, errors.New("sessionauth: Options.CSRF is required: session auth without CSRF checks is not safe")
	}
	a := &Auth{csrf: o.CSRF, cookie: o.SessionCookieName, scheme: o.SchemeName, csrfScheme: o.CSRFSchemeName, check: o.Check}
	if a.cookie == "" {
		a.cookie = "sessionid"
	}
	if a.scheme == "" {
		a.scheme = DefaultSchemeName
	}
	if a.csrfScheme == "" {
		a.csrfScheme = DefaultCSRFSchemeName
	}
	if !ValidCookieName(a.cookie) {
		return nil, fmt.Errorf("sessionauth: invalid session cookie name %q", a.cookie)
	}
	for _, n := range []string{a.scheme, a.csrfScheme} {
		if !schemeNameRE.MatchString(n) {
			return nil, fmt.Errorf("sessionauth: invalid security scheme name %q (letters, digits, '.', '-' and '_' only)", n)
		}
	}
	if a.scheme == a.csrfScheme {
		return nil, fmt.Errorf("sessionauth: the session and CSRF schemes must have different names, both are %q", a.scheme)
	}
	if o.CSRF.UseSessions() {
		a.csrfScheme = ""
	} else {
		a.csrfCookie = o.CSRF.CookieName()
	}
	return a, nil
}

// With returns a copy of a whose Check is check (nil removes it), for
// endpoints that need more than a logged-in user:
//
//	staff := sa.With(sessionauth.StaffOnly)
func (a *Auth) With(check Check) *Auth {
	b := *a
	b.check = check
	return &b
}

// Authenticate implements security.Auth: the current user must be
// authenticated and active; then CSRF is checked on unsafe methods; then
// Options.Check.
func (a *Auth) Authenticate(r *http.Request) (*http.Request, error) {
	ctx := r.Context()
	u, err := auth.CurrentUser(ctx)
	if err != nil {
		// A store that is down or too slow is marked apierror.ErrUnavailable
		// by package auth: 503 with Retry-After.
		return nil, fmt.Errorf("sessionauth: loading the current user: %w", apierror.MarkUnavailable(err))
	}
	if !u.IsAuthenticated() || !u.IsActive {
		return nil, nil
	}
	if err := a.csrf.Check(r); err != nil {
		return nil, err
	}
	if a.check != nil && !a.check(ctx, u) {
		return nil, ErrPermissionDenied
	}
	return r, nil
}

// Describe implements security.Auth.
func (a *Auth) Describe(op security.Operation) security.Description {
	d := security.Description{
		Schemes: map[string]*openapi.SecurityScheme{
			a.scheme: {Type: "apiKey", Description: SchemeDescription, Name: a.cookie, In: "cookie"},
		},
		Requirement: openapi.SecurityRequirement{a.scheme: []string{}},
		Responses:   []security.Response{security.NotAuthenticatedResponse(), security.UnavailableResponse()},
	}
	unsafe := !csrf.IsSafeMethod(op.Method)
	if unsafe {
		d.Parameters = []*openapi.Parameter{csrfHeaderParameter(a.csrf)}
	}
	if a.csrfScheme != "" {
		d.Schemes[a.csrfScheme] = &openapi.SecurityScheme{Type: "apiKey", Description: CSRFSchemeDescription, Name: a.csrfCookie, In: "cookie"}
		if unsafe {
			d.Requirement[a.csrfScheme] = []string{}
		}
	}
	switch {
	case unsafe && a.check != nil:
		d.Responses = append(d.Responses, security.Response{Status: http.StatusForbidden, Description: CSRFOrPermissionDescription})
	case unsafe:
		d.Responses = append(d.Responses, security.Response{Status: http.StatusForbidden, Description: CSRFFailedDescription})
	case a.check != nil:
		d.Responses = append(d.Responses, security.Response{Status: http.StatusForbidden, Description: PermissionDescription})
	}
	return d
}

// csrfHeaderParameter documents the header that carries the CSRF token on
// unsafe requests (CSRF_HEADER_NAME, "X-CSRFToken" by default), so that
// clients generated from the document send it. The seed's security schemes
// are unchanged: the token's cookie stays an apiKey scheme.
func csrfHeaderParameter(p *csrf.Protector) *openapi.Parameter {
	name := p.HeaderName()
	if strings.EqualFold(name, "X-CSRFToken") {
		name = "X-CSRFToken" // Django's spelling of the default
	}
	return &openapi.Parameter{
		Name:        name,
		In:          "header",
		Description: "The CSRF token: the value of the CSRF cookie (or the token a CSRF endpoint answers). Django's CsrfViewMiddleware requires it on unsafe methods.",
		Required:    true,
		Schema:      &openapi.Schema{Type: "string"},
	}
}
