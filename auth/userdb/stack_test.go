package userdb

import (
	"context"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/hashers"
	"github.com/dmr-go/dmr/sessions"
	"github.com/dmr-go/dmr/sessions/dbstore"
	"github.com/dmr-go/dmr/sqldb"
)

const secretKey = "django-insecure-test-secret-key-0123456789abcdefghijklmnopqrstuv"

// stack is sessions in django_session and users in auth_user, in one SQLite
// database, behind the session and auth middlewares.
type stack struct {
	a       *auth.Auth
	handler http.Handler
	users   *Store
}

func newStack(t testing.TB, h func(w http.ResponseWriter, r *http.Request)) *stack {
	t.Helper()
	ctx := context.Background()
	db := openSQLite(t)
	codec, err := sessions.NewCodec(sessions.CodecOptions{SecretKey: []byte(secretKey)})
	if err != nil {
		t.Fatal(err)
	}
	sstore, err := dbstore.New(sqldb.New(db, sqldb.SQLite), dbstore.Options{Codec: codec})
	if err != nil {
		t.Fatal(err)
	}
	users, err := New(sqldb.New(db, sqldb.SQLite))
	if err != nil {
		t.Fatal(err)
	}
	if err := sstore.CreateTables(ctx); err != nil {
		t.Fatal(err)
	}
	if err := users.CreateTables(ctx); err != nil {
		t.Fatal(err)
	}
	a, err := auth.New(auth.Options{SecretKey: []byte(secretKey), Users: users,
		Hashers: &hashers.Hashers{List: []hashers.Hasher{&hashers.PBKDF2{Iterations: 2}}}})
	if err != nil {
		t.Fatal(err)
	}
	sm, err := sessions.NewMiddleware(sessions.Options{Store: sstore})
	if err != nil {
		t.Fatal(err)
	}
	return &stack{a: a, users: users, handler: sm.Handler(a.Middleware(http.HandlerFunc(h)))}
}

func (s *stack) serve(cookie string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", "/", nil)
	if cookie != "" {
		r.AddCookie(&http.Cookie{Name: "sessionid", Value: cookie})
	}
	w := httptest.NewRecorder()
	s.handler.ServeHTTP(w, r)
	return w
}

func sessionCookie(w *httptest.ResponseRecorder) string {
	for _, c := range w.Result().Cookies() {
		if c.Name == "sessionid" {
			return c.Value
		}
	}
	return ""
}

// TestLoginOnSQLite runs login, the current user and logout with both
// tables in SQLite.
func TestLoginOnSQLite(t *testing.T) {
	var mode string
	var seen *auth.User
	var s *stack
	s = newStack(t, func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		switch mode {
		case "login":
			u, err := s.a.Authenticate(ctx, auth.Credentials{"username": "alice", "password": "pw"})
			if err != nil || u == nil {
				t.Fatalf("Authenticate: %v %v", u, err)
			}
			if err := s.a.Login(ctx, u); err != nil {
				t.Fatal(err)
			}
		case "logout":
			if err := s.a.Logout(ctx); err != nil {
				t.Fatal(err)
			}
		}
		seen = auth.UserFromContext(ctx)
		w.WriteHeader(204)
	})
	if _, err := s.a.CreateUser(context.Background(), auth.NewUser{Username: "alice", Password: "pw"}); err != nil {
		t.Fatal(err)
	}
	mode = "login"
	cookie := sessionCookie(s.serve(""))
	if cookie == "" || seen.Username != "alice" {
		t.Fatalf("login: cookie %q, user %v", cookie, seen)
	}
	mode = ""
	s.serve(cookie)
	if seen.Username != "alice" {
		t.Fatalf("next request: %v", seen)
	}
	u, _ := s.users.UserByUsername(context.Background(), "alice")
	if u.LastLogin == nil {
		t.Error("last_login not stored")
	}
	mode = "logout"
	s.serve(cookie)
	mode = ""
	s.serve(cookie)
	if seen.IsAuthenticated() {
		t.Error("still logged in after logout")
	}
}

// BenchmarkCurrentUserSQLite measures a request that loads the logged-in
// user: the session row (signed JSON) and the auth_user row from SQLite,
// and the session auth hash check.
func BenchmarkCurrentUserSQLite(b *testing.B) {
	var s *stack
	login := true
	s = newStack(b, func(w http.ResponseWriter, r *http.Request) {
		if login {
			u, _ := s.a.Authenticate(r.Context(), auth.Credentials{"username": "alice", "password": "pw"})
			if err := s.a.Login(r.Context(), u); err != nil {
				b.Fatal(err)
			}
		} else if !auth.UserFromContext(r.Context()).IsAuthenticated() {
			b.Fatal("anonymous")
		}
		w.WriteHeader(204)
	})
	if _, err := s.a.CreateUser(context.Background(), auth.NewUser{Username: "alice", Password: "pw"}); err != nil {
		b.Fatal(err)
	}
	cookie := sessionCookie(s.serve(""))
	login = false
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: "sessionid", Value: cookie})
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		w := httptest.NewRecorder()
		s.handler.ServeHTTP(w, r)
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e3, "cpu-µs/op")
}

// cpuTime is the process's user+system CPU time, reported next to wall
// time, which a busy machine inflates.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
