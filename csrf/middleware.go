package csrf

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/dmr-go/dmr/commit"
	"github.com/dmr-go/dmr/internal/pycompat"
	"github.com/dmr-go/dmr/internal/reqstate"
)

// ErrNoMiddleware is returned by GetToken and RotateToken when the request
// did not pass through [Protector.Middleware].
var ErrNoMiddleware = errors.New("csrf: no CSRF state in the request context (Protector.Middleware not installed)")

// ErrCommitted is returned by GetToken and RotateToken when a new secret is
// created after the response header was sent: it cannot reach the client.
var ErrCommitted = errors.New("csrf: response header already sent; the new CSRF secret is not saved")

// state is the per-request CSRF state (Django's META["CSRF_COOKIE"] and
// META["CSRF_COOKIE_NEEDS_UPDATE"]).
type state struct {
	p           *Protector
	r           *http.Request // the request the commit func reads the session from
	mu          sync.Mutex
	secret      string // 32 characters, or "" when none yet
	needsUpdate bool
	committed   bool
}

// Middleware keeps the request's CSRF state, like the request and response
// halves of Django's CsrfViewMiddleware (it does not enforce anything; see
// [Protector.Check] and [Protector.Protect]):
//
//   - it reads the secret from the cookie (a 64-character masked one is
//     unmasked) or the session; a malformed cookie is replaced by a new secret;
//   - [GetToken] and [RotateToken] work on that state through the context;
//   - just before the response header is sent (see package commit), when the
//     token was used or rotated or the cookie was malformed, it sets the
//     cookie (renewing its expiry) with Vary: Cookie, or stores the secret in
//     the session.
//
// Plain handlers are wrapped with commit.Wrap; an API layer that calls
// commit.Run itself is fine too.
func (p *Protector) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = p.begin(r)
		cw := commit.Wrap(w, r, nil)
		next.ServeHTTP(cw, r)
		if rw, ok := cw.(*commit.ResponseWriter); ok && cw != w {
			rw.Finish()
		}
	})
}

// begin attaches fresh CSRF state to r (process_request).
func (p *Protector) begin(r *http.Request) *http.Request {
	st := &state{p: p}
	var s secret
	present, problem := p.readSecret(r, &s)
	switch {
	case problem != "":
		st.secret, st.needsUpdate = NewSecret(), true
	case present:
		if s.masked {
			st.secret = string(s.unmasked[:])
		} else {
			st.secret = s.raw
		}
	}
	r = reqstate.Set(r, reqstate.CSRF, st)
	r = commit.Add(r, st)
	st.r = r
	return r
}

func stateFrom(ctx context.Context) *state {
	st, _ := reqstate.Get(ctx, reqstate.CSRF).(*state)
	return st
}

// GetToken returns a freshly masked token for the request's secret (creating
// the secret if there is none), for a form field or a page's JavaScript, and
// marks the cookie to be sent (or the expiry renewed), as Django's
// get_token(). Every call returns a different token; all are valid.
func GetToken(ctx context.Context) (string, error) {
	st := stateFrom(ctx)
	if st == nil {
		return "", ErrNoMiddleware
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.secret == "" {
		if st.committed {
			commit.LogLate(ctx, st.p.logger, "CSRF secret created")
			return "", ErrCommitted
		}
		st.secret = NewSecret()
	}
	st.needsUpdate = true
	return Mask(st.secret), nil
}

// RotateToken replaces the request's secret with a new one, which is sent
// with the response, as Django's rotate_token() (called at login). Tokens
// issued before it stop working. The check of the current request still
// uses the secret it came with.
func RotateToken(ctx context.Context) error {
	st := stateFrom(ctx)
	if st == nil {
		return ErrNoMiddleware
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.committed {
		commit.LogLate(ctx, st.p.logger, "CSRF secret rotated")
		return ErrCommitted
	}
	st.secret, st.needsUpdate = NewSecret(), true
	return nil
}

// Commit is process_response (a commit.Hook): write the secret out when it was used or
// changed.
func (st *state) Commit(ctx context.Context, h http.Header, _ int) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.committed = true
	if !st.needsUpdate {
		return nil
	}
	st.needsUpdate = false
	p := st.p
	if p.opts.UseSessions {
		sv := p.opts.Session(st.r)
		if sv == nil {
			return errors.New("csrf: UseSessions is set but the request has no session (is the session middleware outside the CSRF middleware?)")
		}
		if v, ok := sv.Get(SessionKey); !ok || v != any(st.secret) {
			sv.Set(SessionKey, st.secret)
		}
		return nil
	}
	h.Add("Set-Cookie", p.cookie(st.secret, p.now()))
	patchVaryCookie(h)
	return nil
}

// cookie formats the Set-Cookie value as Django's set_cookie does:
// "csrftoken=…; expires=…; Max-Age=31449600; Path=/; SameSite=Lax".
func (p *Protector) cookie(value string, now time.Time) string {
	c := pycompat.SetCookie{
		Name: p.cookieName, Value: value, Domain: p.opts.CookieDomain, MaxAge: -1, Path: p.cookiePath,
		HTTPOnly: p.opts.CookieHTTPOnly, SameSite: p.sameSite, Secure: p.opts.CookieSecure,
	}
	if p.maxAge > 0 {
		c.Expires, c.MaxAge = now.Add(time.Duration(p.maxAge)*time.Second), int64(p.maxAge)
	}
	return c.String()
}

// patchVaryCookie adds Cookie to the Vary header unless it (or "*") is
// already there, as Django's patch_vary_headers.
func patchVaryCookie(h http.Header) {
	var fields []string
	for _, line := range h.Values("Vary") {
		for _, f := range strings.Split(line, ",") {
			if f = strings.TrimSpace(f); f != "" {
				if f == "*" || strings.EqualFold(f, "Cookie") {
					return
				}
				fields = append(fields, f)
			}
		}
	}
	h.Set("Vary", strings.Join(append(fields, "Cookie"), ", "))
}

// Protect returns a handler that runs [Protector.Check] before next, for
// form-based pages: a rejected request is logged ("Forbidden (<reason>):
// <path>") and answered by Options.Failure or a 403 page like Django's.
// Requests for which Options.Exempt returns true pass unchecked. When the
// request has no CSRF state yet, Protect installs [Protector.Middleware]
// too, so GetToken works in next.
func (p *Protector) Protect(next http.Handler) http.Handler {
	enforce := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.opts.Exempt != nil && p.opts.Exempt(r) {
			next.ServeHTTP(w, r)
			return
		}
		if err := p.Check(r); err != nil {
			var rej *RejectError
			if !errors.As(err, &rej) {
				rej = &RejectError{Reason: err.Error()}
			}
			p.logger.WarnContext(r.Context(), fmt.Sprintf("Forbidden (%s): %s", rej.Reason, r.URL.Path),
				"reason", rej.Reason, "path", r.URL.Path, "status", http.StatusForbidden)
			if p.opts.Failure != nil {
				p.opts.Failure(w, r, rej)
				return
			}
			failure(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
	withState := p.Middleware(enforce)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if stateFrom(r.Context()) == nil {
			withState.ServeHTTP(w, r)
			return
		}
		enforce.ServeHTTP(w, r)
	})
}

const failureHTML = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta http-equiv="content-type" content="text/html; charset=utf-8">
  <meta name="robots" content="NONE,NOARCHIVE">
  <title>403 Forbidden</title>
</head>
<body>
  <h1>Forbidden <span>(403)</span></h1>
  <p>CSRF verification failed. Request aborted.</p>
</body>
</html>
`

// failure is the default rejection page (Django's csrf_failure with
// DEBUG=False: the reason is logged, not shown).
func failure(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if strings.Contains(r.Header.Get("Accept"), "text/html") {
		h.Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(failureHTML))
		return
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusForbidden)
	_, _ = w.Write([]byte("Forbidden (403)\nCSRF verification failed. Request aborted.\n"))
}

// EnsureCookie returns a handler that calls GetToken before next, so the
// response always carries the CSRF cookie, like Django's
// @ensure_csrf_cookie (for pages whose JavaScript reads the cookie, such as
// API docs that send X-CSRFToken). It needs [Protector.Middleware] outside.
func EnsureCookie(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = GetToken(r.Context())
		next.ServeHTTP(w, r)
	})
}
