package sessions

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/commit"
	"github.com/dmr-go/dmr/internal/lograte"
	"github.com/dmr-go/dmr/internal/pycompat"
	"github.com/dmr-go/dmr/internal/reqstate"
	"github.com/dmr-go/dmr/pyjson"
)

// DefaultCookieAge is Django's SESSION_COOKIE_AGE: two weeks.
const DefaultCookieAge = 1209600 * time.Second

// Settings are Django's SESSION_* settings. The zero value is Django's
// defaults.
type Settings struct {
	// CookieName is SESSION_COOKIE_NAME; default "sessionid".
	CookieName string
	// CookieAge is SESSION_COOKIE_AGE, in whole seconds; default two weeks.
	CookieAge time.Duration
	// CookieDomain is SESSION_COOKIE_DOMAIN; default none (host-only).
	CookieDomain string
	// CookiePath is SESSION_COOKIE_PATH; default "/".
	CookiePath string
	// CookieSecure is SESSION_COOKIE_SECURE; default false.
	CookieSecure bool
	// CookieNoHTTPOnly clears SESSION_COOKIE_HTTPONLY, which is on by
	// default.
	CookieNoHTTPOnly bool
	// CookieSameSite is SESSION_COOKIE_SAMESITE. The zero value means Lax
	// (Django's default); http.SameSiteDefaultMode writes no SameSite
	// attribute (Django's None or False).
	CookieSameSite http.SameSite
	// SaveEveryRequest is SESSION_SAVE_EVERY_REQUEST.
	SaveEveryRequest bool
	// ExpireAtBrowserClose is SESSION_EXPIRE_AT_BROWSER_CLOSE.
	ExpireAtBrowserClose bool
}

// CookieStore keeps the whole session in the cookie value, like Django's
// signed_cookies backend. It cannot do compare-and-swap or revocation: see
// SignedCookieStore.
type CookieStore interface {
	// DecodeCookie verifies a cookie value no older than maxAge and returns
	// the session data.
	DecodeCookie(value string, maxAge time.Duration) (*pyjson.Object, error)
	// EncodeCookie returns the cookie value holding data.
	EncodeCookie(data *pyjson.Object) (string, error)
}

// Options configures a Middleware. Exactly one of Store and CookieStore must
// be set.
type Options struct {
	Settings
	// Store keeps sessions on the server (database, Redis, memory).
	Store Store
	// CookieStore keeps sessions in the cookie itself.
	CookieStore CookieStore
	// Logger receives warnings about rejected cookies and errors; default
	// slog.Default().
	Logger *slog.Logger
	// Now returns the current time; default time.Now.
	Now func() time.Time
	// ErrorWriter answers a plain net/http request whose session could not
	// be committed (see commit.Wrap). The default, commit.WriteError, writes
	// the error's API form (400 for ErrInterrupted, 503 with Retry-After for
	// an unavailable store) or 500, in the default error model.
	ErrorWriter commit.ErrorWriter
	// StoreTimeout bounds each store operation (load, create, save, delete)
	// through its context; zero means no deadline beyond the request's own.
	// Store errors that are infrastructure failures (apierror.IsUnavailable,
	// the deadline included) are marked apierror.ErrUnavailable: they answer
	// 503 with Retry-After. Applications set it (package manage: DMR_DB_TIMEOUT,
	// 5 s by default). A store whose Load has a deadline of its own
	// (BoundedLoader) gets no second one for Load.
	StoreTimeout time.Duration
	// MaxSaveAttempts bounds the save retries after compare-and-swap
	// conflicts; default 5.
	MaxSaveAttempts int
}

// Middleware is Django's SessionMiddleware for net/http. Create it with
// NewMiddleware; it is safe for concurrent use.
type Middleware struct {
	settings    Settings
	name        string
	age         time.Duration
	store       Store
	cookies     CookieStore
	log         *slog.Logger
	now         func() time.Time
	errorWriter commit.ErrorWriter
	attempts    int
	failures    lograte.Limiter // store failures: one record per interval
}

// NewMiddleware validates o and returns a Middleware.
func NewMiddleware(o Options) (*Middleware, error) {
	if (o.Store == nil) == (o.CookieStore == nil) {
		return nil, errors.New("sessions: exactly one of Options.Store and Options.CookieStore must be set")
	}
	m := &Middleware{
		settings: o.Settings, store: o.Store, cookies: o.CookieStore,
		log: o.Logger, now: o.Now, errorWriter: o.ErrorWriter, attempts: o.MaxSaveAttempts,
	}
	s := &m.settings
	if s.CookieName == "" {
		s.CookieName = "sessionid"
	}
	if strings.ContainsAny(s.CookieName, "=;, \t\r\n\"") {
		return nil, fmt.Errorf("sessions: invalid cookie name %q", s.CookieName)
	}
	if s.CookieAge == 0 {
		s.CookieAge = DefaultCookieAge
	}
	if s.CookieAge < 0 || s.CookieAge%time.Second != 0 {
		return nil, fmt.Errorf("sessions: CookieAge must be a positive number of whole seconds, not %s", s.CookieAge)
	}
	if s.CookiePath == "" {
		s.CookiePath = "/"
	}
	if strings.ContainsAny(s.CookiePath+s.CookieDomain, ";\r\n") {
		return nil, errors.New("sessions: cookie path and domain must not contain ';' or line breaks")
	}
	if s.CookieSameSite == 0 {
		s.CookieSameSite = http.SameSiteLaxMode
	}
	m.name, m.age = s.CookieName, s.CookieAge
	if m.log == nil {
		m.log = slog.Default()
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.errorWriter == nil {
		m.errorWriter = commit.WriteError
	}
	if m.attempts <= 0 {
		m.attempts = 5
	}
	if m.store != nil {
		m.store = boundStore(m.store, o.StoreTimeout)
	}
	return m, nil
}

// FromContext returns the request's session, or nil outside the middleware.
func FromContext(ctx context.Context) *Session {
	s, _ := reqstate.Get(ctx, reqstate.Session).(*Session)
	return s
}

// NewContext returns ctx carrying s.
func NewContext(ctx context.Context, s *Session) context.Context {
	return reqstate.With(ctx, reqstate.Session, s)
}

// Handler returns next wrapped with the session: FromContext(r.Context())
// is the request's session. The session is committed (saved, cookie set or
// deleted) just before the response header is sent, by whoever sends it:
// an API layer that calls commit.Run itself, or else the commit.Wrap
// wrapper this middleware installs, which never buffers the body. A session
// changed after that is not saved and is logged at error level.
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		value, sent := CookieValue(r.Header, m.name)
		s := m.NewSession(r.Context(), value, sent)
		r = reqstate.Set(r, reqstate.Session, s)
		r = commit.Add(r, s)
		cw := commit.Wrap(w, r, m.errorWriter)
		next.ServeHTTP(cw, r)
		if cw != w {
			cw.(*commit.ResponseWriter).Finish()
		}
	})
}

// NewSession returns the session for a request that sent value as the session
// cookie (sent reports whether the cookie was present). Handler calls it; use
// it directly to work with sessions outside net/http. ctx is used for the
// lazy load.
func (m *Middleware) NewSession(ctx context.Context, value string, sent bool) *Session {
	s := &Session{m: m, ctx: ctx, cookieSent: sent, cookieValue: value}
	switch {
	case value == "":
	case m.cookies != nil:
		s.key = value
	case ValidKey(value):
		s.key = value
	default:
		m.log.WarnContext(ctx, "session cookie is not a valid session key; starting a new session",
			"cookie", m.name, "length", len(value))
	}
	return s
}

// CookieValue returns the value of the cookie named name in h's Cookie
// headers as Django's request.COOKIES holds it (parse_cookie: split on ";",
// str.strip, a quoted value unquoted with its octal and backslash escapes, the
// last cookie of that name wins). ok reports whether such a cookie was
// present.
func CookieValue(h http.Header, name string) (value string, ok bool) {
	return pycompat.CookieValue(h, name)
}

// Commit is the session's commit.Func: Django's SessionMiddleware
// process_response for a response with header h and status.
//
//  1. If the cookie was sent and the session is now empty, the cookie is
//     deleted (and Vary: Cookie added).
//  2. Otherwise, if it was accessed, Vary: Cookie is added; if it was
//     modified (or SaveEveryRequest) and is not empty, and status < 500, it
//     is saved and the cookie set (max-age and expires, unless it expires at
//     browser close), with Vary: Cookie.
//
// A session whose store delete vanished under it returns an *InterruptedError
// (400). A failed load returns its error without saving. Commit runs once;
// later calls return nil.
//
// Store failures that are infrastructure failures are marked
// apierror.ErrUnavailable (503 with Retry-After) and logged at most once per
// interval.
func (s *Session) Commit(ctx context.Context, h http.Header, status int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.committed {
		return nil
	}
	s.committed = true
	err := s.commitLocked(ctx, h, status)
	if err != nil && err != s.loadErr && errors.Is(err, apierror.ErrUnavailable) {
		s.m.logStoreFailure(ctx, "save", err)
	}
	return err
}

func (s *Session) commitLocked(ctx context.Context, h http.Header, status int) error {
	m := s.m
	if s.loadErr != nil {
		if status >= 500 {
			return nil // the response is an error already; do not touch the cookie
		}
		return s.loadErr
	}
	if m.settings.SaveEveryRequest && s.key != "" && s.data == nil {
		// Load first, so an unknown key counts as empty instead of being
		// saved (where Django would fail with SessionInterrupted).
		s.loadLocked()
		if s.loadErr != nil {
			return s.loadErr
		}
	}
	if s.cookieSent && s.isEmptyLocked() {
		h.Add("Set-Cookie", m.deleteCookieHeader())
		addVaryCookie(h)
		return s.deleteOldKeys(ctx)
	}
	if s.accessed {
		addVaryCookie(h)
	}
	if !(s.modified || m.settings.SaveEveryRequest) || s.isEmptyLocked() {
		return s.deleteOldKeys(ctx)
	}
	if status >= 500 {
		return s.deleteOldKeys(ctx)
	}
	s.accessed = true
	s.loadLocked()
	if s.loadErr != nil {
		return s.loadErr
	}
	now := m.now()
	if err := s.save(ctx, now); err != nil {
		return err
	}
	maxAge := int64(-1)
	if !s.expireAtBrowserCloseLocked() {
		maxAge = m.expiryAge(now, s.expiryValue())
	}
	h.Add("Set-Cookie", m.cookieHeader(s.key, maxAge, now))
	addVaryCookie(h)
	return nil
}

// save stores the session: create for a new key, else compare-and-swap with
// replay of this request's own changes on conflict.
func (s *Session) save(ctx context.Context, now time.Time) error {
	m := s.m
	if m.cookies != nil {
		v, err := m.cookies.EncodeCookie(s.data)
		if err != nil {
			return fmt.Errorf("sessions: encoding session cookie: %w", err)
		}
		if len(m.name)+len(v)+1 > 4093 {
			m.log.WarnContext(ctx, "session cookie exceeds 4093 bytes; browsers may drop it", "cookie", m.name, "size", len(v))
		}
		s.key = v
		return nil
	}
	st := m.store
	if s.key == "" || s.needCreate {
		if s.key == "" {
			s.key = NewKey()
		}
		for i := 0; ; i++ {
			rec := Record{Key: s.key, Data: s.data, Expiry: m.expiryDate(now, s.expiryValue())}
			ver, err := st.Create(ctx, rec)
			if err == nil {
				s.version, s.needCreate = ver, false
				break
			}
			if !errors.Is(err, ErrKeyExists) {
				return fmt.Errorf("sessions: creating session: %w", err)
			}
			if i >= 10 {
				return fmt.Errorf("sessions: unable to create a new session key: %w", err)
			}
			s.key = NewKey()
		}
		return s.deleteOldKeys(ctx)
	}
	for attempt := 1; ; attempt++ {
		rec := Record{Key: s.key, Data: s.data, Expiry: m.expiryDate(now, s.expiryValue()), Version: s.version}
		ver, err := st.Save(ctx, rec)
		switch {
		case err == nil:
			s.version = ver
			return nil
		case errors.Is(err, ErrNotFound):
			return &InterruptedError{Key: s.key, Err: err}
		case !errors.Is(err, ErrConflict):
			return fmt.Errorf("sessions: saving session: %w", err)
		case attempt >= m.attempts:
			return fmt.Errorf("sessions: saving session: still conflicting after %d attempts: %w", attempt, err)
		}
		fresh, err := st.Load(ctx, s.key)
		if errors.Is(err, ErrNotFound) {
			return &InterruptedError{Key: s.key, Err: err}
		}
		if err != nil {
			return fmt.Errorf("sessions: reloading session after a conflict: %w", err)
		}
		s.data, s.version, s.shared = fresh.Data, fresh.Version, fresh.Shared
		s.ownLocked() // replay changes it
		s.data = s.replay(s.data)
	}
}

// replay applies this request's changes to freshly loaded data: a Clear
// replaces everything, then each key this request set or deleted gets this
// request's value. Keys this request did not touch keep the stored values.
func (s *Session) replay(fresh *pyjson.Object) *pyjson.Object {
	d := fresh
	if s.cleared || d == nil {
		d = pyjson.NewObject(len(s.ops))
	}
	for _, o := range s.ops {
		if o.del {
			d.Delete(o.key)
		} else {
			d.Set(o.key, o.val)
		}
	}
	return d
}

func (s *Session) deleteOldKeys(ctx context.Context) error {
	if s.m.store == nil || len(s.oldKeys) == 0 {
		return nil
	}
	var errs []error
	for _, k := range s.oldKeys {
		if err := s.m.store.Delete(ctx, k); err != nil {
			errs = append(errs, err)
		}
	}
	s.oldKeys = nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sessions: deleting the previous session key: %w", err)
	}
	return nil
}

func addVaryCookie(h http.Header) {
	for _, line := range h.Values("Vary") {
		for _, v := range strings.Split(line, ",") {
			v = strings.TrimSpace(v)
			if v == "*" || strings.EqualFold(v, "Cookie") {
				return
			}
		}
	}
	h.Add("Vary", "Cookie")
}

// cookieHeader writes the Set-Cookie value as Django's set_cookie does.
// maxAge < 0 means a browser-session cookie.
func (m *Middleware) cookieHeader(value string, maxAge int64, now time.Time) string {
	c := pycompat.SetCookie{
		Name: m.name, Value: value, Domain: m.settings.CookieDomain, MaxAge: maxAge, Path: m.settings.CookiePath,
		HTTPOnly: !m.settings.CookieNoHTTPOnly, SameSite: m.settings.CookieSameSite, Secure: m.settings.CookieSecure,
	}
	if maxAge >= 0 {
		c.Expires = now.Add(time.Duration(maxAge) * time.Second)
	}
	return c.String()
}

// deleteCookieHeader is Django's delete_cookie(name, path, domain,
// samesite).
func (m *Middleware) deleteCookieHeader() string {
	return pycompat.DeleteCookie(m.name, m.settings.CookiePath, m.settings.CookieDomain, m.settings.CookieSameSite).String()
}
