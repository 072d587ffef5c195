package security

import "net/http"

// Limiter rate-limits requests to an endpoint (package throttle has the
// concrete limiters) and describes itself in the OpenAPI document.
//
// A Limiter is shared by every request of every endpoint it is attached to,
// so it must be safe for concurrent use and keep no per-request state in
// itself.
type Limiter interface {
	// Limit counts the request and answers nil to let it through, or an
	// error to stop it: a 429 (an apierror.Coder with Retry-After), or the
	// store's failure (answered 503 when it is apierror.ErrUnavailable). It
	// may add response headers to w.Header() (RateLimit, RateLimit-Policy);
	// they stay on whatever the endpoint answers. It must not read the body
	// nor write to w otherwise.
	Limit(w http.ResponseWriter, r *http.Request) error

	// Describe tells the API layer when the limiter runs and which
	// responses it causes. It is called once per endpoint at registration,
	// never per request.
	Describe(op Operation) LimitDescription
}

// LimitDescription is what a [Limiter] tells the API layer.
type LimitDescription struct {
	// AfterAuth runs the limiter after the endpoint's auths have accepted
	// the request (it sees the authenticated request, whose context holds
	// the user), as Django Modern Rest runs its user-keyed throttles. False
	// runs it first, before the Accept check and the auths, so that a
	// flood is refused before it costs a session lookup or a password hash.
	AfterAuth bool
	// Responses lists the statuses Limit may answer with (429, and 503 when
	// it fails closed); documented with the endpoint's error model and
	// allowed by response validation, as [Description.Responses].
	Responses []Response
}

// TooManyRequestsDescription is Django Modern Rest's description of the 429
// response a throttle contributes.
const TooManyRequestsDescription = "Raised when throttling rate was hit"
