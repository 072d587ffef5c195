package sessionauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
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
	// PermissionDescription documents the 403 of a failed Check on a safe
	// method; on unsafe methods the 403 covers both causes. Both are
	// followed by what the checks require, e.g. " (requires the permission
	// notes.add_note)".
	PermissionDescription       = "Raised when permission check failed"
	CSRFOrPermissionDescription = "Raised when CSRF check failed or permission was denied"
)

// ErrPermissionDenied is what a failed [Check] answers unless it says more:
// 403 {"detail":[{"msg":"Permission denied","type":"security"}]}. The
// *[PermissionError] of [PermissionRequired] matches it with errors.Is.
var ErrPermissionDenied error = permissionDenied{}

type permissionDenied struct{}

func (permissionDenied) Error() string { return "sessionauth: permission denied" }

// APIError implements apierror.Coder.
func (permissionDenied) APIError() *apierror.Error {
	return apierror.New(http.StatusForbidden, "Permission denied", apierror.TypeSecurity)
}

// PermissionError is the refusal of [PermissionRequired]: 403 with the
// message "Permission denied: missing permission <perm>[, <perm>…]".
type PermissionError struct {
	// Missing lists the required permissions the user lacks, in the order
	// they were required.
	Missing []string
}

func (e *PermissionError) Error() string { return "sessionauth: " + e.msg() }

func (e *PermissionError) msg() string {
	word := "permission"
	if len(e.Missing) > 1 {
		word = "permissions"
	}
	return "Permission denied: missing " + word + " " + strings.Join(e.Missing, ", ")
}

// Is makes errors.Is(err, ErrPermissionDenied) true.
func (e *PermissionError) Is(target error) bool { return target == ErrPermissionDenied }

// APIError implements apierror.Coder.
func (e *PermissionError) APIError() *apierror.Error {
	ae := apierror.New(http.StatusForbidden, e.msg(), apierror.TypeSecurity)
	ae.Err = e
	return ae
}

// Check is an extra condition on the logged-in, active user, such as
// [StaffOnly] or [PermissionRequired]. Checks run after the CSRF check,
// inside Authenticate, in order; all must pass.
type Check struct {
	// Requires says what the check requires ("staff status", "the
	// permission notes.add_note"); it completes the 403's description in
	// the document. Empty adds nothing.
	Requires string
	// Allow returns nil to admit u. An error with an API form (such as
	// ErrPermissionDenied, 403) is the answer; any other error (a store
	// failure) is logged and answered 500: the check fails closed.
	Allow func(ctx context.Context, u *auth.User) error
}

// StaffOnly admits staff users (is_staff); others get 403 Permission denied.
func StaffOnly() Check {
	return Check{Requires: "staff status", Allow: func(_ context.Context, u *auth.User) error {
		if !u.IsStaff {
			return ErrPermissionDenied
		}
		return nil
	}}
}

// SuperuserOnly admits superusers (is_superuser); others get 403
// Permission denied.
func SuperuserOnly() Check {
	return Check{Requires: "superuser status", Allow: func(_ context.Context, u *auth.User) error {
		if !u.IsSuperuser {
			return ErrPermissionDenied
		}
		return nil
	}}
}

// PermissionRequired admits users that have every one of perms
// ("<app_label>.<codename>"), by Django's rules (auth.HasPerm: an active
// superuser has every permission; otherwise the user's own and its groups'
// permissions, loaded once per request through auth.Options.Permissions).
// Others get 403 with a *PermissionError naming what they lack; a failure to
// load the permissions answers 500. It panics, at registration time, when
// perms is empty or a permission is not of the form app_label.codename: a
// permission that cannot exist would deny every request.
func PermissionRequired(perms ...string) Check {
	if len(perms) == 0 {
		panic("sessionauth: PermissionRequired needs at least one permission")
	}
	for _, p := range perms {
		if err := auth.ValidatePermission(p); err != nil {
			panic("sessionauth: PermissionRequired: " + err.Error())
		}
	}
	perms = slices.Clone(perms)
	word := "the permission "
	if len(perms) > 1 {
		word = "the permissions "
	}
	return Check{Requires: word + strings.Join(perms, ", "), Allow: func(ctx context.Context, _ *auth.User) error {
		var missing []string
		for _, p := range perms {
			ok, err := auth.HasPerm(ctx, p)
			if err != nil {
				return fmt.Errorf("sessionauth: permission check: %w", err)
			}
			if !ok {
				missing = append(missing, p)
			}
		}
		if missing != nil {
			return &PermissionError{Missing: missing}
		}
		return nil
	}}
}

// Options configures an [Auth]. Auth and CSRF are required; everything else
// has Django Modern Rest's defaults. These settings are given once: the
// login, logout and CSRF endpoints registered through the Auth use them.
type Options struct {
	// Auth logs users in and out (the login and logout endpoints).
	Auth *auth.Auth
	// CSRF checks unsafe requests and refuses logins from foreign origins.
	// Its cookie name and session mode also shape the document.
	CSRF *csrf.Protector
	// SessionCookieName names the session cookie in the document; empty
	// means "sessionid". Pass sessions.Middleware.CookieName() when the
	// session middleware uses another name.
	SessionCookieName string
	// SchemeName and CSRFSchemeName name the security schemes; empty means
	// "django_session" and "csrf".
	SchemeName     string
	CSRFSchemeName string
	// Checks must all admit the user, after the CSRF check.
	Checks []Check
}

// Auth is Django session authentication for endpoints (a security.Auth).
// Create it with [New]; it is safe for concurrent use.
type Auth struct {
	auth       *auth.Auth
	csrf       *csrf.Protector
	cookie     string
	scheme     string
	csrfScheme string // empty under CSRF_USE_SESSIONS
	csrfCookie string
	checks     []Check
}

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
	if o.Auth == nil {
		return nil, errors.New("sessionauth: Options.Auth is required")
	}
	for i, c := range o.Checks {
		if c.Allow == nil {
			return nil, fmt.Errorf("sessionauth: Options.Checks[%d] has no Allow function", i)
		}
	}
	a := &Auth{auth: o.Auth, csrf: o.CSRF, cookie: o.SessionCookieName, scheme: o.SchemeName, csrfScheme: o.CSRFSchemeName, checks: slices.Clone(o.Checks)}
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
		if !security.ValidSchemeName(n) {
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

// With returns a copy of a that also requires checks (after a's own), for
// endpoints that need more than a logged-in user; all must pass:
//
//	staff := sa.With(sessionauth.StaffOnly())
//	editors := staff.With(sessionauth.PermissionRequired("notes.change_note"))
//
// It panics on a Check without Allow (a programmer error, found at
// registration).
func (a *Auth) With(checks ...Check) *Auth {
	for i, c := range checks {
		if c.Allow == nil {
			panic(fmt.Sprintf("sessionauth: With: check %d has no Allow function", i))
		}
	}
	b := *a
	b.checks = append(slices.Clone(a.checks), checks...)
	return &b
}

// Authenticate implements security.Auth: the current user must be
// authenticated and active; then CSRF is checked on unsafe methods; then
// every Check, in order.
func (a *Auth) Authenticate(r *http.Request) (*http.Request, error) {
	ctx := r.Context()
	u, err := auth.CurrentUser(ctx)
	if err != nil {
		// A store that is down or too slow is already marked
		// apierror.ErrUnavailable by package auth: 503 with Retry-After.
		return nil, fmt.Errorf("sessionauth: loading the current user: %w", err)
	}
	if !u.IsAuthenticated() || !u.IsActive {
		return nil, nil
	}
	if err := a.csrf.Check(r); err != nil {
		return nil, err
	}
	for _, c := range a.checks {
		if err := c.Allow(ctx, u); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// requires is what the checks require, for the 403's description.
func (a *Auth) requires() string { return Requires(a.checks) }

// Requires completes the description of the 403 that checks can answer
// with what they require: " (requires staff status and the permission
// notes.add_note)", or "" when none says. Other auths that take Checks
// (tokens, JWT) document their 403 with it.
func Requires(checks []Check) string {
	var parts []string
	for _, c := range checks {
		if c.Requires != "" {
			parts = append(parts, c.Requires)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (requires " + strings.Join(parts, " and ") + ")"
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
	checked := len(a.checks) > 0
	switch {
	case unsafe && checked:
		d.Responses = append(d.Responses, security.Response{Status: http.StatusForbidden, Description: CSRFOrPermissionDescription + a.requires()})
	case unsafe:
		d.Responses = append(d.Responses, security.Response{Status: http.StatusForbidden, Description: CSRFFailedDescription})
	case checked:
		d.Responses = append(d.Responses, security.Response{Status: http.StatusForbidden, Description: PermissionDescription + a.requires()})
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
