package sessionauth

import (
	"context"
	"errors"
	"net/http"
	"net/netip"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/hashers"
	"github.com/dmr-go/dmr/csrf"
	"github.com/dmr-go/dmr/security"
)

// DjangoSessionPayload is the default login payload (Django Modern Rest's
// DjangoSessionPayload): the keyword arguments of authenticate().
type DjangoSessionPayload struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// SchemaDescription documents the payload (and the login request body).
func (DjangoSessionPayload) SchemaDescription() string {
	return "Payload for default version of a django session request body.\n\nIs also used as kwargs for :func:`django.contrib.auth.authenticate`."
}

// DjangoSessionResponse is the default login response (Django Modern Rest's
// DjangoSessionResponse): the logged-in user's primary key as a string.
type DjangoSessionResponse struct {
	UserID string `json:"user_id"`
}

// SchemaDescription documents the response.
func (DjangoSessionResponse) SchemaDescription() string {
	return "Default response type for django session endpoint."
}

// LoginSummary is the login operation's summary, as in Django Modern Rest.
const LoginSummary = "By default cookies are acquired on post."

// OriginFailedDescription documents the login's 403.
const OriginFailedDescription = "Raised when the Origin header names a foreign origin (login CSRF)"

// BusyDescription documents the login's 503: every password-hashing slot
// stayed busy for longer than the hashers' MaxWait (see package hashers).
const BusyDescription = "Raised when password hashing is saturated; retry after the given delay"

// ThrottledDescription documents the login's 429 (declared when
// LoginOptions.Throttle is set).
const ThrottledDescription = "Raised after too many failed logins from this client (for this username or any); retry after the given delay"

// Login outcomes, reported to LoginOptions.Observe once per attempt that
// reaches the credential check.
const (
	// OutcomeSuccess: the credentials were right and the user is logged in.
	OutcomeSuccess = "success"
	// OutcomeFailure: wrong credentials, an unknown or inactive user, or a
	// backend's refusal (answered 401, or 429 when this failure reached a
	// throttle limit).
	OutcomeFailure = "failure"
	// OutcomeThrottled: refused by the throttle before any password was
	// hashed (429).
	OutcomeThrottled = "throttled"
	// OutcomeBusy: the password-hashing pool stayed saturated (503).
	// The value is the metrics package's label for the same outcome.
	OutcomeBusy = "hashing_busy"
)

// Throttle is what the login needs of a failed-login throttle; a
// *loginthrottle.Throttle (package auth/loginthrottle) is one. Errors that
// refuse an attempt answer 429 through apierror.
type Throttle interface {
	// ClientIP returns the address r's attempts are counted under.
	ClientIP(r *http.Request) netip.Addr
	// Begin refuses an attempt over the limits, before authenticating, or
	// admits (and counts) it.
	Begin(ctx context.Context, ip netip.Addr, username string) error
	// Failed reports that an admitted attempt failed; it may refuse it
	// (the failure that reaches a limit).
	Failed(ctx context.Context, ip netip.Addr, username string) error
	// Succeeded reports that an admitted attempt succeeded.
	Succeeded(ctx context.Context, ip netip.Addr, username string) error
}

// LoginUnavailableDescription documents the login's 503: password hashing
// is saturated (BusyDescription), or a store the login needs (users,
// sessions) is down, unreachable or too slow (apierror.ErrUnavailable).
const LoginUnavailableDescription = "Raised when password hashing is saturated or a backing store (database, cache) is unavailable; retry after the given delay"

// LoginOptions configures the login endpoint that [Auth.RegisterLogin]
// adds, generic over its payload P and response R. The zero
// [DefaultLoginOptions] is Django Modern Rest's default login. The auth,
// CSRF protector and session cookie name are the Auth's.
type LoginOptions[P, R any] struct {
	// ControllerName feeds the operationId; empty means
	// "SessionSyncController".
	ControllerName string
	// Path is the controller's path under the API prefix; empty means
	// "/auth/".
	Path string
	// Credentials turns the payload into the credentials for
	// auth.Auth.Authenticate (Django Modern Rest's convert_auth_payload).
	// Required unless P is DjangoSessionPayload.
	Credentials func(ctx context.Context, p *P) (auth.Credentials, error)
	// Response builds the answer for the logged-in user (make_api_response).
	// Required unless R is DjangoSessionResponse.
	Response func(ctx context.Context, u *auth.User) (*R, error)
	// Operation overrides documentation fields of the endpoint (summary,
	// description, tags, operationId); its Status, Cookies, Responses and
	// auth fields are set by RegisterLogin.
	Operation dmr.Operation
	// Throttle, when set, limits failed logins: an attempt over its limits
	// answers 429 with Retry-After before the password is checked (so it
	// costs no hash), even when the password is right. The username it
	// counts is the credentials' "username". The 429 is then declared on
	// the operation.
	Throttle Throttle
	// Observe, when set, is called once per attempt that reaches the
	// credential check with one of the Outcome constants (for metrics).
	// Attempts refused earlier (a foreign Origin, a bad payload) and other
	// errors (a store failing) report nothing. It must not block.
	Observe func(ctx context.Context, outcome string)
}

// DefaultLoginOptions is the login of Django Modern Rest's
// DjangoSessionSyncController: {username, password} in, {user_id} out.
type DefaultLoginOptions = LoginOptions[DjangoSessionPayload, DjangoSessionResponse]

// LoginEndpoint is a login endpoint's configuration: a LoginOptions of any
// payload and response types. (Go methods cannot have type parameters, so
// [Auth.RegisterLogin] takes this interface; only LoginOptions implements
// it.)
type LoginEndpoint interface {
	registerLogin(api *dmr.API, a *Auth) *dmr.Controller
}

// retryAfter documents the Retry-After header of the 429 and 503 answers.
var retryAfter = []dmr.Header{{Name: "Retry-After", Description: "Seconds to wait before retrying."}}

type loginInput[P any] struct {
	Body P `body:""`
}

// loginConfig is what the login handler reads: the endpoint's options and
// the Auth's shared settings.
type loginConfig[P, R any] struct {
	LoginOptions[P, R]
	Auth *auth.Auth
	CSRF *csrf.Protector
}

// RegisterLogin adds the login endpoint (POST <Path>, "/auth/" by default)
// to api and returns its controller; nil means DefaultLoginOptions{}. See
// the package documentation for its behaviour. Like http.ServeMux.Handle, it
// panics on a programmer error (a custom payload or response type without
// its hook, a path already served…); options are checked before anything is
// registered.
func (a *Auth) RegisterLogin(api *dmr.API, e LoginEndpoint) *dmr.Controller {
	if e == nil {
		e = DefaultLoginOptions{}
	}
	return e.registerLogin(api, a)
}

func (o LoginOptions[P, R]) registerLogin(api *dmr.API, a *Auth) *dmr.Controller {
	if o.Credentials == nil {
		f, ok := any(defaultCredentials).(func(context.Context, *P) (auth.Credentials, error))
		if !ok {
			panic("sessionauth: RegisterLogin: LoginOptions.Credentials is required for a custom payload type")
		}
		o.Credentials = f
	}
	if o.Response == nil {
		f, ok := any(defaultResponse).(func(context.Context, *auth.User) (*R, error))
		if !ok {
			panic("sessionauth: RegisterLogin: LoginOptions.Response is required for a custom response type")
		}
		o.Response = f
	}
	if o.ControllerName == "" {
		o.ControllerName = "SessionSyncController"
	}
	if o.Path == "" {
		o.Path = "/auth/"
	}
	op := o.Operation
	if op.Summary == "" && op.Description == "" {
		op.Summary = LoginSummary
	}
	op.Status = http.StatusOK
	op.NoAuth = true
	op.Auth = nil
	op.Cookies = []dmr.Cookie{{Name: a.cookie, SetElsewhere: true}}
	if !a.csrf.UseSessions() {
		op.Cookies = append(op.Cookies, dmr.Cookie{Name: a.csrf.CookieName(), Description: "CSRF protection.", SetElsewhere: true})
	}
	op.Responses = []dmr.Response{
		{Status: http.StatusUnauthorized},
		{Status: http.StatusForbidden, Description: OriginFailedDescription},
		{Status: http.StatusServiceUnavailable, Description: LoginUnavailableDescription,
			Headers: retryAfter},
	}
	if o.Throttle != nil {
		op.Responses = append(op.Responses, dmr.Response{Status: http.StatusTooManyRequests, Description: ThrottledDescription,
			Headers: retryAfter})
	}
	cfg := loginConfig[P, R]{LoginOptions: o, Auth: a.auth, CSRF: a.csrf}
	c := api.Controller(dmr.ControllerConfig{Name: o.ControllerName, Path: o.Path, NoAuth: true})
	dmr.Post(c, op, func(ctx context.Context, in *loginInput[P]) (*R, error) {
		return login(ctx, cfg, &in.Body)
	})
	return c
}

func login[P, R any](ctx context.Context, o loginConfig[P, R], p *P) (*R, error) {
	r := dmr.Request(ctx)
	if err := o.CSRF.CheckOrigin(r); err != nil {
		return nil, err
	}
	creds, err := o.Credentials(ctx, p)
	if err != nil {
		return nil, err
	}
	u, err := CheckCredentials(ctx, o.Auth, o.Throttle, r, creds, nil, o.Observe)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, security.ErrNotAuthenticated
	}
	if err := o.Auth.Login(ctx, u); err != nil {
		return nil, err
	}
	if o.Observe != nil {
		o.Observe(ctx, OutcomeSuccess)
	}
	return o.Response(ctx, u)
}

// CheckCredentials is the credential check of a login (this package's
// login endpoint, jwtauth's obtain endpoint, basicauth): under the
// throttle t (nil for none; r is the request whose client it counts), it
// authenticates creds through a's backends. A failed login (no user, a
// backend's refusal, or a user that reject, when not nil, refuses) is
// reported to t and answers (nil, nil), unless t refuses it (its error).
// observe, when not nil, receives OutcomeThrottled, OutcomeBusy or
// OutcomeFailure; reporting OutcomeSuccess is the caller's, once the login
// is complete.
func CheckCredentials(ctx context.Context, a *auth.Auth, t Throttle, r *http.Request, creds auth.Credentials,
	reject func(*auth.User) bool, observe func(context.Context, string)) (*auth.User, error) {
	report := func(outcome string) {
		if observe != nil {
			observe(ctx, outcome)
		}
	}
	var ip netip.Addr
	username := creds["username"]
	if t != nil {
		// Before authenticating: a refused attempt costs no hash.
		ip = t.ClientIP(r)
		if err := t.Begin(ctx, ip, username); err != nil {
			if ae, ok := apierror.As(err); ok && ae.Status == http.StatusTooManyRequests {
				report(OutcomeThrottled)
			}
			return nil, err
		}
	}
	u, err := a.Authenticate(ctx, creds)
	if err != nil && !errors.Is(err, auth.ErrPermissionDenied) {
		if errors.Is(err, hashers.ErrBusy) {
			report(OutcomeBusy)
		}
		return nil, err
	}
	if u == nil || (reject != nil && reject(u)) {
		// Django's authenticate() reports a denied login (ErrPermissionDenied)
		// as a failed one.
		report(OutcomeFailure)
		if t != nil {
			if err := t.Failed(ctx, ip, username); err != nil {
				return nil, err
			}
		}
		return nil, nil
	}
	if t != nil {
		if err := t.Succeeded(ctx, ip, username); err != nil {
			return nil, err
		}
	}
	return u, nil
}

func defaultCredentials(_ context.Context, p *DjangoSessionPayload) (auth.Credentials, error) {
	return auth.Credentials{"username": p.Username, "password": p.Password}, nil
}

func defaultResponse(_ context.Context, u *auth.User) (*DjangoSessionResponse, error) {
	return &DjangoSessionResponse{UserID: u.ID}, nil
}

// LogoutOptions configures the logout endpoint of [Auth.RegisterLogout].
// The zero value is usable.
type LogoutOptions struct {
	// ControllerName defaults to "LogoutController", Path to "/auth/logout/".
	ControllerName string
	Path           string
	Operation      dmr.Operation
}

// RegisterLogout adds POST <Path> ("/auth/logout/" by default), protected
// by a (only a logged-in user passing the CSRF check and a's checks may log
// out): it flushes the session (the session middleware then deletes the
// cookie) and answers 204. It panics on a programmer error, like
// http.ServeMux.Handle.
func (a *Auth) RegisterLogout(api *dmr.API, o LogoutOptions) *dmr.Controller {
	if o.ControllerName == "" {
		o.ControllerName = "LogoutController"
	}
	if o.Path == "" {
		o.Path = "/auth/logout/"
	}
	op := o.Operation
	if op.Summary == "" && op.Description == "" {
		op.Summary = "Log out: the session is flushed and its cookie deleted."
	}
	op.Status = http.StatusNoContent
	op.Auth = []security.Auth{a}
	c := api.Controller(dmr.ControllerConfig{Name: o.ControllerName, Path: o.Path})
	dmr.Post(c, op, func(ctx context.Context, _ *struct{}) (*struct{}, error) {
		return nil, a.auth.Logout(ctx)
	})
	return c
}

// CSRFResponse is the answer of the CSRF token endpoint.
type CSRFResponse struct {
	CSRFToken string `json:"csrftoken" description:"A masked CSRF token to send back in the X-CSRFToken header."`
}

// SchemaDescription documents the response.
func (CSRFResponse) SchemaDescription() string {
	return "A CSRF token for the X-CSRFToken header of unsafe requests."
}

// CSRFOptions configures the CSRF token endpoint of [Auth.RegisterCSRF].
// The zero value is usable.
type CSRFOptions struct {
	// ControllerName defaults to "CSRFController", Path to "/csrf/".
	ControllerName string
	Path           string
	Operation      dmr.Operation
}

// RegisterCSRF adds GET <Path> ("/csrf/" by default), which answers
// {"csrftoken":"<masked token>"} and has the CSRF middleware send the
// csrftoken cookie (or keep the secret in the session under
// CSRF_USE_SESSIONS). It panics on a programmer error, like
// http.ServeMux.Handle.
func (a *Auth) RegisterCSRF(api *dmr.API, o CSRFOptions) *dmr.Controller {
	if o.ControllerName == "" {
		o.ControllerName = "CSRFController"
	}
	if o.Path == "" {
		o.Path = "/csrf/"
	}
	op := o.Operation
	if op.Summary == "" && op.Description == "" {
		op.Summary = "Get a CSRF token before logging in."
	}
	op.NoAuth = true
	op.Auth = nil
	if !a.csrf.UseSessions() {
		op.Cookies = append(op.Cookies, dmr.Cookie{Name: a.csrf.CookieName(), Description: "CSRF protection.", SetElsewhere: true})
	}
	// The token comes from the session under CSRF_USE_SESSIONS, and the
	// session may have to be saved: a store that is down answers 503.
	op.Responses = append(op.Responses, dmr.Response{Status: http.StatusServiceUnavailable, Description: apierror.UnavailableDescription,
		Headers: retryAfter})
	c := api.Controller(dmr.ControllerConfig{Name: o.ControllerName, Path: o.Path, NoAuth: true})
	dmr.Get(c, op, func(ctx context.Context, _ *struct{}) (*CSRFResponse, error) {
		tok, err := csrf.GetToken(ctx)
		if err != nil {
			return nil, err
		}
		return &CSRFResponse{CSRFToken: tok}, nil
	})
	return c
}
