// Package security is the contract between the API layer and authentication
// components: an [Auth] checks one kind of credential on the *http.Request and
// describes what it adds to the OpenAPI document.
//
// The package holds no session, cookie or CSRF code. Concrete auths (Django
// session auth, header tokens…) live in their own packages and implement the
// two-method [Auth] interface.
//
// # Decisions an Auth can make
//
// Authenticate returns either a request to continue with (success), nothing
// ("not mine, try the next auth"), or an error (stop: [ErrNotAuthenticated] for
// 401, any apierror.Coder or *apierror.Error for its own status, for example a
// CSRF rejection with 403).
//
// # Several auths and several levels
//
// The auths of an endpoint are, in order, those of the endpoint, then of its
// controller, then of the API (concatenated, as Django Modern Rest does). They
// are tried in that order; the first success wins. Declaring "no auth" at the
// endpoint or controller level disables every level. In the document, the
// operation's security list holds one requirement per auth (an OR list), and
// the 401/403 responses contributed by the auths are added to the operation
// (the first auth to list a status wins).
//
// # Challenges
//
// An auth whose scheme has a standard HTTP challenge (Basic, Bearer) also
// implements [Challenger]. When an endpoint answers 401 — no auth accepted
// the request, or one refused it — the response carries one
// WWW-Authenticate field per distinct challenge of the endpoint's auths, in
// their order (RFC 9110 §11.6.1 and §15.5.2), unless the error set that
// header itself. The list is computed once at registration. The document
// then declares the header on the 401. Session cookies and API keys have
// no standard challenge: an endpoint with only such auths answers 401
// without WWW-Authenticate.
//
// # Order of checks
//
// For each request the API layer runs: the limiters that run before auth
// (429), the Accept check (406), the auths (401/403/…), the limiters that run
// after auth ([LimitDescription].AfterAuth), request parsing and validation
// (400), the handler, then response validation (422). Auths and limiters
// therefore never see a parsed body and must not read r.Body.
//
// # Limiters
//
// A [Limiter] rate-limits an endpoint (package throttle has them). The
// limiters of an endpoint are those of the endpoint, the controller and the
// API, all applied in that order; NoThrottle at the endpoint or controller
// level disables every level. Their responses (the 429) are documented like
// the auths'.
//
// # Threat model
//
// An Auth sees attacker-controlled input: every header, cookie and the Host.
// It must compare secrets in constant time, must fail closed (return an error
// rather than success when a check cannot be completed, for example when a
// store is unreachable) and must not answer "not mine" for a credential that
// is present but invalid unless falling through to another auth is the
// intended behaviour (a session cookie with no valid session is "not mine";
// an invalid bearer token is a 401).
package security
