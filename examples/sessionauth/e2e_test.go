package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/internal/testenv"
	"github.com/dmr-go/dmr/manage"
	"github.com/dmr-go/dmr/testclient"
)

// The seed's run result:
//
//	$ curl http://127.0.0.1:8000/api/auth/ -D - -X POST -d '{"username": "test_user", "password": "password"}' -H 'Content-Type: application/json'
//	HTTP/1.1 200 OK
//	Content-Type: application/json
//	X-Frame-Options: DENY
//	X-Content-Type-Options: nosniff
//	Referrer-Policy: same-origin
//	Cross-Origin-Opener-Policy: same-origin
//	Set-Cookie: csrftoken=…; expires=…; Max-Age=31449600; Path=/; SameSite=Lax
//	Set-Cookie: sessionid=…; expires=…; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax
//
//	{"user_id":"1"}
const seedLoginBody = `{"username": "test_user", "password": "password"}`

var seedSecurityHeaders = map[string]string{
	"X-Frame-Options":            "DENY",
	"X-Content-Type-Options":     "nosniff",
	"Referrer-Policy":            "same-origin",
	"Cross-Origin-Opener-Policy": "same-origin",
}

const (
	notAuthenticated = `{"detail":[{"msg":"Not authenticated","type":"security"}]}`
	tokenMissing     = `{"detail":[{"msg":"CSRF Failed: CSRF token missing."}]}`
	permissionDenied = `{"detail":[{"msg":"Permission denied","type":"security"}]}`
)

var jsonHeader = http.Header{"Content-Type": {"application/json"}}

func withHeader(h http.Header, k, v string) http.Header {
	out := h.Clone()
	if out == nil {
		out = http.Header{}
	}
	out.Set(k, v)
	return out
}

func checkSecurityHeaders(t *testing.T, e exchange) {
	t.Helper()
	for k, v := range seedSecurityHeaders {
		if got := e.res.Header.Values(k); len(got) != 1 || got[0] != v {
			t.Errorf("%s %s: %s = %q, want %q", e.res.Request.Method, e.res.Request.URL.Path, k, got, v)
		}
	}
}

// cookieAttrs compares a parsed Set-Cookie with the attributes Django sends.
func checkCookie(t *testing.T, c *http.Cookie, name string, maxAge int, httpOnly bool) {
	t.Helper()
	if c == nil {
		t.Fatalf("no %s cookie", name)
	}
	if c.MaxAge != maxAge || c.Path != "/" || c.SameSite != http.SameSiteLaxMode || c.HttpOnly != httpOnly || c.Secure || c.Domain != "" {
		t.Errorf("%s cookie attributes: Max-Age=%d Path=%q SameSite=%v HttpOnly=%v Secure=%v Domain=%q (raw %q); want Max-Age=%d Path=/ SameSite=Lax HttpOnly=%v",
			name, c.MaxAge, c.Path, c.SameSite, c.HttpOnly, c.Secure, c.Domain, c.Raw, maxAge, httpOnly)
	}
	if !c.Expires.IsZero() {
		if d := time.Until(c.Expires) - time.Duration(maxAge)*time.Second; d < -time.Minute || d > time.Minute {
			t.Errorf("%s cookie expires %v, %v away from now+Max-Age", name, c.Expires, d)
		}
	}
}

var csrfSecret = regexp.MustCompile(`^[a-zA-Z0-9]{32}$`)
var sessionKey = regexp.MustCompile(`^[a-z0-9]{32}$`)

// TestSeedRunResult replays the seed's curl against the example for every
// session store, then walks through a session's life: the protected GET,
// CSRF on unsafe requests, foreign Origins, logout and the old cookie.
func TestSeedRunResult(t *testing.T) {
	for _, setup := range storeSetups {
		t.Run(setup.name, func(t *testing.T) {
			srv := startServer(t, setup.config(t), manage.Options{})
			u := srv.createUser(t, auth.NewUser{Username: "test_user", Password: "password"})
			if u.ID != "1" {
				t.Fatalf("first user has id %s", u.ID)
			}

			// The seed's request, byte for byte.
			login := srv.do(t, "POST", "/api/auth/", seedLoginBody, jsonHeader)
			login.want(t, 200, `{"user_id":"1"}`)
			if ct := login.res.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			checkSecurityHeaders(t, login)
			if n := len(login.res.Cookies()); n != 2 {
				t.Errorf("login set %d cookies, want 2: %q", n, login.res.Header.Values("Set-Cookie"))
			}
			sid, csrfc := login.cookie("sessionid"), login.cookie("csrftoken")
			checkCookie(t, sid, "sessionid", 1209600, true)
			checkCookie(t, csrfc, "csrftoken", 31449600, false)
			if !csrfSecret.MatchString(csrfc.Value) {
				t.Errorf("csrftoken %q is not a 32-character secret", csrfc.Value)
			}
			if setup.revocable && !sessionKey.MatchString(sid.Value) {
				t.Errorf("sessionid %q is not a 32-character key", sid.Value)
			}

			// The protected GET.
			anon := srv.do(t, "GET", "/api/apicontroller/", "", nil)
			anon.want(t, 401, notAuthenticated)
			checkSecurityHeaders(t, anon)
			srv.do(t, "GET", "/api/apicontroller/", "", nil, sid).want(t, 200, `"test_user"`)

			// Unsafe requests need X-CSRFToken.
			note := `{"text": "remember the milk"}`
			srv.do(t, "POST", "/api/notes/", note, jsonHeader, sid, csrfc).want(t, 403, tokenMissing)
			// A wrong token: the cookie's secret with its first character
			// changed (to "x", or "y" when it already is "x").
			wrong := "x"
			if csrfc.Value[0] == 'x' {
				wrong = "y"
			}
			srv.do(t, "POST", "/api/notes/", note, withHeader(jsonHeader, "X-CSRFToken", wrong+csrfc.Value[1:]), sid, csrfc).
				want(t, 403, `{"detail":[{"msg":"CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header incorrect."}]}`)
			withToken := withHeader(jsonHeader, "X-CSRFToken", csrfc.Value)
			created := srv.do(t, "POST", "/api/notes/", note, withToken, sid, csrfc)
			created.want(t, 201, `{"id":1,"text":"remember the milk"}`)
			checkSecurityHeaders(t, created)
			srv.do(t, "GET", "/api/notes/", "", nil, sid).want(t, 200, `[{"id":1,"text":"remember the milk"}]`)

			// A foreign Origin is refused on unsafe requests, even with the
			// token, and on login, even without a session; the own origin passes.
			evil := "https://evil.example"
			reason := `{"detail":[{"msg":"CSRF Failed: Origin checking failed - https://evil.example does not match any trusted origins."}]}`
			srv.do(t, "POST", "/api/notes/", note, withHeader(withToken, "Origin", evil), sid, csrfc).want(t, 403, reason)
			foreignLogin := srv.do(t, "POST", "/api/auth/", seedLoginBody, withHeader(jsonHeader, "Origin", evil))
			foreignLogin.want(t, 403, reason)
			if len(foreignLogin.res.Cookies()) != 0 {
				t.Errorf("refused login set cookies: %q", foreignLogin.res.Header.Values("Set-Cookie"))
			}
			srv.do(t, "POST", "/api/notes/", `{"text":"same origin"}`, withHeader(withToken, "Origin", srv.URL), sid, csrfc).want(t, 201, "")

			// Logout needs the token too, then deletes the cookie.
			srv.do(t, "POST", "/api/auth/logout/", "", nil, sid, csrfc).want(t, 403, tokenMissing)
			out := srv.do(t, "POST", "/api/auth/logout/", "", http.Header{"X-CSRFToken": {csrfc.Value}}, sid, csrfc)
			out.want(t, 204, "")
			checkSecurityHeaders(t, out)
			if del := out.cookie("sessionid"); del == nil || del.MaxAge >= 0 || del.Value != "" {
				t.Errorf("logout did not delete the session cookie: %q", out.res.Header.Values("Set-Cookie"))
			}

			// The old cookie after logout.
			old := srv.do(t, "GET", "/api/apicontroller/", "", nil, sid)
			if setup.revocable {
				old.want(t, 401, notAuthenticated)
			} else {
				// A signed-cookie session lives in the cookie: logout only
				// clears this browser's copy, and a saved copy stays valid
				// until it expires or the secret key changes.
				old.want(t, 200, `"test_user"`)
			}

			// Bad credentials: 401 and no cookie.
			bad := srv.do(t, "POST", "/api/auth/", `{"username":"test_user","password":"wrong"}`, jsonHeader)
			bad.want(t, 401, notAuthenticated)
			if len(bad.res.Cookies()) != 0 {
				t.Errorf("failed login set cookies: %q", bad.res.Header.Values("Set-Cookie"))
			}
		})
	}
}

// TestNotesAreper-user: each user sees only their own notes; the body is
// validated.
func TestNotesPerUser(t *testing.T) {
	srv := startServer(t, storeSetups[0].config(t), manage.Options{})
	srv.createUser(t, auth.NewUser{Username: "alice", Password: "a"})
	srv.createUser(t, auth.NewUser{Username: "bob", Password: "b"})
	login := func(name, pw string) (sid, tok *http.Cookie) {
		e := srv.do(t, "POST", "/api/auth/", `{"username":"`+name+`","password":"`+pw+`"}`, nil)
		e.want(t, 200, "")
		return e.cookie("sessionid"), e.cookie("csrftoken")
	}
	as, at := login("alice", "a")
	bs, bt := login("bob", "b")
	post := func(sid, tok *http.Cookie, body string) exchange {
		return srv.do(t, "POST", "/api/notes/", body, withHeader(jsonHeader, "X-CSRFToken", tok.Value), sid, tok)
	}
	post(as, at, `{"text":"alice 1"}`).want(t, 201, `{"id":1,"text":"alice 1"}`)
	post(bs, bt, `{"text":"bob 1"}`).want(t, 201, `{"id":2,"text":"bob 1"}`)
	post(as, at, `{"text":"alice 2"}`).want(t, 201, `{"id":3,"text":"alice 2"}`)
	srv.do(t, "GET", "/api/notes/", "", nil, as).want(t, 200, `[{"id":1,"text":"alice 1"},{"id":3,"text":"alice 2"}]`)
	srv.do(t, "GET", "/api/notes/", "", nil, bs).want(t, 200, `[{"id":2,"text":"bob 1"}]`)

	post(as, at, `{"text":""}`).want(t, 400, `{"detail":[{"msg":"String should have at least 1 character","loc":["parsed_body","text"],"type":"value_error"}]}`)
	post(as, at, `{"text":"`+strings.Repeat("é", 1001)+`"}`).want(t, 400, `{"detail":[{"msg":"String should have at most 1000 characters","loc":["parsed_body","text"],"type":"value_error"}]}`)
	post(as, at, `{"text":"`+strings.Repeat("é", 1000)+`"}`).want(t, 201, "")
	post(as, at, `{}`).want(t, 400, `{"detail":[{"msg":"Field required","loc":["parsed_body","text"],"type":"value_error"}]}`)
	srv.do(t, "GET", "/api/notes/", "", nil).want(t, 401, notAuthenticated)
}

// TestStaffOnly: the staff check through HTTP; it never skips CSRF.
func TestStaffOnly(t *testing.T) {
	srv := startServer(t, storeSetups[0].config(t), manage.Options{})
	srv.createUser(t, auth.NewUser{Username: "user", Password: "u"})
	srv.createUser(t, auth.NewUser{Username: "staff", Password: "s", IsStaff: true})
	login := func(name, pw string) *http.Cookie {
		e := srv.do(t, "POST", "/api/auth/", `{"username":"`+name+`","password":"`+pw+`"}`, nil)
		e.want(t, 200, "")
		return e.cookie("sessionid")
	}
	srv.do(t, "GET", "/api/staff/", "", nil).want(t, 401, notAuthenticated)
	srv.do(t, "GET", "/api/staff/", "", nil, login("user", "u")).want(t, 403, permissionDenied)
	srv.do(t, "GET", "/api/staff/", "", nil, login("staff", "s")).want(t, 200, `{"username":"staff","is_superuser":false}`)
}

// TestCSRFUseSessions: with DMR_CSRF_USE_SESSIONS the login sets only the
// session cookie; the token comes from GET /api/csrf/ and is checked against
// the session.
func TestCSRFUseSessions(t *testing.T) {
	for _, setup := range storeSetups {
		if setup.name != "db-sqlite" && setup.name != "signed_cookies" {
			continue
		}
		t.Run(setup.name, func(t *testing.T) {
			cfg := setup.config(t)
			cfg.CSRFUseSessions = true
			srv := startServer(t, cfg, manage.Options{})
			srv.createUser(t, auth.NewUser{Username: "test_user", Password: "password"})
			login := srv.do(t, "POST", "/api/auth/", seedLoginBody, jsonHeader)
			login.want(t, 200, `{"user_id":"1"}`)
			if n := len(login.res.Cookies()); n != 1 || login.cookie("sessionid") == nil {
				t.Fatalf("login cookies: %q, want only sessionid", login.res.Header.Values("Set-Cookie"))
			}
			sid := login.cookie("sessionid")
			note := `{"text":"n"}`
			srv.do(t, "POST", "/api/notes/", note, jsonHeader, sid).want(t, 403, tokenMissing)
			tok := srv.do(t, "GET", "/api/csrf/", "", nil, sid)
			tok.want(t, 200, "")
			if tok.cookie("csrftoken") != nil {
				t.Errorf("GET /api/csrf/ set a csrftoken cookie under CSRF_USE_SESSIONS")
			}
			var body struct{ Csrftoken string }
			if err := json.Unmarshal([]byte(tok.body), &body); err != nil || len(body.Csrftoken) != 64 {
				t.Fatalf("csrf token body %q: %v", tok.body, err)
			}
			if c := tok.cookie("sessionid"); c != nil {
				sid = c // signed cookies: the secret lives in the new cookie
			}
			srv.do(t, "POST", "/api/notes/", note, withHeader(jsonHeader, "X-CSRFToken", body.Csrftoken), sid).want(t, 201, `{"id":1,"text":"n"}`)
		})
	}
}

// TestCustomCookieNames: cookie names set by the application reach the
// cookies and the document's security schemes.
func TestCustomCookieNames(t *testing.T) {
	var opts manage.Options
	opts.Sessions.CookieName = "api_session"
	opts.CSRF.CookieName = "api_csrf"
	srv := startServer(t, storeSetups[0].config(t), opts)
	srv.createUser(t, auth.NewUser{Username: "test_user", Password: "password"})
	login := srv.do(t, "POST", "/api/auth/", seedLoginBody, jsonHeader)
	login.want(t, 200, `{"user_id":"1"}`)
	sid, tok := login.cookie("api_session"), login.cookie("api_csrf")
	checkCookie(t, sid, "api_session", 1209600, true)
	checkCookie(t, tok, "api_csrf", 31449600, false)
	srv.do(t, "GET", "/api/apicontroller/", "", nil, sid).want(t, 200, `"test_user"`)
	srv.do(t, "POST", "/api/notes/", `{"text":"x"}`, withHeader(jsonHeader, "X-CSRFToken", tok.Value), sid, tok).want(t, 201, "")

	doc := srv.do(t, "GET", "/api/openapi.json", "", nil)
	doc.want(t, 200, "")
	m := decode(t, []byte(doc.body))
	if got := dig(m, "components", "securitySchemes", "django_session", "name"); got != "api_session" {
		t.Errorf("django_session scheme cookie = %v", got)
	}
	if got := dig(m, "components", "securitySchemes", "csrf", "name"); got != "api_csrf" {
		t.Errorf("csrf scheme cookie = %v", got)
	}
	desc, _ := dig(m, "paths", "/api/auth/", "post", "responses", "200", "headers", "Set-Cookie", "description").(string)
	if !strings.Contains(desc, "api_session") || !strings.Contains(desc, "api_csrf") {
		t.Errorf("login Set-Cookie header %q does not name api_session and api_csrf", desc)
	}
}

// TestDocsPage: the docs page and the document are served, with the security
// headers like every other response.
func TestDocsPage(t *testing.T) {
	srv := startServer(t, sqliteConfig(t), manage.Options{})
	page := srv.do(t, "GET", "/docs/", "", nil)
	page.want(t, 200, "")
	if ct := page.res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("docs page Content-Type %q", ct)
	}
	if page.res.Header.Get("Content-Security-Policy") == "" {
		t.Error("docs page has no Content-Security-Policy")
	}
	checkSecurityHeaders(t, page)
	doc := srv.do(t, "GET", "/api/openapi.json", "", nil)
	doc.want(t, 200, "")
	checkSecurityHeaders(t, doc)
	if m := decode(t, []byte(doc.body)); m["openapi"] != "3.2.0" {
		t.Errorf("served document version %v", m["openapi"])
	}
	srv.do(t, "GET", "/api/nowhere/", "", nil).want(t, 404, "")
}

// TestDocsPageOffline: with DMR_DOCS_ASSETS the page serves the pinned
// swagger-ui-dist itself instead of pointing at the CDN.
func TestDocsPageOffline(t *testing.T) {
	dir := os.Getenv("DMR_NPM_CACHE")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache", "dmr", "npm")
	}
	dir = filepath.Join(dir, "node_modules", "swagger-ui-dist")
	_, err := os.Stat(filepath.Join(dir, "swagger-ui-bundle.js"))
	testenv.Require(t, "swagger-ui-dist@"+dmr.SwaggerUIVersion+" (scripts/docs-assets.sh)", err == nil, fmt.Sprint(err))
	cfg := sqliteConfig(t)
	cfg.DocsAssetsDir = dir
	srv := startServer(t, cfg, manage.Options{})
	page := srv.do(t, "GET", "/docs/", "", nil)
	page.want(t, 200, "")
	if strings.Contains(page.body, "cdn.jsdelivr.net") {
		t.Error("offline docs page still references the CDN")
	}
	srv.do(t, "GET", "/docs/swagger-ui-bundle.js", "", nil).want(t, 200, "")
}

// TestLoginRefusesForms: a cross-site HTML form can send text/plain or
// form-encoded bodies without a preflight; the login accepts JSON only.
func TestLoginRefusesForms(t *testing.T) {
	srv := startServer(t, sqliteConfig(t), manage.Options{})
	srv.createUser(t, auth.NewUser{Username: "test_user", Password: "password"})
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded"} {
		e := srv.do(t, "POST", "/api/auth/", seedLoginBody, http.Header{"Content-Type": {ct}})
		e.want(t, 400, "")
		if len(e.res.Cookies()) != 0 {
			t.Errorf("%s login set cookies", ct)
		}
	}
	// A client that sends no Content-Type at all is read as JSON.
	srv.do(t, "POST", "/api/auth/", seedLoginBody, nil).want(t, 200, `{"user_id":"1"}`)
}

// TestTrustedOrigins: DMR_CSRF_TRUSTED_ORIGINS admits another origin (with
// Django's *. wildcard) for login and unsafe requests; the scheme must match.
func TestTrustedOrigins(t *testing.T) {
	cfg := sqliteConfig(t)
	cfg.CSRFTrustedOrigins = []string{"https://*.example.com"}
	srv := startServer(t, cfg, manage.Options{})
	srv.createUser(t, auth.NewUser{Username: "test_user", Password: "password"})
	login := srv.do(t, "POST", "/api/auth/", seedLoginBody, withHeader(jsonHeader, "Origin", "https://app.example.com"))
	login.want(t, 200, `{"user_id":"1"}`)
	sid, tok := login.cookie("sessionid"), login.cookie("csrftoken")
	h := withHeader(withHeader(jsonHeader, "X-CSRFToken", tok.Value), "Origin", "https://example.com")
	srv.do(t, "POST", "/api/notes/", `{"text":"x"}`, h, sid, tok).want(t, 201, "")
	h.Set("Origin", "http://app.example.com")
	srv.do(t, "POST", "/api/notes/", `{"text":"x"}`, h, sid, tok).
		want(t, 403, `{"detail":[{"msg":"CSRF Failed: Origin checking failed - http://app.example.com does not match any trusted origins."}]}`)
}

// TestWithTestClient: the test client against the example, as the guide
// shows it: LoginAs without a password, the token sent automatically.
func TestWithTestClient(t *testing.T) {
	for _, useSessions := range []bool{false, true} {
		cfg := sqliteConfig(t)
		cfg.CSRFUseSessions = useSessions
		srv := startServer(t, cfg, manage.Options{})
		ctx := t.Context()
		u := srv.createUser(t, auth.NewUser{Username: "ann", Password: "x"})
		c := testclient.New(srv.Config.Handler, testclient.Options{Sessions: srv.env.Sessions, Auth: srv.env.Auth, CSRFUseSessions: useSessions})
		if err := c.LoginAs(ctx, u); err != nil {
			t.Fatal(err)
		}
		res, err := c.Post(ctx, "/api/notes/", map[string]string{"text": "hi"})
		if err != nil || res.StatusCode != 201 || string(res.Body) != `{"id":1,"text":"hi"}` {
			t.Fatalf("CSRF_USE_SESSIONS=%v: POST /api/notes/: %v %v", useSessions, res, err)
		}
		var name string
		if _, err := c.GetJSON(ctx, "/api/apicontroller/", &name); err != nil || name != "ann" {
			t.Fatalf("GET: %q %v", name, err)
		}
	}
}

// TestSecretKeyFallbacks: after a key rotation, sessions signed with the old
// key keep working while it is listed in DMR_SECRET_KEY_FALLBACKS, and end
// once it is dropped.
func TestSecretKeyFallbacks(t *testing.T) {
	for _, store := range []manage.StoreKind{manage.StoreDB, manage.StoreSignedCookies} {
		t.Run(string(store), func(t *testing.T) {
			cfg := sqliteConfig(t)
			cfg.SessionStore = store
			old := startServer(t, cfg, manage.Options{})
			old.createUser(t, auth.NewUser{Username: "test_user", Password: "password"})
			login := old.do(t, "POST", "/api/auth/", seedLoginBody, jsonHeader)
			login.want(t, 200, `{"user_id":"1"}`)
			sid := login.cookie("sessionid")

			rotated := cfg
			rotated.SecretKey = "a-brand-new-secret-key-after-rotation-0123456789abc"
			rotated.SecretKeyFallbacks = []string{cfg.SecretKey}
			srv := startServer(t, rotated, manage.Options{})
			srv.do(t, "GET", "/api/apicontroller/", "", nil, sid).want(t, 200, `"test_user"`)

			rotated.SecretKeyFallbacks = nil
			srv = startServer(t, rotated, manage.Options{})
			srv.do(t, "GET", "/api/apicontroller/", "", nil, sid).want(t, 401, notAuthenticated)
		})
	}
}
