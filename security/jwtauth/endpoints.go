package jwtauth

import (
	"context"
	"net/http"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/security/sessionauth"
)

// TokenObtainPayload is the obtain endpoint's default body: the user
// model's USERNAME_FIELD ("username" for Django's auth.User; SimpleJWT
// names the field after USERNAME_FIELD) and the password.
type TokenObtainPayload struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// SchemaDescription documents the payload.
func (TokenObtainPayload) SchemaDescription() string {
	return "Credentials: the user's USERNAME_FIELD and password, checked by the authentication backends."
}

// EmailObtainPayload is the obtain body for a user model whose
// USERNAME_FIELD is "email" (SimpleJWT's field is then "email").
type EmailObtainPayload struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// TokenPair is the obtain endpoint's answer (SimpleJWT's
// TokenObtainPairSerializer: refresh, then access).
type TokenPair struct {
	Refresh string `json:"refresh" description:"A refresh token, for the refresh endpoint."`
	Access  string `json:"access" description:"An access token: Authorization: Bearer <access>."`
}

// SchemaDescription documents the pair.
func (TokenPair) SchemaDescription() string { return "An access and refresh JSON web token pair." }

// TokenRefreshPayload is the refresh endpoint's body.
type TokenRefreshPayload struct {
	Refresh string `json:"refresh"`
}

// TokenRefreshResponse is the refresh endpoint's answer: a new access
// token, and a new refresh token when refresh tokens rotate.
type TokenRefreshResponse struct {
	Access  string `json:"access"`
	Refresh string `json:"refresh,omitempty"`
}

// TokenVerifyPayload is the verify endpoint's body.
type TokenVerifyPayload struct {
	Token string `json:"token"`
}

// TokenVerifyResponse is the verify endpoint's answer: the empty object {},
// as SimpleJWT's TokenVerifyView answers.
type TokenVerifyResponse struct{}

// verifyOutput writes TokenVerifyResponse as a body ({}); a bare struct{}
// output means "no body" to dmr.
type verifyOutput struct {
	Body TokenVerifyResponse `body:""`
}

// Throttle is the failed-login throttle the obtain endpoint shares with the
// session login (a *loginthrottle.Throttle).
type Throttle = sessionauth.Throttle

// Descriptions of the endpoints' error responses.
const (
	InvalidTokenDescription = "Raised when the token is invalid, expired, of the wrong type or blacklisted, or its user is missing or inactive"
	ObtainFailedDescription = "Raised when no active account matches the credentials"
)

// ObtainOptions configures the obtain endpoint, generic over its payload:
// TokenObtainPayload (default), EmailObtainPayload or your own with
// Credentials.
type ObtainOptions[P any] struct {
	// Credentials turns the payload into auth.Credentials ("username" is the
	// USERNAME_FIELD value ModelBackend looks up). Required unless P is
	// TokenObtainPayload or EmailObtainPayload.
	Credentials func(ctx context.Context, p *P) (auth.Credentials, error)
	// Throttle, when set, limits failed attempts exactly as the session
	// login's (429 with Retry-After before any password is hashed).
	Throttle Throttle
	// Observe receives one of sessionauth's Outcome constants per attempt
	// that reaches the credential check.
	Observe func(ctx context.Context, outcome string)
}

// ObtainEndpoint is an ObtainOptions of any payload type.
type ObtainEndpoint interface {
	registerObtain(api *dmr.API, a *Auth, path string) *dmr.Controller
}

// EndpointOptions configures [Auth.Register]. The zero value registers
// SimpleJWT's three views at /token/, /token/refresh/ and /token/verify/
// under the API prefix, with the default obtain payload and no throttle.
type EndpointOptions struct {
	// Obtain configures the obtain endpoint; nil means
	// ObtainOptions[TokenObtainPayload]{}.
	Obtain ObtainEndpoint
	// ObtainPath, RefreshPath and VerifyPath default to "/token/",
	// "/token/refresh/" and "/token/verify/".
	ObtainPath, RefreshPath, VerifyPath string
}

// withCookie is an answer with the access-token cookie when
// Options.Cookie is set.
type withCookie[B any] struct {
	Cookies []*http.Cookie `cookie:"" required:"false" description:"The access token (HttpOnly), when the API carries it in a cookie."`
	Body    B              `body:""`
}

func newWithCookie[B any](a *Auth, access string, b B) *withCookie[B] {
	w := &withCookie[B]{Body: b}
	if a.o.Cookie != "" {
		w.Cookies = []*http.Cookie{a.accessCookie(access)}
	}
	return w
}

type bodyInput[P any] struct {
	Body P `body:""`
}

var retryAfter = []dmr.Header{{Name: "Retry-After", Description: "Seconds to wait before retrying."}}

func (a *Auth) unauthorized(desc string) dmr.Response {
	return dmr.Response{Status: http.StatusUnauthorized, Description: desc,
		Headers: []dmr.Header{{Name: "WWW-Authenticate", Description: "The bearer challenge: " + a.realm + "."}}}
}

// Register adds SimpleJWT's obtain, refresh and verify endpoints to api
// (POST each, no auth):
//
//	POST /token/          {"username","password"} → 200 {"refresh","access"}
//	POST /token/refresh/  {"refresh"}             → 200 {"access"} (+ "refresh" when rotating)
//	POST /token/verify/   {"token"}               → 200 {}
//
// Refusals answer 401 with SimpleJWT's message and WWW-Authenticate. It
// panics on a programmer error (no signing key, a custom payload without
// Credentials, a path already served), like http.ServeMux.Handle.
func (a *Auth) Register(api *dmr.API, o EndpointOptions) {
	if !a.keys.canSign() {
		panic("jwtauth: Register: the Auth has no signing key (verify-only)")
	}
	if o.Obtain == nil {
		o.Obtain = ObtainOptions[TokenObtainPayload]{}
	}
	if o.ObtainPath == "" {
		o.ObtainPath = "/token/"
	}
	if o.RefreshPath == "" {
		o.RefreshPath = "/token/refresh/"
	}
	if o.VerifyPath == "" {
		o.VerifyPath = "/token/verify/"
	}
	o.Obtain.registerObtain(api, a, o.ObtainPath)

	unavailable := dmr.Response{Status: http.StatusServiceUnavailable, Description: apierror.UnavailableDescription, Headers: retryAfter}
	rc := api.Controller(dmr.ControllerConfig{Name: "TokenRefreshController", Path: o.RefreshPath, NoAuth: true})
	dmr.Post(rc, dmr.Operation{
		Summary:   "Take a refresh token and return an access token (and a new refresh token when they rotate).",
		Status:    http.StatusOK,
		NoAuth:    true,
		Responses: []dmr.Response{a.unauthorized(InvalidTokenDescription), unavailable},
	}, func(ctx context.Context, in *bodyInput[TokenRefreshPayload]) (*withCookie[TokenRefreshResponse], error) {
		p, err := a.Refresh(ctx, in.Body.Refresh)
		if err != nil {
			return nil, err
		}
		return newWithCookie(a, p.Access, TokenRefreshResponse{Access: p.Access, Refresh: p.Refresh}), nil
	})

	vc := api.Controller(dmr.ControllerConfig{Name: "TokenVerifyController", Path: o.VerifyPath, NoAuth: true})
	dmr.Post(vc, dmr.Operation{
		Summary:   "Take a token and tell whether it is valid.",
		Status:    http.StatusOK,
		NoAuth:    true,
		Responses: []dmr.Response{a.unauthorized(InvalidTokenDescription), unavailable},
	}, func(ctx context.Context, in *bodyInput[TokenVerifyPayload]) (*verifyOutput, error) {
		if err := a.Verify(ctx, in.Body.Token); err != nil {
			return nil, err
		}
		return &verifyOutput{}, nil
	})
}

func usernameCredentials(_ context.Context, p *TokenObtainPayload) (auth.Credentials, error) {
	return auth.Credentials{"username": p.Username, "password": p.Password}, nil
}

func emailCredentials(_ context.Context, p *EmailObtainPayload) (auth.Credentials, error) {
	return auth.Credentials{"username": p.Email, "password": p.Password}, nil
}

func (o ObtainOptions[P]) registerObtain(api *dmr.API, a *Auth, path string) *dmr.Controller {
	if o.Credentials == nil {
		switch f := any(&o.Credentials).(type) {
		case *func(context.Context, *TokenObtainPayload) (auth.Credentials, error):
			*f = usernameCredentials
		case *func(context.Context, *EmailObtainPayload) (auth.Credentials, error):
			*f = emailCredentials
		default:
			panic("jwtauth: Register: ObtainOptions.Credentials is required for a custom payload type")
		}
	}
	responses := []dmr.Response{
		a.unauthorized(ObtainFailedDescription),
		{Status: http.StatusServiceUnavailable, Description: sessionauth.LoginUnavailableDescription, Headers: retryAfter},
	}
	if o.Throttle != nil {
		responses = append(responses, dmr.Response{Status: http.StatusTooManyRequests, Description: sessionauth.ThrottledDescription, Headers: retryAfter})
	}
	c := api.Controller(dmr.ControllerConfig{Name: "TokenObtainPairController", Path: path, NoAuth: true})
	dmr.Post(c, dmr.Operation{
		Summary:   "Take a set of user credentials and return an access and refresh JSON web token pair.",
		Status:    http.StatusOK,
		NoAuth:    true,
		Responses: responses,
	}, func(ctx context.Context, in *bodyInput[P]) (*withCookie[TokenPair], error) {
		p, err := o.obtain(ctx, a, &in.Body)
		if err != nil {
			return nil, err
		}
		return newWithCookie(a, p.Access, *p), nil
	})
	return c
}

// obtain is the session login's flow (throttle, backends, bounded hashing)
// ending in a token pair instead of a session.
func (o ObtainOptions[P]) obtain(ctx context.Context, a *Auth, p *P) (*TokenPair, error) {
	creds, err := o.Credentials(ctx, p)
	if err != nil {
		return nil, err
	}
	var reject func(*auth.User) bool
	if !a.o.AllowInactive {
		// USER_AUTHENTICATION_RULE: a user, and an active one.
		reject = inactive
	}
	u, err := sessionauth.CheckCredentials(ctx, a.o.Auth, o.Throttle, dmr.Request(ctx), creds, reject, o.Observe)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, a.refuse(MsgNoActiveAccount)
	}
	pair, err := a.NewPair(ctx, u)
	if err != nil {
		return nil, err
	}
	if a.o.UpdateLastLogin {
		if us := a.o.Auth.Users(); us != nil {
			if err := us.UpdateLastLogin(ctx, u.ID, a.o.Now()); err != nil {
				return nil, apierror.MarkUnavailable(err)
			}
		}
	}
	if o.Observe != nil {
		o.Observe(ctx, sessionauth.OutcomeSuccess)
	}
	return &TokenPair{Refresh: pair.Refresh, Access: pair.Access}, nil
}

func inactive(u *auth.User) bool { return !u.IsActive }
