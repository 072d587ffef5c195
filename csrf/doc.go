// Package csrf is Django's CsrfViewMiddleware (the algorithm of Django 4.0 and
// later) for net/http, compatible with Django on the wire: a token issued by
// Django's get_token() passes [Protector.Check] and the reverse, the cookie and
// session formats are Django's, and rejections carry Django's exact reasons.
//
// # Threat model
//
// A cross-site request forgery makes a victim's browser send an unsafe
// request (POST, PUT, PATCH, DELETE, …) with the victim's cookies to this
// site from a page the attacker controls. The defences, in Django's order:
//
//  1. GET, HEAD, OPTIONS and TRACE are never checked: they must not change
//     state.
//  2. Origin: when the browser sends it, it must be the request's own origin
//     (scheme from the connection, host from the Host header) or one of
//     Options.TrustedOrigins, scheme included. Trusting "https://*.example.com"
//     does not trust http://a.example.com, so a network attacker cannot use a
//     plaintext subdomain (the flaw of gorilla/csrf, CVE-2025-47909).
//  3. Referer: on HTTPS requests without Origin, the Referer must be an https
//     URL on this host (or CookieDomain, or a trusted origin's host). This
//     stops a man-in-the-middle on plain HTTP from planting a cookie and
//     posting with it.
//  4. Token: the request must carry a token (form field csrfmiddlewaretoken,
//     or the X-CSRFToken header) matching the secret in the csrftoken cookie
//     (or the session). An attacker's page cannot read the cookie, so cannot
//     produce the token. Tokens are masked with a fresh random mask every time
//     one is rendered, so that a compression side channel (BREACH) learns
//     nothing; a bare 32-character secret is accepted too, as Django does.
//
// "Is this request HTTPS?" is answered by [securityheaders.Trust]: the TLS
// connection, or a proxy header configured explicitly (Django's
// SECURE_PROXY_SSL_HEADER). It is never guessed from r.URL.Scheme, which is
// empty on server requests (the reason gorilla/csrf and nosurf never checked
// the Referer, CVE-2025-24358 and CVE-2025-46721).
//
// The Host header is trusted as the request's own host when
// Trust.AllowedHosts is empty: put a Host check in front (the reverse proxy's
// server names, or AllowedHosts, Django's ALLOWED_HOSTS). A malformed Host is
// never trusted: the Origin then has to be a trusted origin, and a Referer
// check fails, as with Django's DisallowedHost.
//
// Not covered, as in Django: subresources of a trusted origin, a same-origin
// XSS (which can read the token), and clients that send no Origin on plain
// HTTP (then only the token protects, which is enough against a cross-site
// page).
//
// # State and enforcement
//
// [Protector.Middleware] keeps the per-request state: it reads the secret, lets
// handlers call [GetToken] (for a form or a page) and [RotateToken] (at login),
// and sends the cookie, or stores the secret in the session, just before the
// response header goes out (package commit) whenever the token was used or
// rotated. It enforces nothing. [Protector.Check] is the check, a separate call:
// the API layer's session authentication runs it only for authenticated
// sessions and answers the [RejectError] as 403 "CSRF Failed: <reason>".
// [Protector.CheckOrigin] is the Origin part alone, for login forms.
// [Protector.Protect] enforces the check in front of form pages.
//
// # Differences from Django
//
//   - Django raises DisallowedHost (400) for a bad Host before any view runs;
//     here host validation is [securityheaders.Trust]'s job and the CSRF check
//     treats a bad Host as Django's CSRF code does.
//   - The Referer check's port (with CookieDomain set) comes from the Host
//     header, or 443/80 by scheme, where Django reads the WSGI SERVER_PORT.
//   - A form body larger than Options.MaxFormBytes or an unparsable multipart
//     body is not searched for csrfmiddlewaretoken (Django answers 400); the
//     header must then carry the token. The body still reaches the handler
//     intact. Django's limit of 1000 form fields is not applied.
//   - The cookie and an urlencoded body are read exactly as Django reads them
//     (internal/pycompat: parse_cookie, QueryDict, UTF-8 with "replace",
//     checked against real Django's output); malformed UTF-8 in a multipart
//     field may be counted differently from Python's "replace" decoding,
//     which can turn an "incorrect length" reason into "invalid characters"
//     or the reverse; both are rejections.
//   - A session value under _csrftoken that is not a string counts as no
//     secret (Django fails with a 500).
//   - Trusted origins are validated at setup: scheme://host[:port] only, "*"
//     only as a leading "*." (Django accepts any string containing "://" and
//     silently never matches the odd ones).
//   - Django's csrf_exempt view attribute becomes Options.Exempt, a predicate
//     on the request, for [Protector.Protect]; the API layer decides for its
//     own endpoints.
//   - Django 3.2 kept a masked 64-character token in the cookie; such cookies
//     are accepted and replaced by the bare secret whenever the cookie is sent
//     again, as Django 4.1 and later do.
package csrf
