package basicauth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/hashers"
	"github.com/dmr-go/dmr/auth/loginthrottle"
	"github.com/dmr-go/dmr/security"
	"github.com/dmr-go/dmr/security/basicauth"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestParseBasic(t *testing.T) {
	long := b64("u:" + strings.Repeat("p", basicauth.MaxEncodedLength))
	for _, tc := range []struct {
		name, in   string
		user, pass string
		err        error
	}{
		{"plain", "Basic " + b64("alice:secret"), "alice", "secret", nil},
		{"scheme case", "bAsIc " + b64("alice:secret"), "alice", "secret", nil},
		{"several spaces", "Basic   " + b64("alice:secret"), "alice", "secret", nil},
		{"trailing space", "Basic " + b64("alice:secret") + " ", "alice", "secret", nil},
		{"first colon splits", "Basic " + b64("alice:se:cr:et"), "alice", "se:cr:et", nil},
		{"empty password", "Basic " + b64("alice:"), "alice", "", nil},
		{"utf-8", "Basic " + b64("zoë:pässwörd"), "zoë", "pässwörd", nil},
		{"empty", "", "", "", basicauth.ErrNotBasic},
		{"bearer", "Bearer abc.def", "", "", basicauth.ErrNotBasic},
		{"token", "Token 0123456789", "", "", basicauth.ErrNotBasic},
		{"basic prefix of another scheme", "Basicfoo " + b64("a:b"), "", "", basicauth.ErrNotBasic},
		{"scheme only", "Basic", "", "", basicauth.ErrMalformed},
		{"scheme and space", "Basic ", "", "", basicauth.ErrMalformed},
		{"no colon", "Basic " + b64("alice"), "", "", basicauth.ErrMalformed},
		{"empty user", "Basic " + b64(":secret"), "", "", basicauth.ErrMalformed},
		{"bad base64", "Basic !!!", "", "", basicauth.ErrMalformed},
		{"missing padding", "Basic " + strings.TrimRight(b64("alice:secre"), "="), "", "", basicauth.ErrMalformed},
		{"base64url alphabet", "Basic " + strings.NewReplacer("+", "-", "/", "_").Replace(b64("a:\xfb\xff")), "", "", basicauth.ErrMalformed},
		{"auth-params", `Basic realm="x"`, "", "", basicauth.ErrMalformed},
		{"two tokens", "Basic " + b64("a:b") + " " + b64("c:d"), "", "", basicauth.ErrMalformed},
		{"control in password", "Basic " + b64("alice:se\x00cret"), "", "", basicauth.ErrMalformed},
		{"newline in user", "Basic " + b64("ali\nce:secret"), "", "", basicauth.ErrMalformed},
		{"C1 control", "Basic " + b64("alice:\u0085"), "", "", basicauth.ErrMalformed},
		{"invalid utf-8", "Basic " + b64("alice:\xff"), "", "", basicauth.ErrMalformed},
		{"too long", "Basic " + long, "", "", basicauth.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, p, err := basicauth.ParseBasic(tc.in)
			if err != tc.err || u != tc.user || p != tc.pass {
				t.Fatalf("ParseBasic(%q) = %q, %q, %v; want %q, %q, %v", tc.in, u, p, err, tc.user, tc.pass, tc.err)
			}
		})
	}
}

func FuzzParseBasic(f *testing.F) {
	for _, s := range []string{"Basic " + b64("alice:secret"), "basic " + b64("a:b:c"), "Basic", "Bearer x", "Basic ====", "Basic " + b64(":"), "Basic  " + b64("é:\x7f")} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		u, p, err := basicauth.ParseBasic(in)
		if err != nil {
			if err != basicauth.ErrNotBasic && err != basicauth.ErrMalformed {
				t.Fatalf("unexpected error %v", err)
			}
			if u != "" || p != "" {
				t.Fatal("credentials with an error")
			}
			return
		}
		if u == "" || strings.Contains(u, ":") {
			t.Fatalf("user-id %q", u)
		}
		// What parses round-trips.
		u2, p2, err := basicauth.ParseBasic(basicauth.Encode(u, p))
		if err != nil || u2 != u || p2 != p {
			t.Fatalf("round trip of %q, %q: %q, %q, %v", u, p, u2, p2, err)
		}
	})
}

// countingHasher counts password checks and new hashes.
type countingHasher struct {
	hashers.PBKDF2
	n atomic.Int64
}

func (c *countingHasher) Verify(pw, enc string) (bool, error) {
	c.n.Add(1)
	return c.PBKDF2.Verify(pw, enc)
}

func (c *countingHasher) Encode(pw, salt string) (string, error) {
	c.n.Add(1)
	return c.PBKDF2.Encode(pw, salt)
}

// switchUsers is a user store whose users can be deactivated.
type switchUsers struct {
	auth.MemoryUsers
	mu       sync.Mutex
	inactive map[string]bool
}

func (s *switchUsers) fix(u *auth.User, err error) (*auth.User, error) {
	if u != nil {
		s.mu.Lock()
		if s.inactive[u.ID] {
			u.IsActive = false
		}
		s.mu.Unlock()
	}
	return u, err
}

func (s *switchUsers) UserByID(ctx context.Context, id string) (*auth.User, error) {
	return s.fix(s.MemoryUsers.UserByID(ctx, id))
}

func (s *switchUsers) UserByUsername(ctx context.Context, n string) (*auth.User, error) {
	return s.fix(s.MemoryUsers.UserByUsername(ctx, n))
}

func (s *switchUsers) deactivate(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inactive == nil {
		s.inactive = map[string]bool{}
	}
	s.inactive[id] = true
}

type app struct {
	h      http.Handler
	api    *dmr.API
	a      *auth.Auth
	users  *switchUsers
	hasher *countingHasher
	alice  *auth.User
	ba     *basicauth.Auth
}

type whoami struct {
	Username string `json:"username"`
}

func newApp(t testing.TB, o basicauth.Options, hs *hashers.Hashers) *app {
	t.Helper()
	ap := &app{users: &switchUsers{}, hasher: &countingHasher{PBKDF2: hashers.PBKDF2{Iterations: 10}}}
	if hs == nil {
		hs = &hashers.Hashers{List: []hashers.Hasher{ap.hasher}}
	}
	var err error
	ap.a, err = auth.New(auth.Options{SecretKey: []byte("k"), Users: ap.users, Hashers: hs})
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := auth.New(auth.Options{SecretKey: []byte("k"), Users: ap.users,
		Hashers: &hashers.Hashers{List: []hashers.Hasher{&hashers.PBKDF2{Iterations: 10}}}})
	if ap.alice, err = plain.CreateUser(context.Background(), auth.NewUser{Username: "alice", Password: "right"}); err != nil {
		t.Fatal(err)
	}
	if _, err = plain.CreateUser(context.Background(), auth.NewUser{Username: "bob", Password: "right", Inactive: true}); err != nil {
		t.Fatal(err)
	}
	o.Auth = ap.a
	if ap.ba, err = basicauth.New(o); err != nil {
		t.Fatal(err)
	}
	ap.api = dmr.New(dmr.Config{Title: "T", Version: "1", Prefix: "/api"})
	c := ap.api.Controller(dmr.ControllerConfig{Name: "Me", Path: "/me/", Auth: []security.Auth{ap.ba}})
	dmr.Get(c, dmr.Operation{}, func(ctx context.Context, _ *struct{}) (*whoami, error) {
		u, err := auth.CurrentUser(ctx)
		if err != nil {
			return nil, err
		}
		return &whoami{Username: u.Username}, nil
	})
	dmr.Post(c, dmr.Operation{Status: 200}, func(ctx context.Context, _ *struct{}) (*whoami, error) {
		return &whoami{Username: auth.UserFromContext(ctx).Username}, nil
	})
	ap.h = ap.api
	return ap
}

func (ap *app) do(method string, authz ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "/api/me/", nil)
	for _, v := range authz {
		r.Header.Add("Authorization", v)
	}
	w := httptest.NewRecorder()
	ap.h.ServeHTTP(w, r)
	return w
}

const challenge = `Basic realm="api", charset="UTF-8"`

func TestAuthenticate(t *testing.T) {
	ap := newApp(t, basicauth.Options{}, nil)
	for _, tc := range []struct {
		name   string
		authz  []string
		status int
		user   string
	}{
		{"right", []string{basicauth.Encode("alice", "right")}, 200, "alice"},
		{"none", nil, 401, ""},
		{"other scheme", []string{"Bearer abc"}, 401, ""},
		{"wrong password", []string{basicauth.Encode("alice", "wrong")}, 401, ""},
		{"empty password", []string{basicauth.Encode("alice", "")}, 401, ""},
		{"unknown user", []string{basicauth.Encode("carol", "right")}, 401, ""},
		{"inactive user", []string{basicauth.Encode("bob", "right")}, 401, ""},
		{"case of the username", []string{basicauth.Encode("Alice", "right")}, 401, ""},
		{"malformed", []string{"Basic " + b64("alice")}, 401, ""},
		{"two Basic fields", []string{basicauth.Encode("alice", "right"), basicauth.Encode("alice", "right")}, 401, ""},
		{"Basic and Bearer", []string{"Bearer x", basicauth.Encode("alice", "right")}, 401, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, m := range []string{"GET", "POST"} { // no CSRF on unsafe methods
				w := ap.do(m, tc.authz...)
				if w.Code != tc.status {
					t.Fatalf("%s: %d %s", m, w.Code, w.Body)
				}
				if tc.status == 401 {
					if got := w.Header().Values("WWW-Authenticate"); len(got) != 1 || got[0] != challenge {
						t.Fatalf("%s: WWW-Authenticate %q", m, got)
					}
					if w.Body.String() != `{"detail":[{"msg":"Not authenticated","type":"security"}]}` {
						t.Fatalf("%s: body %s", m, w.Body)
					}
					continue
				}
				var got whoami
				if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || got.Username != tc.user {
					t.Fatalf("%s: %s", m, w.Body)
				}
				if w.Header().Get("Set-Cookie") != "" || w.Header().Get("WWW-Authenticate") != "" {
					t.Fatalf("%s: headers %q", m, w.Header())
				}
			}
		})
	}
}

// The verification cache: a repeated request hashes nothing, a password
// change or a deactivation takes effect at once, an entry expires after
// its TTL, and a disabled cache hashes every time.
func TestCache(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	ap := newApp(t, basicauth.Options{Cache: basicauth.CacheOptions{TTL: time.Minute, Now: clock}}, nil)
	ok := func(pw string, want int) {
		t.Helper()
		if w := ap.do("GET", basicauth.Encode("alice", pw)); w.Code != want {
			t.Fatalf("%s: %d %s", pw, w.Code, w.Body)
		}
	}
	ok("right", 200)
	n := ap.hasher.n.Load()
	for range 5 {
		ok("right", 200)
	}
	if got := ap.hasher.n.Load(); got != n {
		t.Fatalf("cached requests hashed %d times", got-n)
	}
	// A wrong password is never served from the cache.
	ok("wrong", 401)
	if ap.hasher.n.Load() == n {
		t.Fatal("a wrong password was not checked")
	}
	// After the TTL the password is checked again.
	n = ap.hasher.n.Load()
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	ok("right", 200)
	if ap.hasher.n.Load() == n {
		t.Fatal("an expired entry was served")
	}
	// A password change takes effect at once.
	u, _ := ap.a.UserByID(context.Background(), ap.alice.ID)
	if err := ap.a.SetPassword(context.Background(), u, "new"); err != nil {
		t.Fatal(err)
	}
	ok("right", 401)
	ok("new", 200)
	// So does a deactivation.
	ap.users.deactivate(ap.alice.ID)
	ok("new", 401)

	off := newApp(t, basicauth.Options{Cache: basicauth.CacheOptions{Disabled: true}}, nil)
	w := off.do("GET", basicauth.Encode("alice", "right"))
	n = off.hasher.n.Load()
	w = off.do("GET", basicauth.Encode("alice", "right"))
	if w.Code != 200 || off.hasher.n.Load() != n+1 {
		t.Fatalf("disabled cache: %d, %d hashes", w.Code, off.hasher.n.Load()-n)
	}
}

// gateHasher holds the only hashing slot until the gate opens.
type gateHasher struct {
	hashers.PBKDF2
	entered chan struct{}
	gate    chan struct{}
}

func (g *gateHasher) Verify(pw, enc string) (bool, error) {
	g.entered <- struct{}{}
	<-g.gate
	return g.PBKDF2.Verify(pw, enc)
}

// A saturated hashing pool answers 503 with Retry-After, as the login does.
func TestBusyHashing(t *testing.T) {
	g := &gateHasher{PBKDF2: hashers.PBKDF2{Iterations: 10}, entered: make(chan struct{}, 1), gate: make(chan struct{})}
	ap := newApp(t, basicauth.Options{}, &hashers.Hashers{List: []hashers.Hasher{g}, MaxConcurrent: 1, MaxWait: -1})
	var wg sync.WaitGroup
	var first *httptest.ResponseRecorder
	wg.Add(1)
	go func() { defer wg.Done(); first = ap.do("GET", basicauth.Encode("alice", "right")) }()
	<-g.entered
	second := ap.do("GET", basicauth.Encode("alice", "right"))
	close(g.gate)
	wg.Wait()
	if first.Code != 200 {
		t.Fatalf("first: %d %s", first.Code, first.Body)
	}
	if second.Code != http.StatusServiceUnavailable || second.Header().Get("Retry-After") == "" ||
		!strings.HasPrefix(second.Body.String(), `{"detail":[{"msg":`) {
		t.Fatalf("second: %d %q %s", second.Code, second.Header(), second.Body)
	}
}

// The failed-login throttle: the failure that reaches the limit and every
// later attempt, even with the right password, answer 429 with
// Retry-After and django-axes' message — what the login endpoint answers —
// and a refused attempt hashes nothing.
func TestThrottle(t *testing.T) {
	th, err := loginthrottle.New(loginthrottle.Options{FailureLimit: 3, IPFailureLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	// No cache, so that the right password is checked again too.
	ap := newApp(t, basicauth.Options{Throttle: th, Cache: basicauth.CacheOptions{Disabled: true}}, nil)
	for i := range 3 {
		w := ap.do("GET", basicauth.Encode("alice", "wrong"))
		want := 401
		if i == 2 {
			want = 429
		}
		if w.Code != want {
			t.Fatalf("failure %d: %d %s", i+1, w.Code, w.Body)
		}
	}
	n := ap.hasher.n.Load()
	w := ap.do("GET", basicauth.Encode("alice", "right"))
	if w.Code != 429 || w.Header().Get("Retry-After") == "" || ap.hasher.n.Load() != n {
		t.Fatalf("locked: %d %q %s, %d hashes", w.Code, w.Header(), w.Body, ap.hasher.n.Load()-n)
	}
	want := `{"detail":[{"msg":"` + loginthrottle.LockoutMessage + `","type":"ratelimit"}]}`
	if w.Body.String() != want {
		t.Fatalf("body %s, want %s", w.Body, want)
	}
	// Another username from the same client is not locked.
	if w := ap.do("GET", basicauth.Encode("bob", "x")); w.Code != 401 {
		t.Fatalf("other user: %d", w.Code)
	}
	doc, err := ap.api.DocumentJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), `"429"`) {
		t.Fatal("the 429 is not documented")
	}
}

// A backend error other than a refusal (a store down) is not a failed
// login: it is answered with its own status.
type downUsers struct{ auth.MemoryUsers }

func (*downUsers) UserByUsername(context.Context, string) (*auth.User, error) {
	return nil, errors.New("connection refused")
}

func TestStoreFailure(t *testing.T) {
	a, _ := auth.New(auth.Options{SecretKey: []byte("k"), Users: &downUsers{}})
	ba, _ := basicauth.New(basicauth.Options{Auth: a})
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", basicauth.Encode("alice", "right"))
	if r2, err := ba.Authenticate(r); r2 != nil || err == nil || errors.Is(err, security.ErrNotAuthenticated) {
		t.Fatalf("%v %v", r2, err)
	}
}

func TestNewRejects(t *testing.T) {
	a, _ := auth.New(auth.Options{SecretKey: []byte("k"), Users: &auth.MemoryUsers{}})
	for _, o := range []basicauth.Options{
		{},
		{Auth: a, Realm: `a"b`},
		{Auth: a, Realm: "a\nb"},
		{Auth: a, SchemeName: "a b"},
		{Auth: a, Cache: basicauth.CacheOptions{TTL: -1}},
	} {
		if _, err := basicauth.New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
	ba, err := basicauth.New(basicauth.Options{Auth: a, Realm: "staff area"})
	if err != nil || ba.Challenge() != `Basic realm="staff area", charset="UTF-8"` {
		t.Fatalf("%v %q", err, ba.Challenge())
	}
}

func TestDocument(t *testing.T) {
	ap := newApp(t, basicauth.Options{}, nil)
	b, err := ap.api.DocumentJSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths      map[string]map[string]json.RawMessage
		Components struct {
			SecuritySchemes map[string]json.RawMessage `json:"securitySchemes"`
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if got := string(doc.Components.SecuritySchemes["basic"]); got != `{"type":"http","description":"`+basicauth.SchemeDescription+`","scheme":"basic"}` {
		t.Fatalf("scheme %s", got)
	}
	var op struct {
		Security  []map[string][]string
		Responses map[string]struct {
			Headers map[string]json.RawMessage
		}
	}
	if err := json.Unmarshal(doc.Paths["/api/me/"]["get"], &op); err != nil {
		t.Fatal(err)
	}
	if len(op.Security) != 1 || op.Security[0]["basic"] == nil {
		t.Fatalf("security %v", op.Security)
	}
	if _, ok := op.Responses["401"].Headers["WWW-Authenticate"]; !ok {
		t.Fatalf("401 %v", op.Responses["401"])
	}
	if _, ok := op.Responses["503"].Headers["Retry-After"]; !ok {
		t.Fatalf("503 %v", op.Responses["503"])
	}
}

// BenchmarkCachedCheck is a request authenticated from the verification
// cache (the user store is MemoryUsers, so the user load costs little).
func BenchmarkCachedCheck(b *testing.B) {
	ap := newApp(b, basicauth.Options{}, nil)
	r := httptest.NewRequest("GET", "/api/me/", nil)
	r.Header.Set("Authorization", basicauth.Encode("alice", "right"))
	if r2, err := ap.ba.Authenticate(r); r2 == nil || err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if r2, err := ap.ba.Authenticate(r); r2 == nil || err != nil {
			b.Fatal(err)
		}
	}
}
