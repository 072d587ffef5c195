package sessions

// CookieName returns the session cookie's name (SESSION_COOKIE_NAME) after
// defaults were applied, for documentation such as an OpenAPI security
// scheme.
func (m *Middleware) CookieName() string { return m.name }
