package auth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/dmr-go/dmr/auth/hashers"
	"github.com/dmr-go/dmr/csrf"
	"github.com/dmr-go/dmr/sessions"
)

const testSK = "django-insecure-test-secret-key-0123456789abcdefghijklmnopqrstuv"

// cheapHashers keeps tests fast: PBKDF2 with 2 iterations.
func cheapHashers() *hashers.Hashers {
	return &hashers.Hashers{List: []hashers.Hasher{&hashers.PBKDF2{Iterations: 2}, hashers.MD5{}}}
}

// env is a server stack: sessions (memory store) → CSRF state → auth.
type env struct {
	t     *testing.T
	a     *Auth
	users *MemoryUsers
	store *sessions.MemoryStore
	wrap  func(http.Handler) http.Handler
}

func newEnv(t *testing.T, o Options) *env {
	t.Helper()
	e := &env{t: t, users: &MemoryUsers{}, store: &sessions.MemoryStore{}}
	if o.SecretKey == nil {
		o.SecretKey = []byte(testSK)
	}
	if o.Users == nil {
		o.Users = e.users
	}
	if o.Hashers == nil {
		o.Hashers = cheapHashers()
	}
	a, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	e.a = a
	sm, err := sessions.NewMiddleware(sessions.Options{Store: e.store})
	if err != nil {
		t.Fatal(err)
	}
	p, err := csrf.New(csrf.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e.wrap = func(h http.Handler) http.Handler { return sm.Handler(p.Middleware(a.Middleware(h))) }
	return e
}

// browser is a cookie jar.
type browser map[string]string

// do runs f inside the stack for a request carrying b's cookies, then stores
// the response's cookies in b.
func (e *env) do(b browser, f func(ctx context.Context)) *http.Response {
	e.t.Helper()
	r := httptest.NewRequest("GET", "http://example.com/", nil)
	for k, v := range b {
		r.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	w := httptest.NewRecorder()
	e.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f(r.Context())
		w.WriteHeader(200)
	})).ServeHTTP(w, r)
	res := w.Result()
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 {
			delete(b, c.Name)
		} else {
			b[c.Name] = c.Value
		}
	}
	return res
}

func (e *env) mustCreate(username, password string, mod func(*NewUser)) *User {
	e.t.Helper()
	nu := NewUser{Username: username, Password: password}
	if mod != nil {
		mod(&nu)
	}
	u, err := e.a.CreateUser(context.Background(), nu)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// login authenticates and logs in, failing the test on any error.
func (e *env) login(b browser, username, password string) {
	e.t.Helper()
	e.do(b, func(ctx context.Context) {
		u, err := e.a.Authenticate(ctx, Credentials{"username": username, "password": password})
		if err != nil || u == nil {
			e.t.Fatalf("Authenticate(%s) = %v, %v", username, u, err)
		}
		if err := e.a.Login(ctx, u); err != nil {
			e.t.Fatal(err)
		}
	})
}

// current returns the user a request from b sees.
func (e *env) current(b browser) *User {
	e.t.Helper()
	var u *User
	e.do(b, func(ctx context.Context) {
		var err error
		if u, err = CurrentUser(ctx); err != nil {
			e.t.Fatal(err)
		}
	})
	return u
}

func (e *env) stored(key string) (sessions.Record, bool) {
	r, err := e.store.Load(context.Background(), key)
	return r, err == nil
}

// countingHasher wraps a Hasher and counts its work.
type countingHasher struct {
	hashers.Hasher
	encodes, verifies atomic.Int32
}

func (c *countingHasher) Encode(pw, salt string) (string, error) {
	c.encodes.Add(1)
	return c.Hasher.Encode(pw, salt)
}

func (c *countingHasher) Verify(pw, enc string) (bool, error) {
	c.verifies.Add(1)
	return c.Hasher.Verify(pw, enc)
}
