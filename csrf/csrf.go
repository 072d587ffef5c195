package csrf

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/textproto"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/internal/pycompat"
	"github.com/dmr-go/dmr/securityheaders"
)

// Django's rejection reasons (django.middleware.csrf, 4.0 and later), word for
// word. The ones with %s take the Origin or the Referer (as re-serialized by
// Python's urlparse(...).geturl()).
const (
	ReasonNoCSRFCookie     = "CSRF cookie not set."
	ReasonCSRFTokenMissing = "CSRF token missing."
	ReasonBadOrigin        = "Origin checking failed - %s does not match any trusted origins."
	ReasonNoReferer        = "Referer checking failed - no Referer."
	ReasonBadReferer       = "Referer checking failed - %s does not match any trusted origins."
	ReasonMalformedReferer = "Referer checking failed - Referer is malformed."
	ReasonInsecureReferer  = "Referer checking failed - Referer is insecure while host is secure."

	// The token and cookie reasons are built from these suffixes:
	// "CSRF cookie has incorrect length.", "CSRF token from POST has invalid
	// characters.", "CSRF token from the 'X-Csrftoken' HTTP header incorrect.".
	reasonIncorrectLength   = "has incorrect length"
	reasonInvalidCharacters = "has invalid characters"
	reasonIncorrect         = "incorrect"
)

// Names fixed by Django.
const (
	// FormField is the form field that carries the token in a POST form
	// (Django's {% csrf_token %} renders it as a hidden input).
	FormField = "csrfmiddlewaretoken"
	// SessionKey is the session key holding the secret with UseSessions.
	SessionKey = "_csrftoken"
	// DefaultCookieName is Django's CSRF_COOKIE_NAME.
	DefaultCookieName = "csrftoken"
	// DefaultCookieMaxAge is Django's CSRF_COOKIE_AGE (52 weeks, in seconds).
	DefaultCookieMaxAge = 31449600
	// DefaultHeaderName is Django's CSRF_HEADER_NAME in HTTP form.
	DefaultHeaderName = "X-CSRFToken"
	// DefaultMaxFormBytes is Django's DATA_UPLOAD_MAX_MEMORY_SIZE: the most
	// of a form body that is buffered to look for FormField.
	DefaultMaxFormBytes = 2621440
)

// SessionValues is the slice of a session the CSRF middleware needs with
// Options.UseSessions: it reads and writes SessionKey. Values are strings.
// *sessions.Session satisfies it; wire it as
//
//	Session: func(r *http.Request) csrf.SessionValues {
//		if s := sessions.FromContext(r.Context()); s != nil {
//			return s
//		}
//		return nil // a nil interface, not a nil *sessions.Session
//	},
type SessionValues interface {
	Get(key string) (any, bool)
	Set(key string, v any)
}

// Options configures a [Protector]. The zero value is Django's defaults.
type Options struct {
	// CookieName is CSRF_COOKIE_NAME; empty means "csrftoken".
	CookieName string
	// CookieMaxAge is CSRF_COOKIE_AGE in seconds; 0 means 31449600 (52
	// weeks) and a negative value means a browser-session cookie (Django's
	// None).
	CookieMaxAge int
	// CookieDomain is CSRF_COOKIE_DOMAIN; empty means a host-only cookie. When
	// set, HTTPS Referers within this domain are accepted.
	CookieDomain string
	// CookiePath is CSRF_COOKIE_PATH; empty means "/".
	CookiePath string
	// CookieSecure and CookieHTTPOnly are CSRF_COOKIE_SECURE and
	// CSRF_COOKIE_HTTPONLY (both off by default, as in Django: JavaScript reads
	// the cookie to fill the header).
	CookieSecure   bool
	CookieHTTPOnly bool
	// CookieSameSite is CSRF_COOKIE_SAMESITE: zero means Lax;
	// http.SameSiteDefaultMode omits the attribute (Django's None).
	CookieSameSite http.SameSite

	// HeaderName is CSRF_HEADER_NAME, as an HTTP header name ("X-CSRFToken",
	// the default) or in Django's META form ("HTTP_X_CSRFTOKEN").
	HeaderName string

	// TrustedOrigins is CSRF_TRUSTED_ORIGINS: "scheme://host[:port]" entries,
	// the host optionally starting with "*." to include subdomains (and the
	// domain itself). Matching Origins must have the same scheme; Referers
	// match any entry's host.
	TrustedOrigins []string

	// UseSessions is CSRF_USE_SESSIONS: keep the secret in the session under
	// SessionKey instead of a cookie. Session must then return the request's
	// session; the middleware must run inside the session middleware so the
	// secret is stored before the session is saved.
	UseSessions bool
	Session     func(r *http.Request) SessionValues
	// SessionCookieDomain is SESSION_COOKIE_DOMAIN, used instead of
	// CookieDomain for the Referer check when UseSessions is set.
	SessionCookieDomain string

	// Trust says whether a request is HTTPS and which Host it was addressed
	// to (SECURE_PROXY_SSL_HEADER, ALLOWED_HOSTS, USE_X_FORWARDED_HOST).
	Trust securityheaders.Trust

	// MaxFormBytes bounds the POST form body buffered to find FormField; 0
	// means DefaultMaxFormBytes. A larger form is not searched (the header
	// must then carry the token); its body still reaches the handler intact.
	MaxFormBytes int64

	// Exempt, when it returns true, lets a request through the enforcing
	// handler ([Protector.Protect]) unchecked, like Django's @csrf_exempt.
	Exempt func(r *http.Request) bool
	// Failure answers a rejected request in [Protector.Protect]; nil means a
	// 403 page like Django's (HTML for browsers, plain text otherwise).
	Failure func(w http.ResponseWriter, r *http.Request, err *RejectError)

	// Logger receives rejections ("Forbidden (<reason>): <path>", as Django's
	// django.security.csrf logger) and state changes lost after the header
	// was sent; nil means slog.Default().
	Logger *slog.Logger
}

// RejectError is a failed CSRF check. Reason is Django's reason text.
//
// It implements [apierror.Coder]: 403 with the message
// "CSRF Failed: <reason>" and no type, as Django Modern Rest answers.
type RejectError struct {
	Reason string
}

func (e *RejectError) Error() string { return "csrf: " + e.Reason }

// APIError implements [apierror.Coder].
func (e *RejectError) APIError() *apierror.Error {
	return apierror.New(http.StatusForbidden, "CSRF Failed: "+e.Reason, "")
}

func reject(reason string) error { return &RejectError{Reason: reason} }

// Protector holds a validated configuration. It is safe for concurrent use.
type Protector struct {
	opts         Options
	cookieName   string
	cookiePath   string
	maxAge       int
	sameSite     http.SameSite
	headerKey    string // canonical HTTP header name
	headerSource string // "the 'X-Csrftoken' HTTP header"
	maxForm      int64
	exact        map[string]bool     // non-wildcard trusted origins
	wildcards    map[string][]string // scheme -> ".host" patterns (lower-cased)
	refererHosts []string            // every trusted origin's netloc, "*" stripped, lower-cased
	trust        securityheaders.Trust
	logger       *slog.Logger
	now          func() time.Time // the cookie's expires; replaced in tests
}

// New validates opts and returns a Protector.
func New(opts Options) (*Protector, error) {
	p := &Protector{
		opts:       opts,
		cookieName: opts.CookieName,
		cookiePath: opts.CookiePath,
		maxAge:     opts.CookieMaxAge,
		sameSite:   opts.CookieSameSite,
		maxForm:    opts.MaxFormBytes,
		exact:      map[string]bool{},
		wildcards:  map[string][]string{},
		trust:      opts.Trust,
		logger:     opts.Logger,
		now:        time.Now,
	}
	if p.cookieName == "" {
		p.cookieName = DefaultCookieName
	}
	if !validCookieName(p.cookieName) {
		return nil, fmt.Errorf("csrf: invalid CookieName %q", p.cookieName)
	}
	if p.cookiePath == "" {
		p.cookiePath = "/"
	}
	if strings.ContainsAny(p.cookiePath, ";\r\n") || strings.ContainsAny(opts.CookieDomain, ";\r\n ") {
		return nil, errors.New("csrf: CookiePath and CookieDomain must not contain ';', spaces or line breaks")
	}
	if p.maxAge == 0 {
		p.maxAge = DefaultCookieMaxAge
	}
	if p.sameSite == 0 {
		p.sameSite = http.SameSiteLaxMode
	}
	if p.sameSite == http.SameSiteNoneMode && !opts.CookieSecure {
		return nil, errors.New("csrf: CookieSameSite None requires CookieSecure (browsers reject it otherwise)")
	}
	if p.maxForm == 0 {
		p.maxForm = DefaultMaxFormBytes
	}
	if p.maxForm < 0 {
		return nil, errors.New("csrf: negative MaxFormBytes")
	}
	if p.logger == nil {
		p.logger = slog.Default()
	}
	header := opts.HeaderName
	if header == "" {
		header = DefaultHeaderName
	}
	if strings.HasPrefix(header, "HTTP_") {
		header = strings.ReplaceAll(strings.TrimPrefix(header, "HTTP_"), "_", "-")
	}
	if !validHeaderName(header) {
		return nil, fmt.Errorf("csrf: HeaderName %q must be letters, digits and '-'", opts.HeaderName)
	}
	p.headerKey = textproto.CanonicalMIMEHeaderKey(header)
	p.headerSource = "the '" + pyTitle(header) + "' HTTP header"

	if opts.UseSessions && opts.Session == nil {
		return nil, errors.New("csrf: UseSessions needs Options.Session")
	}
	if err := p.trust.Validate(); err != nil {
		return nil, fmt.Errorf("csrf: %w", err)
	}
	for _, o := range opts.TrustedOrigins {
		scheme, host, err := parseTrustedOrigin(o)
		if err != nil {
			return nil, err
		}
		if strings.HasPrefix(host, "*") {
			pattern := strings.TrimLeft(host, "*")
			p.wildcards[scheme] = append(p.wildcards[scheme], pattern)
			p.refererHosts = append(p.refererHosts, pattern)
		} else {
			p.exact[o] = true
			p.refererHosts = append(p.refererHosts, strings.ToLower(host))
		}
	}
	return p, nil
}

// parseTrustedOrigin checks one CSRF_TRUSTED_ORIGINS entry. Django only
// demands a scheme (system check 4_0.E001); an entry with a path, query or
// misplaced "*" would silently never match an Origin, so it is refused here.
func parseTrustedOrigin(o string) (scheme, host string, err error) {
	bad := func(why string) error { return fmt.Errorf("csrf: trusted origin %q: %s", o, why) }
	i := strings.Index(o, "://")
	if i <= 0 {
		return "", "", bad(`must start with a scheme, like "https://"`)
	}
	scheme, host = o[:i], o[i+3:]
	if pycompat.ASCIILower(scheme) != scheme {
		return "", "", bad("scheme must be lower-case")
	}
	if host == "" {
		return "", "", bad("host is required")
	}
	if strings.ContainsAny(host, "/?#@ \t\r\n") {
		return "", "", bad("only scheme://host[:port] is allowed")
	}
	if k := strings.LastIndexByte(host, '*'); k >= 0 {
		if k != 0 || !strings.HasPrefix(host, "*.") || len(host) == 2 {
			return "", "", bad(`"*" is only allowed as a leading "*." wildcard`)
		}
	}
	u, ok := pycompat.ParseURL(o)
	if !ok || u.Scheme != scheme || u.Netloc != host {
		return "", "", bad("not a valid origin")
	}
	return scheme, pycompat.ASCIILower(host), nil
}

func validCookieName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return true
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(pycompat.IsASCIIAlpha(c) || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// pyTitle is Python's str.title() for ASCII: a letter is upper-cased when it
// follows a non-letter, lower-cased otherwise. Django shows header names this
// way ("X-CSRFToken" becomes "X-Csrftoken").
func pyTitle(s string) string {
	b := []byte(s)
	prevLetter := false
	for i, c := range b {
		if pycompat.IsASCIIAlpha(c) {
			if prevLetter {
				b[i] = lowerByte(c)
			} else {
				b[i] = upperByte(c)
			}
			prevLetter = true
		} else {
			prevLetter = false
		}
	}
	return string(b)
}

func lowerByte(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func upperByte(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

// isSameDomain is Django's is_same_domain: pattern (lower-cased by Django,
// here compared lower-cased) against host as given, case-sensitively.
func isSameDomain(host, pattern string) bool {
	if pattern == "" {
		return false
	}
	if pattern[0] == '.' {
		if len(host) >= len(pattern) && equalLowered(host[len(host)-len(pattern):], pattern) {
			return true
		}
		if equalLowered(host, pattern[1:]) {
			return true
		}
	}
	return equalLowered(host, pattern)
}

// equalLowered reports whether s == strings.ToLower(pattern) without
// allocating.
func equalLowered(s, pattern string) bool {
	if len(s) != len(pattern) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] != lowerByte(pattern[i]) {
			return false
		}
	}
	return true
}

// headerValue returns a header's value as a WSGI server would pass it on:
// repeated fields joined with ",".
func headerValue(h http.Header, key string) (string, bool) {
	vs, ok := h[key]
	if !ok {
		return "", false
	}
	switch len(vs) {
	case 0:
		return "", true
	case 1:
		return vs[0], true
	}
	return strings.Join(vs, ","), true
}

// isSafeMethod reports Django's safe methods (exact, case-sensitive).
func isSafeMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

// Check runs Django's CsrfViewMiddleware.process_view checks (4.0 and
// later) on r and returns nil or a *RejectError:
//
//  1. GET, HEAD, OPTIONS and TRACE pass.
//  2. With an Origin header, it must equal the request's own origin
//     ("https://" or "http://" + Host) or a trusted origin.
//     Without one, an HTTPS request needs an https Referer on the same host
//     (or CookieDomain) or a trusted origin's host.
//  3. The secret (cookie, or session with UseSessions) must be present and
//     well-formed, and the token (POST form field csrfmiddlewaretoken, else
//     the header) must be well-formed and match it, in constant time.
//
// Check reads the secret the request came with, so a rotation earlier in the
// same request does not affect it (as in Django). For a POST form body it
// buffers up to MaxFormBytes and puts the body back for the handler.
// It works with or without [Protector.Middleware].
func (p *Protector) Check(r *http.Request) error {
	if isSafeMethod(r.Method) {
		return nil
	}
	if origin, ok := headerValue(r.Header, "Origin"); ok {
		if !p.originVerified(r, origin) {
			return reject(fmt.Sprintf(ReasonBadOrigin, origin))
		}
	} else if p.trust.IsSecure(r) {
		if err := p.checkReferer(r); err != nil {
			return err
		}
	}
	return p.checkToken(r)
}

// CheckOrigin is the Origin half of [Protector.Check], for endpoints such as
// login that have no secret to check yet (login CSRF): safe methods and
// requests without an Origin header pass; an Origin must be the request's own
// origin or a trusted one.
func (p *Protector) CheckOrigin(r *http.Request) error {
	if isSafeMethod(r.Method) {
		return nil
	}
	if origin, ok := headerValue(r.Header, "Origin"); ok && !p.originVerified(r, origin) {
		return reject(fmt.Sprintf(ReasonBadOrigin, origin))
	}
	return nil
}

// originVerified is Django's _origin_verified.
func (p *Protector) originVerified(r *http.Request, origin string) bool {
	if host, err := p.trust.Host(r); err == nil {
		scheme := "http://"
		if p.trust.IsSecure(r) {
			scheme = "https://"
		}
		if len(origin) == len(scheme)+len(host) && strings.HasPrefix(origin, scheme) && origin[len(scheme):] == host {
			return true
		}
	}
	if p.exact[origin] {
		return true
	}
	if len(p.wildcards) == 0 {
		return false
	}
	u, ok := pycompat.ParseURL(origin)
	if !ok {
		return false
	}
	for _, pattern := range p.wildcards[u.Scheme] {
		if isSameDomain(u.Netloc, pattern) {
			return true
		}
	}
	return false
}

// checkReferer is Django's _check_referer, run on HTTPS requests without an
// Origin header.
func (p *Protector) checkReferer(r *http.Request) error {
	referer, ok := headerValue(r.Header, "Referer")
	if !ok {
		return reject(ReasonNoReferer)
	}
	u, ok := pycompat.ParseURL(referer)
	if !ok || u.Scheme == "" || u.Netloc == "" {
		return reject(ReasonMalformedReferer)
	}
	if u.Scheme != "https" {
		return reject(ReasonInsecureReferer)
	}
	for _, h := range p.refererHosts {
		if isSameDomain(u.Netloc, h) {
			return nil
		}
	}
	good := p.opts.CookieDomain
	if p.opts.UseSessions {
		good = p.opts.SessionCookieDomain
	}
	if good == "" {
		host, err := p.trust.Host(r)
		if err != nil {
			return reject(fmt.Sprintf(ReasonBadReferer, u.GetURL()))
		}
		good = host
	} else if port := p.trust.Port(r); port != "443" && port != "80" {
		good = good + ":" + port
	}
	if !isSameDomain(u.Netloc, good) {
		return reject(fmt.Sprintf(ReasonBadReferer, u.GetURL()))
	}
	return nil
}

// secret is the request's incoming secret, without allocating.
type secret struct {
	raw      string // as stored (when not masked)
	unmasked [SecretLength]byte
	masked   bool // raw was a 64-character masked token; use unmasked
}

func (s *secret) equal(tok []byte) bool {
	if s.masked {
		return constantTimeEqualBytes(tok, s.unmasked[:])
	}
	return constantTimeEqual(tok, s.raw)
}

// readSecret is Django's _get_secret: the secret from the cookie (checked for
// format: problem is then the reason suffix) or from the session (not
// checked, as in Django). present is false when there is none.
func (p *Protector) readSecret(r *http.Request, s *secret) (present bool, problem string) {
	var v string
	if p.opts.UseSessions {
		sv := p.opts.Session(r)
		if sv == nil {
			return false, ""
		}
		val, ok := sv.Get(SessionKey)
		str, isString := val.(string)
		if !ok || !isString {
			return false, ""
		}
		v = str
	} else {
		c, ok := pycompat.CookieValue(r.Header, p.cookieName)
		if !ok {
			return false, ""
		}
		if prob := formatProblem(c, utf8.RuneCountInString(c)); prob != "" {
			return true, prob
		}
		v = c
	}
	s.raw = v
	if len(v) == TokenLength && unmaskInto(&s.unmasked, v) {
		s.masked = true
	}
	return true, ""
}

// checkToken is Django's _check_token.
func (p *Protector) checkToken(r *http.Request) error {
	var s secret
	present, problem := p.readSecret(r, &s)
	if problem != "" {
		return reject("CSRF cookie " + problem + ".")
	}
	if !present {
		return reject(ReasonNoCSRFCookie)
	}
	token, source, n := "", "POST", 0
	if r.Method == http.MethodPost {
		token = p.formToken(r)
		n = utf8.RuneCountInString(token)
	}
	if token == "" {
		var ok bool
		token, ok = headerValue(r.Header, p.headerKey)
		if !ok {
			return reject(ReasonCSRFTokenMissing)
		}
		source, n = p.headerSource, len(token) // headers are latin-1 in WSGI: one byte, one character
	}
	if prob := formatProblem(token, n); prob != "" {
		return reject("CSRF token from " + source + " " + prob + ".")
	}
	var buf [SecretLength]byte
	if !s.equal(secretOf(&buf, token)) {
		return reject("CSRF token from " + source + " " + reasonIncorrect + ".")
	}
	return nil
}
