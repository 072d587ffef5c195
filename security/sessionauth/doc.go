// Package sessionauth is Django session authentication for dmr endpoints: the
// Go counterpart of Django Modern Rest's DjangoSessionSyncAuth and
// DjangoSessionAsyncAuth (one type serves both, since every Go handler may
// block), and of its reusable login controller, plus a logout endpoint and an
// endpoint that hands a browser its CSRF token.
//
// # Requiring a session
//
// An [Auth] is a security.Auth. It passes when the request's current user (put
// on the context by auth.Auth.Middleware, loaded lazily from the session) is
// authenticated and active. Only then, on unsafe methods, it runs Django's
// CSRF check (csrf.Protector.Check): Origin, then on HTTPS the Referer, then
// the token from the X-CSRFToken header or the csrfmiddlewaretoken form field
// against the secret in the csrftoken cookie (or in the session with
// CSRF_USE_SESSIONS). A request without a logged-in user is "not mine", so
// another auth of the endpoint may still accept it; when none does, the
// endpoint answers 401
//
//	{"detail":[{"msg":"Not authenticated","type":"security"}]}
//
// and a failed CSRF check answers 403 with Django's reason:
//
//	{"detail":[{"msg":"CSRF Failed: CSRF token missing."}]}
//
// # Extra checks cannot skip CSRF
//
// Checks added with [Auth.With] or Options.Checks ([StaffOnly],
// [SuperuserOnly], [PermissionRequired], or your own [Check]) must all admit
// the user. They run after the CSRF check, inside Authenticate, so no check
// can drop CSRF protection by accident — in Django Modern Rest an
// authenticate() override that forgets to call its parent silently does. A
// failed staff or superuser check answers 403
//
//	{"detail":[{"msg":"Permission denied","type":"security"}]}
//
// and a failed permission check names what is missing:
//
//	{"detail":[{"msg":"Permission denied: missing permission notes.add_note","type":"security"}]}
//
// PermissionRequired asks auth.HasPerm, so it follows Django's ModelBackend:
// an active superuser has every permission (no store is asked), an inactive
// user none, anybody else the permissions granted to the user or its groups
// (auth.Options.Permissions, e.g. package auth/permdb), loaded at most once
// per request and cached with the user when the user cache is on. When the
// permissions cannot be loaded the request fails with 500: it never passes.
//
// # What the document says
//
// Each endpoint gets the security schemes (apiKey cookies named after the
// session and CSRF cookies; "django_session" and "csrf" by default), a 401
// "Raised when auth was not successful" and, where CSRF applies, a 403 "Raised
// when CSRF check failed". As in Django Modern Rest 0.16 (and unlike the older
// document on its session-auth page), the requirement is
// {"django_session":[],"csrf":[]} on unsafe methods only; safe methods
// (GET, HEAD, OPTIONS, TRACE) require {"django_session":[]} and list no 403,
// since Django never checks CSRF on them. With checks, the 403's description
// says what they require ("Raised when permission check failed (requires the
// permission notes.view_note)"). With CSRF_USE_SESSIONS there is no
// csrf cookie, so no "csrf" scheme is defined or required; the token is then
// sent in the X-CSRFToken header only.
//
// # Login, logout and the CSRF token
//
// The endpoints are registered through the Auth, so the auth.Auth, the CSRF
// protector and the cookie names are given once, to [New]:
//
//	sa.RegisterLogin(api, sessionauth.DefaultLoginOptions{})
//	sa.RegisterLogout(api, sessionauth.LogoutOptions{})
//	sa.RegisterCSRF(api, sessionauth.CSRFOptions{})
//
// Like every registration in dmr (and http.ServeMux.Handle), they panic on a
// programmer error, after checking their options and before registering
// anything; [New] returns an error for invalid configuration.
//
// [Auth.RegisterLogin] adds the login endpoint, generic over its payload and
// response like DjangoSessionSyncController, with the two hooks of the
// original: Credentials turns the payload into auth.Credentials (Django's
// convert_auth_payload), Response builds the answer from the logged-in user
// (make_api_response). The defaults ([DefaultLoginOptions]) are
// DjangoSessionPayload{username,password} and DjangoSessionResponse{user_id}.
// Success is 200 with the session cookie and the rotated csrftoken cookie
// (written by the session and CSRF middlewares, so documented as headers
// "Set-Cookie: sessionid" and "Set-Cookie: csrftoken" and not validated). Bad
// credentials or an inactive user give 401 and set no cookie.
//
// Two deliberate differences from Django Modern Rest protect against login
// CSRF (a foreign site logging a browser into the attacker's account):
//
//   - a login whose Origin header names a foreign origin (neither the
//     request's own origin nor a trusted one) is refused with 403 and
//     Django's reason, "CSRF Failed: Origin checking failed - <origin> does not
//     match any trusted origins." No token is required, since a browser has
//     none before its first login; the 403 is documented on the operation.
//   - only JSON bodies are accepted (application/json, a +json type, or no
//     Content-Type): text/plain and form-encoded bodies, which a cross-site
//     HTML form can send without a CORS preflight, get 400.
//
// With LoginOptions.Throttle (a *loginthrottle.Throttle, package
// auth/loginthrottle), failed logins are counted per (client IP, username)
// and per client IP; an attempt over a limit answers 429 with Retry-After,
// type "ratelimit", before the password is checked — so even the right
// password is refused, and a refused attempt costs no hash. The 429 is then
// declared on the operation. LoginOptions.Observe reports each attempt's
// outcome (OutcomeSuccess, OutcomeFailure, OutcomeThrottled, OutcomeBusy)
// for metrics.
//
// [Auth.RegisterLogout] adds a logout endpoint protected by the session auth
// (so by CSRF): it flushes the session (the middleware deletes the cookie)
// and answers 204. [Auth.RegisterCSRF] adds GET /csrf/, which answers
// {"csrftoken":"<masked token>"} and makes the CSRF middleware send the
// cookie (under CSRF_USE_SESSIONS the secret is stored in the session
// instead), for browser clients that need a token before they log in.
//
// A signed-cookie session store cannot revoke a session: logging out clears
// the browser's cookie, but a copy of the old cookie stays valid until it
// expires. Use a server-side store where that matters.
package sessionauth
