package csrf

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dmr-go/dmr/commit"
)

var fixedNow = time.Date(2026, 11, 25, 18, 14, 40, 0, time.UTC)

func newFixed(t *testing.T, o Options) *Protector {
	p := mustNew(t, o)
	p.now = func() time.Time { return fixedNow }
	return p
}

// serve runs h behind p.Middleware and returns the recorder.
func serve(p *Protector, r *http.Request, h http.HandlerFunc) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	p.Middleware(h).ServeHTTP(w, r)
	return w
}

func csrfCookie(t *testing.T, w *httptest.ResponseRecorder) (value string, n int) {
	t.Helper()
	for _, line := range w.Result().Header.Values("Set-Cookie") {
		if strings.HasPrefix(line, "csrftoken=") {
			n++
			value, _, _ = strings.Cut(strings.TrimPrefix(line, "csrftoken="), ";")
		}
	}
	return value, n
}

func TestCookieFormat(t *testing.T) {
	p := newFixed(t, Options{})
	if got, want := p.cookie("xzAGcVRV2GnK11nxP7URA3jX42nmhmC2", fixedNow.Add(-31449600*time.Second)),
		"csrftoken=xzAGcVRV2GnK11nxP7URA3jX42nmhmC2; expires=Wed, 25 Nov 2026 18:14:40 GMT; Max-Age=31449600; Path=/; SameSite=Lax"; got != want {
		t.Errorf("default cookie\n got %s\nwant %s", got, want)
	}
	p = newFixed(t, Options{CookieName: "c", CookieDomain: ".example.com", CookiePath: "/app", CookieSecure: true, CookieHTTPOnly: true, CookieSameSite: http.SameSiteStrictMode, CookieMaxAge: 60})
	if got, want := p.cookie("v", fixedNow),
		"c=v; Domain=.example.com; expires=Wed, 25 Nov 2026 18:15:40 GMT; HttpOnly; Max-Age=60; Path=/app; SameSite=Strict; Secure"; got != want {
		t.Errorf("all attributes\n got %s\nwant %s", got, want)
	}
	p = newFixed(t, Options{CookieMaxAge: -1, CookieSameSite: http.SameSiteDefaultMode})
	if got, want := p.cookie("v", fixedNow), "csrftoken=v; Path=/"; got != want {
		t.Errorf("session cookie\n got %s\nwant %s", got, want)
	}
}

func TestCookieEmission(t *testing.T) {
	p := newFixed(t, Options{})
	cases := []struct {
		name       string
		cookie     string
		handler    func(t *testing.T, r *http.Request)
		wantCookie bool
		wantValue  string // "" = any new secret
	}{
		{"token not used: nothing sent", testSecret, func(*testing.T, *http.Request) {}, false, ""},
		{"no cookie, not used: nothing sent", "", func(*testing.T, *http.Request) {}, false, ""},
		{"get_token re-sends the same secret", testSecret, func(t *testing.T, r *http.Request) { getToken(t, r) }, true, testSecret},
		{"get_token unmasks a 64-char cookie", testMasked, func(t *testing.T, r *http.Request) { getToken(t, r) }, true, testSecret},
		{"get_token without cookie creates one", "", func(t *testing.T, r *http.Request) { getToken(t, r) }, true, ""},
		{"malformed cookie is replaced", "abc", func(*testing.T, *http.Request) {}, true, ""},
		{"rotate", testSecret, func(t *testing.T, r *http.Request) { rotate(t, r) }, true, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			if tc.cookie != "" {
				r.Header.Set("Cookie", "csrftoken="+tc.cookie)
			}
			w := serve(p, r, func(w http.ResponseWriter, r *http.Request) {
				tc.handler(t, r)
				_, _ = w.Write([]byte("ok"))
			})
			v, n := csrfCookie(t, w)
			if !tc.wantCookie {
				if n != 0 || w.Header().Get("Vary") != "" {
					t.Errorf("cookie sent: %v", w.Header())
				}
				return
			}
			if n != 1 {
				t.Fatalf("%d csrftoken cookies: %v", n, w.Header())
			}
			if tc.wantValue != "" && v != tc.wantValue {
				t.Errorf("cookie %q, want %q", v, tc.wantValue)
			}
			if tc.wantValue == "" && (len(v) != SecretLength || v == testSecret || strings.Trim(v, AllowedChars) != "") {
				t.Errorf("cookie %q is not a new secret", v)
			}
			if got := w.Header().Get("Vary"); got != "Cookie" {
				t.Errorf("Vary %q", got)
			}
			if !strings.HasSuffix(w.Header().Get("Set-Cookie"), "; expires=Wed, 24 Nov 2027 18:14:40 GMT; Max-Age=31449600; Path=/; SameSite=Lax") {
				t.Errorf("Set-Cookie %q", w.Header().Get("Set-Cookie"))
			}
		})
	}
}

func getToken(t *testing.T, r *http.Request) string {
	t.Helper()
	tok, err := GetToken(r.Context())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func rotate(t *testing.T, r *http.Request) {
	t.Helper()
	if err := RotateToken(r.Context()); err != nil {
		t.Fatal(err)
	}
}

// Tokens handed out in a response work against the cookie sent with it.
func TestTokensMatchCookie(t *testing.T) {
	p := newFixed(t, Options{})
	var t1, t2 string
	w := serve(p, httptest.NewRequest("GET", "/", nil), func(w http.ResponseWriter, r *http.Request) {
		t1, t2 = getToken(t, r), getToken(t, r)
	})
	secret, _ := csrfCookie(t, w)
	if t1 == t2 {
		t.Error("two GetToken calls returned the same masked token")
	}
	for _, tok := range []string{t1, t2} {
		r := req{cookie: secret, header: map[string]string{"X-CSRFToken": tok}}.build()
		if err := p.Check(r); err != nil {
			t.Errorf("token %s: %v", tok, err)
		}
	}
}

// Django's test_rotate_token_triggers_second_reset: after two rotations the
// cookie holds the second secret, and tokens from before are stale.
func TestRotateTwice(t *testing.T) {
	p := newFixed(t, Options{})
	r := httptest.NewRequest("POST", "/", nil)
	r.Host = "testserver"
	r.Header.Set("Cookie", "csrftoken="+testSecret)
	r.Header.Set("X-CSRFToken", testMasked)
	var before, after1, after2 string
	var checkErr error
	w := serve(p, r, func(w http.ResponseWriter, r *http.Request) {
		before = getToken(t, r)
		rotate(t, r)
		after1 = getToken(t, r)
		rotate(t, r)
		after2 = getToken(t, r)
		checkErr = p.Check(r) // still the incoming secret
	})
	if checkErr != nil {
		t.Errorf("check after rotation: %v", checkErr)
	}
	v, n := csrfCookie(t, w)
	if n != 1 {
		t.Fatalf("%d cookies", n)
	}
	s0, _ := Unmask(before)
	s1, _ := Unmask(after1)
	s2, _ := Unmask(after2)
	if s0 != testSecret || s1 == s0 || s2 == s1 || s2 == s0 || v != s2 {
		t.Errorf("secrets %s → %s → %s, cookie %s", s0, s1, s2, v)
	}
}

func TestUseSessionsMiddleware(t *testing.T) {
	sess := fakeSession{}
	p := newFixed(t, Options{UseSessions: true, Session: func(*http.Request) SessionValues { return sess }})
	// Unused: nothing stored.
	w := serve(p, httptest.NewRequest("GET", "/", nil), func(http.ResponseWriter, *http.Request) {})
	if len(sess) != 0 || len(w.Header().Values("Set-Cookie")) != 0 {
		t.Fatalf("unused token stored: %v %v", sess, w.Header())
	}
	// Used: stored in the session, no cookie.
	var tok string
	w = serve(p, httptest.NewRequest("GET", "/", nil), func(w http.ResponseWriter, r *http.Request) { tok = getToken(t, r) })
	secret, _ := Unmask(tok)
	if sess[SessionKey] != secret || len(w.Header().Values("Set-Cookie")) != 0 || w.Header().Get("Vary") != "" {
		t.Fatalf("session %v, header %v", sess, w.Header())
	}
	// Next request: the token passes the check.
	r := req{header: map[string]string{"X-CSRFToken": tok}}.build()
	if err := p.Check(r); err != nil {
		t.Errorf("check: %v", err)
	}
	// A Django ≤ 4.0 masked value is unmasked and re-stored only when used.
	sess[SessionKey] = testMasked
	serve(p, httptest.NewRequest("GET", "/", nil), func(http.ResponseWriter, *http.Request) {})
	if sess[SessionKey] != testMasked {
		t.Errorf("unused masked session value rewritten: %v", sess[SessionKey])
	}
	serve(p, httptest.NewRequest("GET", "/", nil), func(w http.ResponseWriter, r *http.Request) { getToken(t, r) })
	if sess[SessionKey] != testSecret {
		t.Errorf("masked session value not replaced: %v", sess[SessionKey])
	}
	// Rotation at login reaches the session.
	serve(p, httptest.NewRequest("POST", "/login", nil), func(w http.ResponseWriter, r *http.Request) { rotate(t, r) })
	if v, _ := sess[SessionKey].(string); v == testSecret || len(v) != SecretLength {
		t.Errorf("rotation not stored: %v", sess[SessionKey])
	}
	// Missing session at commit time is an error (500).
	p2 := newFixed(t, Options{UseSessions: true, Session: func(*http.Request) SessionValues { return nil }})
	w = serve(p2, httptest.NewRequest("GET", "/", nil), func(w http.ResponseWriter, r *http.Request) { getToken(t, r) })
	if w.Code != 500 {
		t.Errorf("no session: status %d", w.Code)
	}
}

func TestVaryMerged(t *testing.T) {
	for _, tc := range []struct {
		before []string
		want   string
	}{
		{nil, "Cookie"},
		{[]string{"Accept-Language"}, "Accept-Language, Cookie"},
		{[]string{"Accept-Encoding", "Accept-Language"}, "Accept-Encoding, Accept-Language, Cookie"},
		{[]string{"accept-language, cookie"}, "accept-language, cookie"},
		{[]string{"*"}, "*"},
	} {
		h := http.Header{}
		for _, v := range tc.before {
			h.Add("Vary", v)
		}
		patchVaryCookie(h)
		if got := strings.Join(h.Values("Vary"), " | "); got != tc.want {
			t.Errorf("Vary %q → %q, want %q", tc.before, got, tc.want)
		}
	}
}

func TestTokenFunctionsWithoutState(t *testing.T) {
	if _, err := GetToken(context.Background()); !errors.Is(err, ErrNoMiddleware) {
		t.Errorf("GetToken: %v", err)
	}
	if err := RotateToken(context.Background()); !errors.Is(err, ErrNoMiddleware) {
		t.Errorf("RotateToken: %v", err)
	}
}

func TestChangesAfterCommit(t *testing.T) {
	var logs bytes.Buffer
	p := newFixed(t, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	var errRotate, errGet error
	serve(p, httptest.NewRequest("GET", "/", nil), func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(204)
		errRotate = RotateToken(r.Context())
		_, errGet = GetToken(r.Context())
	})
	if !errors.Is(errRotate, ErrCommitted) || !errors.Is(errGet, ErrCommitted) {
		t.Errorf("late changes: %v, %v", errRotate, errGet)
	}
	if !strings.Contains(logs.String(), "CSRF secret rotated") {
		t.Errorf("late change not logged: %s", logs.String())
	}
}

// Under an API layer that runs commit.Run itself, the cookie is written then.
func TestCommitRunByCaller(t *testing.T) {
	p := newFixed(t, Options{})
	var h http.Header
	w := httptest.NewRecorder()
	p.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		getToken(t, r)
		h = http.Header{}
		if err := commit.Run(r.Context(), h, 200); err != nil {
			t.Fatal(err)
		}
	})).ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if !strings.HasPrefix(h.Get("Set-Cookie"), "csrftoken=") {
		t.Errorf("commit.Run did not write the cookie: %v", h)
	}
	if len(w.Header().Values("Set-Cookie")) != 0 {
		t.Errorf("cookie written twice: %v", w.Header())
	}
}

func TestProtect(t *testing.T) {
	var logs bytes.Buffer
	p := newFixed(t, Options{
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Exempt: func(r *http.Request) bool { return r.URL.Path == "/webhook" },
	})
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := GetToken(r.Context()); err != nil {
			t.Errorf("GetToken in protected handler: %v", err)
		}
		_, _ = w.Write([]byte("done"))
	})
	h := p.Protect(ok)

	r := httptest.NewRequest("POST", "/form", nil)
	r.Header.Set("Accept", "text/html,*/*")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 403 || !strings.Contains(w.Body.String(), "CSRF verification failed. Request aborted.") || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
		t.Errorf("rejection: %d %q %v", w.Code, w.Body.String(), w.Header())
	}
	if !strings.Contains(logs.String(), "Forbidden (CSRF cookie not set.): /form") {
		t.Errorf("log: %s", logs.String())
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/form", nil))
	if w.Code != 403 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
		t.Errorf("plain rejection: %d %v", w.Code, w.Header())
	}

	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/webhook", nil))
	if w.Code != 200 || w.Body.String() != "done" {
		t.Errorf("exempt: %d %q", w.Code, w.Body.String())
	}

	r = req{cookie: testSecret, form: "csrfmiddlewaretoken=" + testMasked}.build()
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Errorf("valid form: %d %q", w.Code, w.Body.String())
	}
	if v, n := csrfCookie(t, w); n != 1 || v != testSecret {
		t.Errorf("cookie %q ×%d", v, n)
	}

	// Custom failure, and no second state when Middleware is already outside.
	var gotReason string
	p2 := newFixed(t, Options{Failure: func(w http.ResponseWriter, r *http.Request, err *RejectError) {
		gotReason = err.Reason
		w.WriteHeader(499)
	}})
	w = httptest.NewRecorder()
	p2.Middleware(p2.Protect(ok)).ServeHTTP(w, req{cookie: testSecret}.build())
	if w.Code != 499 || gotReason != ReasonCSRFTokenMissing {
		t.Errorf("custom failure: %d %q", w.Code, gotReason)
	}
}

// Handlers may call GetToken and RotateToken from several goroutines.
func TestTokenFunctionsConcurrent(t *testing.T) {
	p := newFixed(t, Options{})
	w := serve(p, httptest.NewRequest("GET", "/", nil), func(w http.ResponseWriter, r *http.Request) {
		done := make(chan struct{})
		for i := range 8 {
			go func() {
				defer func() { done <- struct{}{} }()
				if i%2 == 0 {
					_ = RotateToken(r.Context())
				} else {
					_, _ = GetToken(r.Context())
				}
			}()
		}
		for range 8 {
			<-done
		}
	})
	if _, n := csrfCookie(t, w); n != 1 {
		t.Errorf("%d cookies", n)
	}
}

func TestAccessors(t *testing.T) {
	p := mustNew(t, Options{HeaderName: "HTTP_X_XSRF_TOKEN", CookieName: "xsrf"})
	if p.CookieName() != "xsrf" || p.HeaderName() != "X-Xsrf-Token" || p.UseSessions() {
		t.Errorf("%q %q %v", p.CookieName(), p.HeaderName(), p.UseSessions())
	}
}
