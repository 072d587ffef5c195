package csrf

// CookieName returns the name of the CSRF cookie (CSRF_COOKIE_NAME) after
// defaults were applied, for documentation such as an OpenAPI security
// scheme. With UseSessions no such cookie is sent.
func (p *Protector) CookieName() string { return p.cookieName }

// HeaderName returns the canonical name of the request header that carries
// the token (CSRF_HEADER_NAME, "X-Csrftoken" by default).
func (p *Protector) HeaderName() string { return p.headerKey }

// UseSessions reports whether the secret is kept in the session
// (CSRF_USE_SESSIONS) rather than in a cookie.
func (p *Protector) UseSessions() bool { return p.opts.UseSessions }

// IsSafeMethod reports whether method is one that Django never checks (GET,
// HEAD, OPTIONS, TRACE).
func IsSafeMethod(method string) bool { return isSafeMethod(method) }
