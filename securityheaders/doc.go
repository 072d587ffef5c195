// Package securityheaders is Django's SecurityMiddleware and
// XFrameOptionsMiddleware for net/http: X-Frame-Options, X-Content-Type-Options,
// Referrer-Policy and Cross-Origin-Opener-Policy on every response (unless the
// handler set them), plus opt-in HSTS and HTTP→HTTPS redirects.
//
// It also holds [Trust], the one place that decides whether a request came
// over HTTPS and which host it was addressed to; the csrf package uses the same
// type so that both always agree.
package securityheaders
