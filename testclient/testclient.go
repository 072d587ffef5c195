package testclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/csrf"
	"github.com/dmr-go/dmr/sessions"
)

// DefaultBaseURL is the address an in-process client sends its requests to,
// like Django's test client's "testserver".
const DefaultBaseURL = "http://testserver"

// Options configure a Client. The zero value fits Django's defaults.
type Options struct {
	// BaseURL is what relative paths are resolved against. For New it
	// defaults to DefaultBaseURL; an https base URL makes the in-process
	// requests look like TLS connections (r.TLS is set), so Secure cookies
	// and HTTPS-only checks behave as behind a real TLS listener.
	BaseURL string
	// CSRFCookieName and CSRFHeaderName default to "csrftoken" and
	// "X-CSRFToken".
	CSRFCookieName string
	CSRFHeaderName string
	// Header is added to every request (for example an Origin).
	Header http.Header

	// Sessions and Auth enable LoginAs: the session middleware and the auth
	// of the application under test (manage.Env has both).
	Sessions *sessions.Middleware
	Auth     *auth.Auth
	// CSRFUseSessions tells LoginAs to keep the CSRF secret in the session
	// (CSRF_USE_SESSIONS) instead of the csrftoken cookie.
	CSRFUseSessions bool
}

// Client is an HTTP client for tests that behaves like a browser running the
// application's JavaScript: it keeps cookies, and on unsafe methods (anything
// but GET, HEAD, OPTIONS and TRACE) it sends the CSRF token from the csrftoken
// cookie (or the token given to SetCSRFToken) in the X-CSRFToken header.
// It is safe for sequential use by one test.
type Client struct {
	// HTTP is the underlying client; its Jar holds the cookies.
	HTTP *http.Client
	base *url.URL
	opts Options
	// token overrides the cookie as the CSRF token (CSRF_USE_SESSIONS).
	token string
}

// New returns a client that serves its requests with h in process (no
// network). Redirects are not followed.
func New(h http.Handler, o Options) *Client {
	if o.BaseURL == "" {
		o.BaseURL = DefaultBaseURL
	}
	c, err := newClient(o, handlerTransport{h})
	if err != nil {
		panic("testclient: " + err.Error())
	}
	return c
}

// Dial returns a client for a server at baseURL (an httptest.Server's URL,
// for example). Redirects are not followed.
func Dial(baseURL string, o Options) (*Client, error) {
	o.BaseURL = baseURL
	return newClient(o, http.DefaultTransport)
}

func newClient(o Options, rt http.RoundTripper) (*Client, error) {
	u, err := url.Parse(o.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("base URL %q: want http(s)://host[:port]", o.BaseURL)
	}
	if o.CSRFCookieName == "" {
		o.CSRFCookieName = csrf.DefaultCookieName
	}
	if o.CSRFHeaderName == "" {
		o.CSRFHeaderName = csrf.DefaultHeaderName
	}
	jar, _ := cookiejar.New(nil)
	return &Client{
		HTTP: &http.Client{
			Transport:     rt,
			Jar:           jar,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		base: u,
		opts: o,
	}, nil
}

// handlerTransport answers requests with an http.Handler.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.RequestURI = req.URL.RequestURI()
	r.RemoteAddr = "192.0.2.1:1234"
	if req.URL.Scheme == "https" {
		r.TLS = &tls.ConnectionState{HandshakeComplete: true, ServerName: req.URL.Hostname()}
	}
	if r.Body == nil {
		r.Body = http.NoBody
	}
	w := httptest.NewRecorder()
	t.h.ServeHTTP(w, r)
	res := w.Result()
	res.Request = req
	return res, nil
}

// URL resolves path against the base URL.
func (c *Client) URL(path string) *url.URL { return c.base.ResolveReference(&url.URL{Path: path}) }

func (c *Client) resolve(path string) (*url.URL, error) {
	ref, err := url.Parse(path)
	if err != nil {
		return nil, err
	}
	return c.base.ResolveReference(ref), nil
}

// Cookie returns the cookie the client would send to the base URL under name.
func (c *Client) Cookie(name string) (*http.Cookie, bool) {
	for _, ck := range c.HTTP.Jar.Cookies(c.base) {
		if ck.Name == name {
			return ck, true
		}
	}
	return nil, false
}

// SetCookie stores a cookie for the base URL, as if the server had set it.
func (c *Client) SetCookie(ck *http.Cookie) {
	if ck.Path == "" {
		ck.Path = "/"
	}
	c.HTTP.Jar.SetCookies(c.base, []*http.Cookie{ck})
}

// ClearCookies forgets every cookie.
func (c *Client) ClearCookies() {
	jar, _ := cookiejar.New(nil)
	c.HTTP.Jar = jar
	c.token = ""
}

// SetCSRFToken makes the client send token (for example from GET /api/csrf/
// under CSRF_USE_SESSIONS, where no cookie carries it) instead of the
// cookie's value. An empty token goes back to the cookie.
func (c *Client) SetCSRFToken(token string) { c.token = token }

// CSRFToken returns the token the client sends on unsafe requests.
func (c *Client) CSRFToken() string {
	if c.token != "" {
		return c.token
	}
	if ck, ok := c.Cookie(c.opts.CSRFCookieName); ok {
		return ck.Value
	}
	return ""
}

func safeMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

// Do sends req with the client's cookies, default headers and, on unsafe
// methods, the CSRF header unless req already has that header (even empty:
// that is how a test sends a request without a token).
func (c *Client) Do(req *http.Request) (*http.Response, error) {
	for k, vs := range c.opts.Header {
		if _, set := req.Header[k]; !set {
			req.Header[k] = append([]string(nil), vs...)
		}
	}
	if _, set := req.Header[http.CanonicalHeaderKey(c.opts.CSRFHeaderName)]; !set && !safeMethod(req.Method) {
		if tok := c.CSRFToken(); tok != "" {
			req.Header.Set(c.opts.CSRFHeaderName, tok)
		}
	}
	return c.HTTP.Do(req)
}

// Response is a fully read response.
type Response struct {
	*http.Response
	// Body is the whole response body.
	Body []byte
}

// JSON decodes the body into v.
func (r *Response) JSON(v any) error {
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("decode %d response %q: %w", r.StatusCode, truncate(r.Body), err)
	}
	return nil
}

// Cookie returns the cookie the response set under name.
func (r *Response) Cookie(name string) (*http.Cookie, bool) {
	for _, ck := range r.Cookies() {
		if ck.Name == name {
			return ck, true
		}
	}
	return nil, false
}

func (r *Response) String() string {
	return fmt.Sprintf("%s %s", r.Status, truncate(r.Body))
}

func truncate(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// Request sends a request with an optional body. A body that is an
// io.Reader, []byte or string is sent as is (set the Content-Type with
// header); anything else (non-nil) is sent as JSON with Content-Type
// application/json. header may be nil.
func (c *Client) Request(ctx context.Context, method, path string, body any, header http.Header) (*Response, error) {
	u, err := c.resolve(path)
	if err != nil {
		return nil, err
	}
	var rd io.Reader
	isJSON := false
	switch b := body.(type) {
	case nil:
	case io.Reader:
		rd = b
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return nil, fmt.Errorf("testclient: encode body: %w", err)
		}
		rd, isJSON = bytes.NewReader(data), true
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	for k, vs := range header {
		req.Header[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	if isJSON && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	return &Response{Response: res, Body: data}, nil
}

// Get sends a GET request.
func (c *Client) Get(ctx context.Context, path string) (*Response, error) {
	return c.Request(ctx, http.MethodGet, path, nil, nil)
}

// Post sends body as JSON (see Request).
func (c *Client) Post(ctx context.Context, path string, body any) (*Response, error) {
	return c.Request(ctx, http.MethodPost, path, body, nil)
}

// Put sends body as JSON (see Request).
func (c *Client) Put(ctx context.Context, path string, body any) (*Response, error) {
	return c.Request(ctx, http.MethodPut, path, body, nil)
}

// Patch sends body as JSON (see Request).
func (c *Client) Patch(ctx context.Context, path string, body any) (*Response, error) {
	return c.Request(ctx, http.MethodPatch, path, body, nil)
}

// Delete sends a DELETE request.
func (c *Client) Delete(ctx context.Context, path string) (*Response, error) {
	return c.Request(ctx, http.MethodDelete, path, nil, nil)
}

// GetJSON sends a GET request and decodes a 2xx JSON body into out. Other
// statuses are an error that quotes the body.
func (c *Client) GetJSON(ctx context.Context, path string, out any) (*Response, error) {
	return c.doJSON(ctx, http.MethodGet, path, nil, out)
}

// PostJSON sends in as JSON and decodes a 2xx JSON body into out (which may
// be nil). Other statuses are an error that quotes the body.
func (c *Client) PostJSON(ctx context.Context, path string, in, out any) (*Response, error) {
	return c.doJSON(ctx, http.MethodPost, path, in, out)
}

func (c *Client) doJSON(ctx context.Context, method, path string, in, out any) (*Response, error) {
	res, err := c.Request(ctx, method, path, in, nil)
	if err != nil {
		return nil, err
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return res, fmt.Errorf("%s %s: %s", method, path, res)
	}
	if out != nil && len(res.Body) > 0 {
		return res, res.JSON(out)
	}
	return res, nil
}

// LoginAs logs u in without a password round trip, as Django's
// Client.force_login does: it creates the session through the application's
// session store and auth (Options.Sessions and Options.Auth) exactly as a
// login request would (auth.Login: key, user id, backend and auth hash), and
// stores the session cookie. It also gives the client a fresh CSRF secret
// (the csrftoken cookie, or the session under CSRFUseSessions), as the
// rotation at login would.
func (c *Client) LoginAs(ctx context.Context, u *auth.User) error {
	if c.opts.Sessions == nil || c.opts.Auth == nil {
		return errors.New("testclient: LoginAs needs Options.Sessions and Options.Auth")
	}
	if !u.IsAuthenticated() {
		return errors.New("testclient: LoginAs needs a stored user (ID > 0)")
	}
	s := c.opts.Sessions.NewSession(ctx, "", false)
	sctx := c.opts.Auth.WithUser(sessions.NewContext(ctx, s))
	if err := c.opts.Auth.Login(sctx, u); err != nil {
		return fmt.Errorf("testclient: login: %w", err)
	}
	secret := csrf.NewSecret()
	if c.opts.CSRFUseSessions {
		s.Set(csrf.SessionKey, secret)
		c.token = secret
	}
	h := http.Header{}
	if err := s.Commit(sctx, h, http.StatusOK); err != nil {
		return fmt.Errorf("testclient: save session: %w", err)
	}
	cookies := (&http.Response{Header: h}).Cookies()
	if len(cookies) == 0 {
		return errors.New("testclient: the session middleware set no cookie")
	}
	c.HTTP.Jar.SetCookies(c.base, cookies)
	if !c.opts.CSRFUseSessions {
		c.token = ""
		c.SetCookie(&http.Cookie{Name: c.opts.CSRFCookieName, Value: secret, Path: "/"})
	}
	return nil
}
