package testclient_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/hashers"
	"github.com/dmr-go/dmr/csrf"
	"github.com/dmr-go/dmr/sessions"
	"github.com/dmr-go/dmr/testclient"
)

// app is a tiny application: GET /me answers the username, POST /me checks
// CSRF (for logged-in users) and answers "ok".
type app struct {
	sessions *sessions.Middleware
	auth     *auth.Auth
	csrf     *csrf.Protector
	handler  http.Handler
	user     *auth.User
}

func newApp(t testing.TB, useSessions bool) *app {
	fatal := func(err error) {
		if t == nil {
			panic(err)
		}
		t.Helper()
		t.Fatal(err)
	}
	ctx := context.Background()
	sm, err := sessions.NewMiddleware(sessions.Options{Store: &sessions.MemoryStore{}})
	if err != nil {
		fatal(err)
	}
	users := &auth.MemoryUsers{}
	fast := &hashers.Hashers{List: []hashers.Hasher{&hashers.PBKDF2{Iterations: 1000}}}
	a, err := auth.New(auth.Options{SecretKey: []byte("test-secret"), Users: users, Hashers: fast})
	if err != nil {
		fatal(err)
	}
	co := csrf.Options{UseSessions: useSessions}
	if useSessions {
		co.Session = func(r *http.Request) csrf.SessionValues {
			if s := sessions.FromContext(r.Context()); s != nil {
				return s
			}
			return nil
		}
	}
	p, err := csrf.New(co)
	if err != nil {
		fatal(err)
	}
	u, err := a.CreateUser(ctx, auth.NewUser{Username: "alice", Password: "pw"})
	if err != nil {
		fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/me", func(w http.ResponseWriter, r *http.Request) {
		u := auth.UserFromContext(r.Context())
		if !u.IsAuthenticated() {
			http.Error(w, "anonymous", http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodPost {
			if err := p.Check(r); err != nil {
				http.Error(w, err.Error(), http.StatusForbidden)
				return
			}
		}
		fmt.Fprint(w, u.Username)
	})
	h := sm.Handler(p.Middleware(a.Middleware(mux)))
	return &app{sessions: sm, auth: a, csrf: p, handler: h, user: u}
}

func TestLoginAs(t *testing.T) {
	for _, useSessions := range []bool{false, true} {
		t.Run(fmt.Sprint("CSRF_USE_SESSIONS=", useSessions), func(t *testing.T) {
			ctx := context.Background()
			a := newApp(t, useSessions)
			c := testclient.New(a.handler, testclient.Options{Sessions: a.sessions, Auth: a.auth, CSRFUseSessions: useSessions})
			res, err := c.Get(ctx, "/me")
			if err != nil || res.StatusCode != http.StatusUnauthorized {
				t.Fatalf("before login: %v %v", res, err)
			}
			if err := c.LoginAs(ctx, a.user); err != nil {
				t.Fatal(err)
			}
			if _, ok := c.Cookie("sessionid"); !ok {
				t.Fatal("no session cookie after LoginAs")
			}
			if _, ok := c.Cookie("csrftoken"); ok == useSessions {
				t.Fatalf("csrftoken cookie present = %v with CSRF_USE_SESSIONS=%v", ok, useSessions)
			}
			res, err = c.Get(ctx, "/me")
			if err != nil || res.StatusCode != 200 || string(res.Body) != "alice" {
				t.Fatalf("after login: %v %v", res, err)
			}
			// The token is sent automatically on unsafe methods.
			res, err = c.Post(ctx, "/me", map[string]string{})
			if err != nil || res.StatusCode != 200 {
				t.Fatalf("POST with token: %v %v", res, err)
			}
			// An explicit header is left alone: empty means no token.
			res, err = c.Request(ctx, "POST", "/me", nil, http.Header{"X-CSRFToken": {""}})
			if err != nil || res.StatusCode != http.StatusForbidden {
				t.Fatalf("POST without token: %v %v", res, err)
			}
		})
	}
}

func TestLoginAsNeedsConfiguration(t *testing.T) {
	c := testclient.New(http.NotFoundHandler(), testclient.Options{})
	if err := c.LoginAs(context.Background(), &auth.User{ID: "1"}); err == nil {
		t.Fatal("LoginAs without Sessions/Auth succeeded")
	}
}

func TestDialAndHTTPS(t *testing.T) {
	ctx := context.Background()
	var sawTLS bool
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawTLS = r.TLS != nil
		http.SetCookie(w, &http.Cookie{Name: "csrftoken", Value: "tok", Path: "/", Secure: true})
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"header":%q}`, r.Header.Get("X-CSRFToken"))
	})
	c := testclient.New(h, testclient.Options{BaseURL: "https://example.test"})
	var out struct{ Header string }
	if _, err := c.GetJSON(ctx, "/", &out); err != nil || !sawTLS || out.Header != "" {
		t.Fatalf("GET over https: %v tls=%v %+v", err, sawTLS, out)
	}
	if _, err := c.PostJSON(ctx, "/", map[string]int{"a": 1}, &out); err != nil || out.Header != "tok" {
		t.Fatalf("POST sends the Secure cookie's token: %v %+v", err, out)
	}

	srv := httptest.NewServer(h)
	defer srv.Close()
	d, err := testclient.Dial(srv.URL, testclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.GetJSON(ctx, "/", &out); err != nil {
		t.Fatal(err)
	}
	if _, err := testclient.Dial("ftp://x", testclient.Options{}); err == nil {
		t.Fatal("Dial accepted an ftp URL")
	}
}

func TestErrorStatus(t *testing.T) {
	c := testclient.New(http.NotFoundHandler(), testclient.Options{})
	res, err := c.GetJSON(context.Background(), "/nope", nil)
	if err == nil || res == nil || res.StatusCode != 404 {
		t.Fatalf("got %v, %v", res, err)
	}
}
