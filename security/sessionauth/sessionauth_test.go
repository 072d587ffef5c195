package sessionauth_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/hashers"
	"github.com/dmr-go/dmr/csrf"
	"github.com/dmr-go/dmr/openapi"
	"github.com/dmr-go/dmr/security"
	"github.com/dmr-go/dmr/security/sessionauth"
	"github.com/dmr-go/dmr/sessions"
)

// app is a complete stack: sessions → CSRF state → current user → API.
type app struct {
	srv      *httptest.Server
	api      *dmr.API
	auth     *auth.Auth
	store    *sessions.MemoryStore
	users    *auth.MemoryUsers
	protect  *csrf.Protector
	sessAuth *sessionauth.Auth
}

type appConfig struct {
	csrfUseSessions bool
	sessionCookie   string
	schemeName      string
	csrfSchemeName  string
	csrfCookie      string
}

// headerToken is a second auth for the "two auths" tests: X-API-Token: secret.
type headerToken struct{}

func (headerToken) Authenticate(r *http.Request) (*http.Request, error) {
	switch r.Header.Get("X-API-Token") {
	case "":
		return nil, nil
	case "secret":
		return r, nil
	default:
		return nil, security.ErrNotAuthenticated
	}
}

func (headerToken) Describe(security.Operation) security.Description {
	return security.Description{
		Schemes:     map[string]*openapi.SecurityScheme{"token": {Type: "apiKey", Name: "X-API-Token", In: "header"}},
		Requirement: openapi.SecurityRequirement{"token": {}},
		Responses:   []security.Response{security.NotAuthenticatedResponse()},
	}
}

func newApp(t *testing.T, cfg appConfig) *app {
	t.Helper()
	a := &app{store: &sessions.MemoryStore{}, users: &auth.MemoryUsers{}}
	sm, err := sessions.NewMiddleware(sessions.Options{Store: a.store, Settings: sessions.Settings{CookieName: cfg.sessionCookie}})
	if err != nil {
		t.Fatal(err)
	}
	copts := csrf.Options{CookieName: cfg.csrfCookie, UseSessions: cfg.csrfUseSessions}
	if cfg.csrfUseSessions {
		copts.Session = func(r *http.Request) csrf.SessionValues { return sessions.FromContext(r.Context()) }
	}
	a.protect, err = csrf.New(copts)
	if err != nil {
		t.Fatal(err)
	}
	a.auth, err = auth.New(auth.Options{
		SecretKey: []byte("sessionauth-test-secret"),
		Users:     a.users,
		Hashers:   &hashers.Hashers{List: []hashers.Hasher{&hashers.PBKDF2{Iterations: 10}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	a.sessAuth, err = sessionauth.New(sessionauth.Options{
		Auth: a.auth, CSRF: a.protect, SessionCookieName: sm.CookieName(),
		SchemeName: cfg.schemeName, CSRFSchemeName: cfg.csrfSchemeName,
	})
	if err != nil {
		t.Fatal(err)
	}
	a.api = dmr.New(dmr.Config{Title: "Test", Prefix: "/api"})
	a.sessAuth.RegisterLogin(a.api, nil)
	a.sessAuth.RegisterLogout(a.api, sessionauth.LogoutOptions{})
	a.sessAuth.RegisterCSRF(a.api, sessionauth.CSRFOptions{})
	me := a.api.Controller(dmr.ControllerConfig{Name: "APIController", Path: "/apicontroller/", Auth: []security.Auth{a.sessAuth}})
	dmr.Get(me, dmr.Operation{}, func(ctx context.Context, _ *struct{}) (*string, error) {
		name := auth.UserFromContext(ctx).Username
		return &name, nil
	})
	dmr.Post(me, dmr.Operation{Status: http.StatusOK}, func(ctx context.Context, _ *struct{}) (*string, error) {
		s := "posted by " + auth.UserFromContext(ctx).Username
		return &s, nil
	})
	staff := a.api.Controller(dmr.ControllerConfig{Name: "StaffController", Path: "/staff/", Auth: []security.Auth{a.sessAuth.With(sessionauth.StaffOnly())}})
	dmr.Get(staff, dmr.Operation{}, func(ctx context.Context, _ *struct{}) (*string, error) {
		s := "staff"
		return &s, nil
	})
	dmr.Delete(staff, dmr.Operation{Status: http.StatusOK}, func(ctx context.Context, _ *struct{}) (*string, error) {
		s := "deleted"
		return &s, nil
	})
	two := a.api.Controller(dmr.ControllerConfig{Name: "TwoController", Path: "/two/", Auth: []security.Auth{a.sessAuth, headerToken{}}})
	dmr.Post(two, dmr.Operation{Status: http.StatusOK}, func(ctx context.Context, _ *struct{}) (*string, error) {
		s := "who: " + auth.UserFromContext(ctx).String()
		return &s, nil
	})

	mux := http.NewServeMux()
	mux.Handle("/api/", a.api)
	h := sm.Handler(a.protect.Middleware(a.auth.Middleware(mux)))
	a.srv = httptest.NewServer(h)
	t.Cleanup(a.srv.Close)
	return a
}

func (a *app) createUser(t *testing.T, nu auth.NewUser) *auth.User {
	t.Helper()
	u, err := a.auth.CreateUser(context.Background(), nu)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// client is a browser-like client: a cookie jar, JSON bodies.
type client struct {
	t   *testing.T
	c   *http.Client
	app *app
}

func (a *app) client(t *testing.T) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, c: &http.Client{Jar: jar}, app: a}
}

type resp struct {
	status int
	header http.Header
	body   string
}

func (r resp) cookie(name string) *http.Cookie {
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func (c *client) do(method, path, body string, hdr map[string]string) resp {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.app.srv.URL+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: string(b)}
}

func (c *client) cookie(name string) string {
	u, _ := url.Parse(c.app.srv.URL)
	for _, ck := range c.c.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

func (c *client) login(user, pw string) resp {
	c.t.Helper()
	return c.do("POST", "/api/auth/", `{"username":"`+user+`","password":"`+pw+`"}`, nil)
}

func want(t *testing.T, r resp, status int, body string) {
	t.Helper()
	if r.status != status || (body != "" && r.body != body) {
		t.Fatalf("got %d %s; want %d %s", r.status, r.body, status, body)
	}
}

const notAuthenticated = `{"detail":[{"msg":"Not authenticated","type":"security"}]}`

func TestLoginSetsBothCookiesAndProtectsEndpoints(t *testing.T) {
	a := newApp(t, appConfig{})
	a.createUser(t, auth.NewUser{Username: "test_user", Password: "password"})
	c := a.client(t)

	want(t, c.do("GET", "/api/apicontroller/", "", nil), 401, notAuthenticated)

	r := c.login("test_user", "password")
	want(t, r, 200, `{"user_id":"1"}`)
	sc, cc := r.cookie("sessionid"), r.cookie("csrftoken")
	if sc == nil || cc == nil {
		t.Fatalf("want sessionid and csrftoken cookies, got %q", r.header.Values("Set-Cookie"))
	}
	if !sc.HttpOnly || sc.MaxAge != 1209600 || sc.Path != "/" || sc.SameSite != http.SameSiteLaxMode {
		t.Errorf("session cookie attributes: %+v", sc)
	}
	if cc.HttpOnly || cc.MaxAge != 31449600 || cc.Path != "/" || cc.SameSite != http.SameSiteLaxMode || len(cc.Value) != 32 {
		t.Errorf("csrf cookie attributes: %+v", cc)
	}

	want(t, c.do("GET", "/api/apicontroller/", "", nil), 200, `"test_user"`)
	// Unsafe without the token: Django's reason.
	want(t, c.do("POST", "/api/apicontroller/", "", nil), 403, `{"detail":[{"msg":"CSRF Failed: CSRF token missing."}]}`)
	want(t, c.do("POST", "/api/apicontroller/", "", map[string]string{"X-CSRFToken": strings.Repeat("a", 32)}), 403,
		`{"detail":[{"msg":"CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header incorrect."}]}`)
	tok := c.cookie("csrftoken")
	want(t, c.do("POST", "/api/apicontroller/", "", map[string]string{"X-CSRFToken": tok}), 200, `"posted by test_user"`)
	masked := csrf.Mask(tok)
	want(t, c.do("POST", "/api/apicontroller/", "", map[string]string{"X-CSRFToken": masked}), 200, "")
	// A foreign Origin fails even with a good token.
	want(t, c.do("POST", "/api/apicontroller/", "", map[string]string{"X-CSRFToken": tok, "Origin": "https://evil.example"}), 403,
		`{"detail":[{"msg":"CSRF Failed: Origin checking failed - https://evil.example does not match any trusted origins."}]}`)
}

func TestLoginFailures(t *testing.T) {
	a := newApp(t, appConfig{})
	a.createUser(t, auth.NewUser{Username: "alice", Password: "pw"})
	a.createUser(t, auth.NewUser{Username: "bob", Password: "pw", Inactive: true})
	for _, tc := range []struct {
		name, body, ctype, origin string
		status                    int
		msg                       string
	}{
		{name: "wrong password", body: `{"username":"alice","password":"nope"}`, status: 401, msg: notAuthenticated},
		{name: "unknown user", body: `{"username":"carol","password":"pw"}`, status: 401, msg: notAuthenticated},
		{name: "inactive user", body: `{"username":"bob","password":"pw"}`, status: 401, msg: notAuthenticated},
		{name: "missing field", body: `{"username":"alice"}`, status: 400,
			msg: `{"detail":[{"msg":"Field required","loc":["parsed_body","password"],"type":"value_error"}]}`},
		{name: "text/plain body", body: `{"username":"alice","password":"pw"}`, ctype: "text/plain", status: 400},
		{name: "form body", body: `username=alice&password=pw`, ctype: "application/x-www-form-urlencoded", status: 400},
		{name: "foreign origin", body: `{"username":"alice","password":"pw"}`, origin: "https://evil.example", status: 403,
			msg: `{"detail":[{"msg":"CSRF Failed: Origin checking failed - https://evil.example does not match any trusted origins."}]}`},
		{name: "null origin", body: `{"username":"alice","password":"pw"}`, origin: "null", status: 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := a.client(t)
			hdr := map[string]string{}
			if tc.ctype != "" {
				hdr["Content-Type"] = tc.ctype
			}
			if tc.origin != "" {
				hdr["Origin"] = tc.origin
			}
			r := c.do("POST", "/api/auth/", tc.body, hdr)
			want(t, r, tc.status, tc.msg)
			if sc := r.header.Values("Set-Cookie"); len(sc) != 0 {
				t.Errorf("a failed login set cookies: %q", sc)
			}
		})
	}
	// The login's own origin is accepted.
	c := a.client(t)
	want(t, c.do("POST", "/api/auth/", `{"username":"alice","password":"pw"}`, map[string]string{"Origin": a.srv.URL}), 200, "")
}

func TestLoginCyclesSessionKey(t *testing.T) {
	a := newApp(t, appConfig{})
	a.createUser(t, auth.NewUser{Username: "alice", Password: "pw"})
	c := a.client(t)
	// An anonymous session with data: get a CSRF token stored… in a cookie,
	// so store something in the session through the store directly.
	ctx := context.Background()
	const preKey = "abcdefghijklmnopqrstuvwxyz012345"
	data := newObject("cart", "3 items")
	if _, err := a.store.Create(ctx, sessions.Record{Key: preKey, Data: data, Expiry: farFuture()}); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(a.srv.URL)
	c.c.Jar.SetCookies(u, []*http.Cookie{{Name: "sessionid", Value: preKey, Path: "/"}})
	want(t, c.login("alice", "pw"), 200, "")
	newKey := c.cookie("sessionid")
	if newKey == "" || newKey == preKey {
		t.Fatalf("session key not cycled: %q", newKey)
	}
	if ok, _ := a.store.Exists(ctx, preKey); ok {
		t.Fatal("the pre-login session still exists")
	}
	rec, err := a.store.Load(ctx, newKey)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := rec.Data.Get("cart"); v != "3 items" {
		t.Fatalf("anonymous data lost at login: %v", rec.Data.Keys())
	}
	if v, _ := rec.Data.Get(auth.SessionKeyUserID); v != "1" {
		t.Fatalf("_auth_user_id = %v", v)
	}
}

func TestLogout(t *testing.T) {
	a := newApp(t, appConfig{})
	a.createUser(t, auth.NewUser{Username: "alice", Password: "pw"})
	c := a.client(t)
	want(t, c.login("alice", "pw"), 200, "")
	old := c.cookie("sessionid")
	// Logout is CSRF-protected.
	want(t, c.do("POST", "/api/auth/logout/", "", nil), 403, `{"detail":[{"msg":"CSRF Failed: CSRF token missing."}]}`)
	r := c.do("POST", "/api/auth/logout/", "", map[string]string{"X-CSRFToken": c.cookie("csrftoken")})
	want(t, r, 204, "")
	if sc := r.cookie("sessionid"); sc == nil || sc.Value != "" || sc.MaxAge >= 0 {
		t.Fatalf("logout did not delete the session cookie: %q", r.header.Values("Set-Cookie"))
	}
	want(t, c.do("GET", "/api/apicontroller/", "", nil), 401, notAuthenticated)
	// The old cookie, replayed, is refused: the session is gone server-side.
	replay := a.client(t)
	u, _ := url.Parse(a.srv.URL)
	replay.c.Jar.SetCookies(u, []*http.Cookie{{Name: "sessionid", Value: old, Path: "/"}})
	want(t, replay.do("GET", "/api/apicontroller/", "", nil), 401, notAuthenticated)
	// Without a session, logout is 401.
	want(t, a.client(t).do("POST", "/api/auth/logout/", "", nil), 401, notAuthenticated)
}

func TestStaffCheck(t *testing.T) {
	a := newApp(t, appConfig{})
	a.createUser(t, auth.NewUser{Username: "alice", Password: "pw"})
	a.createUser(t, auth.NewUser{Username: "root", Password: "pw", IsStaff: true})
	c := a.client(t)
	want(t, c.login("alice", "pw"), 200, "")
	want(t, c.do("GET", "/api/staff/", "", nil), 403, `{"detail":[{"msg":"Permission denied","type":"security"}]}`)
	s := a.client(t)
	want(t, s.do("GET", "/api/staff/", "", nil), 401, notAuthenticated)
	want(t, s.login("root", "pw"), 200, "")
	want(t, s.do("GET", "/api/staff/", "", nil), 200, `"staff"`)
	// The check cannot skip CSRF: a staff user without a token is refused.
	want(t, s.do("DELETE", "/api/staff/", "", nil), 403, `{"detail":[{"msg":"CSRF Failed: CSRF token missing."}]}`)
	want(t, s.do("DELETE", "/api/staff/", "", map[string]string{"X-CSRFToken": s.cookie("csrftoken")}), 200, `"deleted"`)
	// CSRF is checked before the permission, so a forged request learns nothing.
	want(t, c.do("DELETE", "/api/staff/", "", nil), 403, `{"detail":[{"msg":"CSRF Failed: CSRF token missing."}]}`)
	want(t, c.do("DELETE", "/api/staff/", "", map[string]string{"X-CSRFToken": c.cookie("csrftoken")}), 403,
		`{"detail":[{"msg":"Permission denied","type":"security"}]}`)
}

func TestTwoAuths(t *testing.T) {
	a := newApp(t, appConfig{})
	a.createUser(t, auth.NewUser{Username: "alice", Password: "pw"})
	anon := a.client(t)
	// No session: the second auth decides.
	want(t, anon.do("POST", "/api/two/", "", nil), 401, notAuthenticated)
	want(t, anon.do("POST", "/api/two/", "", map[string]string{"X-API-Token": "secret"}), 200, `"who: AnonymousUser"`)
	want(t, anon.do("POST", "/api/two/", "", map[string]string{"X-API-Token": "wrong"}), 401, notAuthenticated)
	// With a session, CSRF applies and the token auth is not consulted.
	c := a.client(t)
	want(t, c.login("alice", "pw"), 200, "")
	want(t, c.do("POST", "/api/two/", "", map[string]string{"X-API-Token": "secret"}), 403,
		`{"detail":[{"msg":"CSRF Failed: CSRF token missing."}]}`)
	want(t, c.do("POST", "/api/two/", "", map[string]string{"X-CSRFToken": c.cookie("csrftoken")}), 200, `"who: alice"`)

	doc := document(t, a)
	op := doc["paths"].(map[string]any)["/api/two/"].(map[string]any)["post"].(map[string]any)
	got, _ := json.Marshal(op["security"])
	if string(got) != `[{"csrf":[],"django_session":[]},{"token":[]}]` {
		t.Errorf("security of two auths = %s", got)
	}
}

func TestCSRFEndpoint(t *testing.T) {
	a := newApp(t, appConfig{})
	a.createUser(t, auth.NewUser{Username: "alice", Password: "pw"})
	c := a.client(t)
	r := c.do("GET", "/api/csrf/", "", nil)
	want(t, r, 200, "")
	var body struct{ CSRFToken string }
	if err := json.Unmarshal([]byte(r.body), &body); err != nil || len(body.CSRFToken) != 64 {
		t.Fatalf("body %s: %v", r.body, err)
	}
	ck := r.cookie("csrftoken")
	if ck == nil {
		t.Fatal("no csrftoken cookie")
	}
	if secret, ok := csrf.Unmask(body.CSRFToken); !ok || secret != ck.Value {
		t.Fatalf("token does not unmask to the cookie's secret")
	}
	// Login rotates the secret: the pre-login token no longer works.
	want(t, c.login("alice", "pw"), 200, "")
	if c.cookie("csrftoken") == ck.Value {
		t.Fatal("login did not rotate the CSRF secret")
	}
	want(t, c.do("POST", "/api/apicontroller/", "", map[string]string{"X-CSRFToken": body.CSRFToken}), 403,
		`{"detail":[{"msg":"CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header incorrect."}]}`)
}

func TestCSRFUseSessions(t *testing.T) {
	a := newApp(t, appConfig{csrfUseSessions: true})
	a.createUser(t, auth.NewUser{Username: "alice", Password: "pw"})
	c := a.client(t)
	r := c.login("alice", "pw")
	want(t, r, 200, `{"user_id":"1"}`)
	if r.cookie("csrftoken") != nil {
		t.Fatal("csrftoken cookie sent under CSRF_USE_SESSIONS")
	}
	rec, err := a.store.Load(context.Background(), c.cookie("sessionid"))
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := rec.Data.Get("_csrftoken")
	s, _ := secret.(string)
	if len(s) != 32 {
		t.Fatalf("no CSRF secret in the session: %v", rec.Data.Keys())
	}
	want(t, c.do("POST", "/api/apicontroller/", "", nil), 403, `{"detail":[{"msg":"CSRF Failed: CSRF token missing."}]}`)
	want(t, c.do("POST", "/api/apicontroller/", "", map[string]string{"X-CSRFToken": s}), 200, "")
	// The token endpoint hands out a token for the session's secret, no cookie.
	r = c.do("GET", "/api/csrf/", "", nil)
	var body struct{ CSRFToken string }
	_ = json.Unmarshal([]byte(r.body), &body)
	if got, _ := csrf.Unmask(body.CSRFToken); got != s || r.cookie("csrftoken") != nil {
		t.Fatalf("csrf endpoint under sessions: %s %q", r.body, r.header.Values("Set-Cookie"))
	}
	want(t, c.do("POST", "/api/apicontroller/", "", map[string]string{"X-CSRFToken": body.CSRFToken}), 200, "")

	doc := document(t, a)
	schemes := doc["components"].(map[string]any)["securitySchemes"].(map[string]any)
	if _, ok := schemes["csrf"]; ok || schemes["django_session"] == nil {
		t.Errorf("securitySchemes under CSRF_USE_SESSIONS: %v", schemes)
	}
	login := doc["paths"].(map[string]any)["/api/auth/"].(map[string]any)["post"].(map[string]any)
	headers := login["responses"].(map[string]any)["200"].(map[string]any)["headers"].(map[string]any)
	if d, _ := headers["Set-Cookie"].(map[string]any)["description"].(string); strings.Contains(d, "csrftoken") || !strings.Contains(d, "sessionid") {
		t.Errorf("login headers under CSRF_USE_SESSIONS: %v", headers)
	}
}

func TestCustomNames(t *testing.T) {
	a := newApp(t, appConfig{sessionCookie: "sid", csrfCookie: "xsrf", schemeName: "cookieAuth", csrfSchemeName: "xsrfAuth"})
	a.createUser(t, auth.NewUser{Username: "alice", Password: "pw"})
	c := a.client(t)
	r := c.login("alice", "pw")
	want(t, r, 200, "")
	if r.cookie("sid") == nil || r.cookie("xsrf") == nil {
		t.Fatalf("cookies: %q", r.header.Values("Set-Cookie"))
	}
	want(t, c.do("POST", "/api/apicontroller/", "", map[string]string{"X-CSRFToken": c.cookie("xsrf")}), 200, "")

	doc := document(t, a)
	all := doc["components"].(map[string]any)["securitySchemes"].(map[string]any)
	delete(all, "token") // the second auth of /api/two/
	schemes, _ := json.Marshal(all)
	wantSchemes := `{"cookieAuth":{"description":"Reusing standard Django auth flow for API","in":"cookie","name":"sid","type":"apiKey"},` +
		`"xsrfAuth":{"description":"CSRF protection","in":"cookie","name":"xsrf","type":"apiKey"}}`
	if string(schemes) != wantSchemes {
		t.Errorf("schemes = %s", schemes)
	}
	paths := doc["paths"].(map[string]any)
	post, _ := json.Marshal(paths["/api/apicontroller/"].(map[string]any)["post"].(map[string]any)["security"])
	get, _ := json.Marshal(paths["/api/apicontroller/"].(map[string]any)["get"].(map[string]any)["security"])
	if string(post) != `[{"cookieAuth":[],"xsrfAuth":[]}]` || string(get) != `[{"cookieAuth":[]}]` {
		t.Errorf("security: post %s get %s", post, get)
	}
	headers := paths["/api/auth/"].(map[string]any)["post"].(map[string]any)["responses"].(map[string]any)["200"].(map[string]any)["headers"].(map[string]any)
	if d, _ := headers["Set-Cookie"].(map[string]any)["description"].(string); !strings.Contains(d, "sid") || !strings.Contains(d, "xsrf") {
		t.Errorf("login cookie headers: %v", headers)
	}
}

func TestInvalidNames(t *testing.T) {
	p, err := csrf.New(csrf.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := auth.New(auth.Options{SecretKey: []byte("k"), Users: &auth.MemoryUsers{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sessionauth.New(sessionauth.Options{Auth: a, CSRF: p}); err != nil {
		t.Fatalf("valid options refused: %v", err)
	}
	for _, o := range []sessionauth.Options{
		{},
		{CSRF: p},
		{Auth: a},
		{Auth: a, CSRF: p, SessionCookieName: "bad name"},
		{Auth: a, CSRF: p, SessionCookieName: "a;b"},
		{Auth: a, CSRF: p, SchemeName: "has space"},
		{Auth: a, CSRF: p, CSRFSchemeName: "x/y"},
		{Auth: a, CSRF: p, SchemeName: "same", CSRFSchemeName: "same"},
		{Auth: a, CSRF: p, Checks: []sessionauth.Check{{Requires: "no function"}}},
	} {
		if _, err := sessionauth.New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
}

func TestDocumentResponses(t *testing.T) {
	a := newApp(t, appConfig{})
	doc := document(t, a)
	paths := doc["paths"].(map[string]any)
	codes := func(path, method string) []string {
		res := paths[path].(map[string]any)[method].(map[string]any)["responses"].(map[string]any)
		var out []string
		for k, v := range res {
			out = append(out, k+" "+v.(map[string]any)["description"].(string))
		}
		slices.Sort(out)
		return out
	}
	for _, tc := range []struct {
		path, method string
		want         []string
	}{
		{"/api/apicontroller/", "get", []string{"200 OK", "401 Raised when auth was not successful",
			"406 Raised when provided `Accept` header cannot be satisfied",
			"422 Raised when returned response does not match the response schema",
			"503 " + apierror.UnavailableDescription}},
		{"/api/apicontroller/", "post", []string{"200 OK", "401 Raised when auth was not successful", "403 Raised when CSRF check failed",
			"406 Raised when provided `Accept` header cannot be satisfied",
			"422 Raised when returned response does not match the response schema",
			"503 " + apierror.UnavailableDescription}},
		{"/api/staff/", "get", []string{"200 OK", "401 Raised when auth was not successful", "403 Raised when permission check failed (requires staff status)",
			"406 Raised when provided `Accept` header cannot be satisfied",
			"422 Raised when returned response does not match the response schema",
			"503 " + apierror.UnavailableDescription}},
		{"/api/staff/", "delete", []string{"200 OK", "401 Raised when auth was not successful",
			"403 Raised when CSRF check failed or permission was denied (requires staff status)",
			"406 Raised when provided `Accept` header cannot be satisfied",
			"422 Raised when returned response does not match the response schema",
			"503 " + apierror.UnavailableDescription}},
		{"/api/auth/", "post", []string{"200 OK", "400 Raised when request components cannot be parsed", "401 Unauthorized",
			"403 " + sessionauth.OriginFailedDescription,
			"406 Raised when provided `Accept` header cannot be satisfied",
			"422 Raised when returned response does not match the response schema",
			"503 " + sessionauth.LoginUnavailableDescription}},
	} {
		if got := codes(tc.path, tc.method); !slices.Equal(got, tc.want) {
			t.Errorf("%s %s responses:\n got %q\nwant %q", tc.method, tc.path, got, tc.want)
		}
	}
	login := paths["/api/auth/"].(map[string]any)["post"].(map[string]any)
	if login["operationId"] != "postSessionsynccontrollerApiAuth" || login["summary"] != sessionauth.LoginSummary {
		t.Errorf("login operation: %v %v", login["operationId"], login["summary"])
	}
	if _, ok := login["security"]; ok {
		t.Errorf("login requires auth: %v", login["security"])
	}
}

func document(t *testing.T, a *app) map[string]any {
	t.Helper()
	b, err := a.api.DocumentJSON()
	if err != nil {
		t.Fatal(err)
	}
	validateDocument(t, b)
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}
