package security

import (
	"net/http"

	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/openapi"
)

// Auth checks one kind of credential for an endpoint and describes itself in
// the OpenAPI document.
//
// An Auth is shared by every request of every endpoint it is attached to, so
// it must be safe for concurrent use and keep no per-request state in itself.
type Auth interface {
	// Authenticate looks at the request (headers, cookies, Host, TLS state,
	// context values set by middlewares) and answers with one of:
	//
	//   - (r2, nil) with r2 != nil: authenticated. The endpoint continues with
	//     r2, which is r or r.WithContext(ctx) where ctx derives from
	//     r.Context() and carries what the handler needs (the user, say).
	//   - (nil, nil): this request carries no credential of mine; the next auth
	//     in the list is tried. When every auth answers so, the endpoint fails
	//     with 401 [ErrNotAuthenticated].
	//   - (nil, err): stop here. err is answered with its API form
	//     (apierror.As): [ErrNotAuthenticated] gives 401 "Not authenticated",
	//     a CSRF rejection 403 with its reason, a busy hasher 503… Errors with no
	//     API form become a logged 500.
	//
	// It runs after the Accept check (406) and before the request is parsed
	// (400), so it must not read the body.
	Authenticate(r *http.Request) (*http.Request, error)

	// Describe tells the document generator what the auth contributes to an
	// operation: its security schemes, the requirement object to add to the
	// operation's OR list, and the error responses it can cause. It is called
	// once per endpoint at registration, never per request.
	Describe(op Operation) Description
}

// Operation identifies the endpoint an [Auth] is describing itself for.
type Operation struct {
	Method      string // upper case, as registered ("GET", "POST"…)
	Path        string // full path template, e.g. "/api/users/{id}/"
	OperationID string
}

// Description is what an [Auth] contributes to the OpenAPI document.
type Description struct {
	// Schemes are added to components.securitySchemes under their names. Two
	// auths defining the same name must define the same scheme (this is
	// checked at registration).
	Schemes map[string]*openapi.SecurityScheme
	// Requirement is appended to the operation's security list. Its keys are
	// ANDed (for example {"django_session":[], "csrf":[]}); the list built
	// from several auths is an OR. A nil Requirement adds nothing.
	Requirement openapi.SecurityRequirement
	// Responses lists the statuses Authenticate may answer with. They are
	// documented with the endpoint's error model and are allowed by response
	// validation. When several auths list one status, the first one wins.
	Responses []Response
	// Parameters are request parameters the auth reads that a client must
	// send, added to the operation's parameters so that generated clients
	// know about them (for example the CSRF token header of unsafe
	// session-authenticated requests). An operation's own parameter of the
	// same name and location wins. Documented only.
	Parameters []*openapi.Parameter
}

// Response is an error response an [Auth] can cause.
type Response struct {
	Status      int
	Description string
	// Headers the response carries (for example WWW-Authenticate). They are
	// documented only.
	Headers []Header
}

// Header documents a response header. Headers are required unless
// Optional, as dmr.Header.
type Header struct {
	Name        string
	Description string
	// Optional marks a header the response may lack.
	Optional bool
}

// NotAuthenticatedDescription is the standard description of the 401 response
// an auth contributes.
const NotAuthenticatedDescription = "Raised when auth was not successful"

// NotAuthenticatedResponse is the standard 401 response entry.
func NotAuthenticatedResponse() Response {
	return Response{Status: http.StatusUnauthorized, Description: NotAuthenticatedDescription}
}

// UnavailableResponse is the 503 of an auth that loads state from a store
// (a session, a user): the store is down, unreachable or slower than its
// deadline (apierror.ErrUnavailable), and the answer carries Retry-After.
func UnavailableResponse() Response {
	return Response{
		Status:      http.StatusServiceUnavailable,
		Description: apierror.UnavailableDescription,
		Headers:     []Header{{Name: "Retry-After", Description: "Seconds to wait before retrying."}},
	}
}

// ErrNotAuthenticated is the error an [Auth] returns to fail with 401
// {"detail":[{"msg":"Not authenticated","type":"security"}]}. It is also what
// the endpoint answers when no auth accepted the request.
var ErrNotAuthenticated error = notAuthenticated{}

type notAuthenticated struct{}

func (notAuthenticated) Error() string { return "not authenticated" }

// APIError implements apierror.Coder.
func (notAuthenticated) APIError() *apierror.Error {
	return apierror.New(http.StatusUnauthorized, "Not authenticated", apierror.TypeSecurity)
}

// Challenger is implemented by an [Auth] whose scheme has an HTTP
// authentication challenge (RFC 9110 §11.6.1): HTTP Basic answers
// `Basic realm="api", charset="UTF-8"`, bearer-token auths
// `Bearer realm="api"`. When an endpoint answers 401, the API sends one
// WWW-Authenticate field per challenge of the endpoint's auths, in their
// order, and documents the header on the 401 response. Auths without a
// standard challenge (a session cookie, an API key in a header or cookie)
// do not implement it.
//
// Challenge is called once per endpoint at registration; an empty result
// adds nothing.
type Challenger interface {
	Challenge() string
}

// WWWAuthenticateDescription documents the WWW-Authenticate header of a 401
// whose endpoint has challenges.
const WWWAuthenticateDescription = "The authentication challenges of the accepted schemes (RFC 9110), one field per scheme."

// ValidSchemeName reports whether name can name a security scheme: an
// OpenAPI component key, ^[a-zA-Z0-9._-]+$.
func ValidSchemeName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return name != ""
}
