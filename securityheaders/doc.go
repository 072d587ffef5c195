// Package securityheaders is Django's SecurityMiddleware and
// XFrameOptionsMiddleware for net/http: X-Frame-Options, X-Content-Type-Options,
// Referrer-Policy and Cross-Origin-Opener-Policy on every response (unless the
// handler set them), plus opt-in HSTS and HTTP→HTTPS redirects.
//
// It also holds [Trust], the one place that decides whether a request came over
// HTTPS and which host it was addressed to; the csrf package uses the same type
// so that both always agree. HTTPS comes from the TLS connection or from a proxy
// header configured explicitly (Django's SECURE_PROXY_SSL_HEADER), never from
// r.URL.Scheme. HSTS is sent only on secure responses, so a plaintext response
// cannot pin a host that is not served over HTTPS.
//
// The headers are added just before the response header is sent (package
// commit), so they are set only when the handler did not set its own, as
// Django's setdefault does.
//
// Differences from Django: values are validated at setup (Django accepts any
// X-Frame-Options string); RedirectExempt entries are Go (RE2) regular
// expressions; there is no per-view @xframe_options_exempt: a handler sets its
// own X-Frame-Options, or FrameOptions is Off; a redirect for a disallowed Host
// is answered with a plain 400, where Django raises DisallowedHost.
package securityheaders
