package sessionauth

import (
	"context"
	"errors"
	"fmt"
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
	OutcomeBusy = "busy"
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

// LoginOptions configures [RegisterLogin]. Auth and CSRF are required.
type LoginOptions[P, R any] struct {
	// Auth authenticates the credentials and logs the user in.
	Auth *auth.Auth
	// CSRF refuses foreign Origins and documents the csrftoken cookie.
	CSRF *csrf.Protector
	// SessionCookieName names the session cookie in the document; empty
	// means "sessionid".
	SessionCookieName string
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

type loginInput[P any] struct {
	Body P `body:""`
}

// RegisterLogin adds the login endpoint (POST <Path>) to api and returns its
// controller. See the package documentation for its behaviour.
func RegisterLogin[P, R any](api *dmr.API, o LoginOptions[P, R]) (*dmr.Controller, error) {
	if o.Auth == nil || o.CSRF == nil {
		return nil, errors.New("sessionauth: LoginOptions.Auth and LoginOptions.CSRF are required")
	}
	if o.Credentials == nil {
		if f, ok := any(defaultCredentials).(func(context.Context, *P) (auth.Credentials, error)); ok {
			o.Credentials = f
		} else {
			return nil, errors.New("sessionauth: LoginOptions.Credentials is required for a custom payload type")
		}
	}
	if o.Response == nil {
		if f, ok := any(defaultResponse).(func(context.Context, *auth.User) (*R, error)); ok {
			o.Response = f
		} else {
			return nil, errors.New("sessionauth: LoginOptions.Response is required for a custom response type")
		}
	}
	cookie := o.SessionCookieName
	if cookie == "" {
		cookie = "sessionid"
	}
	if !ValidCookieName(cookie) {
		return nil, fmt.Errorf("sessionauth: invalid session cookie name %q", cookie)
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
	op.Cookies = []dmr.Cookie{{Name: cookie, SetElsewhere: true}}
	if !o.CSRF.UseSessions() {
		op.Cookies = append(op.Cookies, dmr.Cookie{Name: o.CSRF.CookieName(), Description: "CSRF protection.", SetElsewhere: true})
	}
	op.Responses = []dmr.Response{
		{Status: http.StatusUnauthorized},
		{Status: http.StatusForbidden, Description: OriginFailedDescription},
		{Status: http.StatusServiceUnavailable, Description: LoginUnavailableDescription,
			Headers: []dmr.Header{{Name: "Retry-After", Description: "Seconds to wait before retrying."}}},
	}
	if o.Throttle != nil {
		op.Responses = append(op.Responses, dmr.Response{Status: http.StatusTooManyRequests, Description: ThrottledDescription,
			Headers: []dmr.Header{{Name: "Retry-After", Description: "Seconds to wait before retrying."}}})
	}
	return registerLogin(api, o, op)
}

func registerLogin[P, R any](api *dmr.API, o LoginOptions[P, R], op dmr.Operation) (c *dmr.Controller, err error) {
	defer func() {
		if p := recover(); p != nil {
			c, err = nil, fmt.Errorf("sessionauth: registering the login endpoint: %v", p)
		}
	}()
	c = api.Controller(dmr.ControllerConfig{Name: o.ControllerName, Path: o.Path, NoAuth: true})
	dmr.Post(c, op, func(ctx context.Context, in *loginInput[P]) (*R, error) {
		return login(ctx, o, &in.Body)
	})
	return c, nil
}

func login[P, R any](ctx context.Context, o LoginOptions[P, R], p *P) (*R, error) {
	r := dmr.Request(ctx)
	if err := o.CSRF.CheckOrigin(r); err != nil {
		return nil, err
	}
	creds, err := o.Credentials(ctx, p)
	if err != nil {
		return nil, err
	}
	var ip netip.Addr
	username := creds["username"]
	if o.Throttle != nil {
		// Before authenticating: a refused attempt costs no hash.
		ip = o.Throttle.ClientIP(r)
		if err := o.Throttle.Begin(ctx, ip, username); err != nil {
			if isStatus(err, http.StatusTooManyRequests) {
				o.observe(ctx, OutcomeThrottled)
			}
			return nil, err
		}
	}
	u, err := o.Auth.Authenticate(ctx, creds)
	if err != nil && !errors.Is(err, auth.ErrPermissionDenied) {
		if errors.Is(err, hashers.ErrBusy) {
			o.observe(ctx, OutcomeBusy)
		}
		return nil, err
	}
	if u == nil {
		// Django's authenticate() reports a denied login (ErrPermissionDenied)
		// as a failed one.
		o.observe(ctx, OutcomeFailure)
		if o.Throttle != nil {
			if err := o.Throttle.Failed(ctx, ip, username); err != nil {
				return nil, err
			}
		}
		return nil, security.ErrNotAuthenticated
	}
	if o.Throttle != nil {
		if err := o.Throttle.Succeeded(ctx, ip, username); err != nil {
			return nil, err
		}
	}
	if err := o.Auth.Login(ctx, u); err != nil {
		return nil, err
	}
	o.observe(ctx, OutcomeSuccess)
	return o.Response(ctx, u)
}

func (o LoginOptions[P, R]) observe(ctx context.Context, outcome string) {
	if o.Observe != nil {
		o.Observe(ctx, outcome)
	}
}

func isStatus(err error, status int) bool {
	ae, ok := apierror.As(err)
	return ok && ae.Status == status
}

func defaultCredentials(_ context.Context, p *DjangoSessionPayload) (auth.Credentials, error) {
	return auth.Credentials{"username": p.Username, "password": p.Password}, nil
}

func defaultResponse(_ context.Context, u *auth.User) (*DjangoSessionResponse, error) {
	return &DjangoSessionResponse{UserID: u.ID}, nil
}

// LogoutOptions configures [RegisterLogout]. Auth and Session are required.
type LogoutOptions struct {
	Auth *auth.Auth
	// Session protects the endpoint: only a logged-in user passing the CSRF
	// check may log out.
	Session *Auth
	// ControllerName defaults to "LogoutController", Path to "/auth/logout/".
	ControllerName string
	Path           string
	Operation      dmr.Operation
}

// RegisterLogout adds POST <Path>: it flushes the session (the session
// middleware then deletes the cookie) and answers 204.
func RegisterLogout(api *dmr.API, o LogoutOptions) (c *dmr.Controller, err error) {
	if o.Auth == nil || o.Session == nil {
		return nil, errors.New("sessionauth: LogoutOptions.Auth and LogoutOptions.Session are required")
	}
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
	op.Auth = []security.Auth{o.Session}
	defer func() {
		if p := recover(); p != nil {
			c, err = nil, fmt.Errorf("sessionauth: registering the logout endpoint: %v", p)
		}
	}()
	c = api.Controller(dmr.ControllerConfig{Name: o.ControllerName, Path: o.Path})
	dmr.Post(c, op, func(ctx context.Context, _ *struct{}) (*struct{}, error) {
		return nil, o.Auth.Logout(ctx)
	})
	return c, nil
}

// CSRFResponse is the answer of the CSRF token endpoint.
type CSRFResponse struct {
	CSRFToken string `json:"csrftoken" description:"A masked CSRF token to send back in the X-CSRFToken header."`
}

// SchemaDescription documents the response.
func (CSRFResponse) SchemaDescription() string {
	return "A CSRF token for the X-CSRFToken header of unsafe requests."
}

// CSRFOptions configures [RegisterCSRF]. CSRF is required.
type CSRFOptions struct {
	CSRF *csrf.Protector
	// ControllerName defaults to "CSRFController", Path to "/csrf/".
	ControllerName string
	Path           string
	Operation      dmr.Operation
}

// RegisterCSRF adds GET <Path>, which answers {"csrftoken":"<masked token>"}
// and has the CSRF middleware send the csrftoken cookie (or keep the secret
// in the session under CSRF_USE_SESSIONS).
func RegisterCSRF(api *dmr.API, o CSRFOptions) (c *dmr.Controller, err error) {
	if o.CSRF == nil {
		return nil, errors.New("sessionauth: CSRFOptions.CSRF is required")
	}
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
	if !o.CSRF.UseSessions() {
		op.Cookies = append(op.Cookies, dmr.Cookie{Name: o.CSRF.CookieName(), Description: "CSRF protection.", SetElsewhere: true})
	}
	// The token comes from the session under CSRF_USE_SESSIONS, and the
	// session may have to be saved: a store that is down answers 503.
	op.Responses = append(op.Responses, dmr.Response{Status: http.StatusServiceUnavailable, Description: apierror.UnavailableDescription,
		Headers: []dmr.Header{{Name: "Retry-After", Description: "Seconds to wait before retrying."}}})
	defer func() {
		if p := recover(); p != nil {
			c, err = nil, fmt.Errorf("sessionauth: registering the CSRF endpoint: %v", p)
		}
	}()
	c = api.Controller(dmr.ControllerConfig{Name: o.ControllerName, Path: o.Path, NoAuth: true})
	dmr.Get(c, op, func(ctx context.Context, _ *struct{}) (*CSRFResponse, error) {
		tok, err := csrf.GetToken(ctx)
		if err != nil {
			return nil, err
		}
		return &CSRFResponse{CSRFToken: tok}, nil
	})
	return c, nil
}
