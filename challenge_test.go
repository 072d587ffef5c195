package dmr_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/hashers"
	"github.com/dmr-go/dmr/csrf"
	"github.com/dmr-go/dmr/security"
	"github.com/dmr-go/dmr/security/apikey"
	"github.com/dmr-go/dmr/security/basicauth"
	"github.com/dmr-go/dmr/security/sessionauth"
	"github.com/dmr-go/dmr/sessions"
	"github.com/dmr-go/dmr/sqldb"
)

// challengeAuth is headerAuth with an RFC 9110 challenge.
type challengeAuth struct {
	headerAuth
	challenge string
}

func (a challengeAuth) Challenge() string { return a.challenge }

// ownChallengeAuth refuses with a 401 carrying its own WWW-Authenticate.
type ownChallengeAuth struct{ challengeAuth }

func (ownChallengeAuth) Authenticate(*http.Request) (*http.Request, error) {
	return nil, apierror.New(http.StatusUnauthorized, "Token expired", apierror.TypeSecurity).
		WithHeader("WWW-Authenticate", `Bearer error="invalid_token"`)
}

func TestChallenges(t *testing.T) {
	bearer := challengeAuth{headerAuth{"bearer", "X-Bearer", "b", "bea"}, `Bearer realm="api"`}
	basic := challengeAuth{headerAuth{"basicish", "X-Basic", "c", "bas"}, `Basic realm="api", charset="UTF-8"`}
	plain := headerAuth{"key", "X-Key", "k", "key"}
	api := dmr.New(dmr.Config{Prefix: "/api"})
	reg := func(path string, auths ...security.Auth) {
		c := api.Controller(dmr.ControllerConfig{Name: "C" + strings.Trim(path, "/"), Path: path, Auth: auths})
		dmr.Get(c, dmr.Operation{}, whoami)
	}
	reg("/three/", plain, bearer, basic, bearer) // bearer twice: one challenge
	reg("/none/", plain)
	reg("/own/", ownChallengeAuth{bearer}, basic)
	do := func(path string, hdr ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		w := httptest.NewRecorder()
		api.ServeHTTP(w, r)
		return w
	}
	both := []string{`Bearer realm="api"`, `Basic realm="api", charset="UTF-8"`}
	for _, tc := range []struct {
		name, path string
		hdr        []string
		status     int
		want       []string
	}{
		{"nobody's", "/api/three/", nil, 401, both},
		{"refused by an auth", "/api/three/", []string{"X-Bearer", "wrong"}, 401, both},
		{"refused by a plain auth", "/api/three/", []string{"X-Key", "wrong"}, 401, both},
		{"accepted", "/api/three/", []string{"X-Basic", "c"}, 200, nil},
		{"no challenger", "/api/none/", nil, 401, nil},
		{"the auth's own challenge wins", "/api/own/", nil, 401, []string{`Bearer error="invalid_token"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := do(tc.path, tc.hdr...)
			if w.Code != tc.status {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			if got := w.Header().Values("WWW-Authenticate"); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("WWW-Authenticate %q, want %q", got, tc.want)
			}
		})
	}
	// The shared slice is not written into by a later Add.
	w := do("/api/three/")
	w.Header().Add("WWW-Authenticate", "X")
	if got := do("/api/three/").Header().Values("WWW-Authenticate"); !reflect.DeepEqual(got, both) {
		t.Fatalf("after an Add elsewhere: %q", got)
	}
	// Documented on the 401, whichever auth contributed it.
	var doc struct {
		Paths map[string]map[string]struct {
			Responses map[string]struct {
				Headers map[string]json.RawMessage
			}
		}
	}
	b, err := api.DocumentJSON()
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if _, ok := doc.Paths["/api/three/"]["get"].Responses["401"].Headers["WWW-Authenticate"]; !ok {
		t.Fatalf("three: %s", b)
	}
	if h := doc.Paths["/api/none/"]["get"].Responses["401"].Headers; h != nil {
		t.Fatalf("none: %v", h)
	}
}

// One endpoint accepting a Django session, HTTP Basic and an API key: each
// credential works on its own, no credential answers 401 with the Basic
// challenge only (the session cookie and the API key have no standard
// challenge), and the document lists three alternative requirements and
// the three schemes.
func TestSessionBasicAPIKeyEndToEnd(t *testing.T) {
	ctx := context.Background()
	users := &auth.MemoryUsers{}
	a, err := auth.New(auth.Options{SecretKey: []byte("secret"), Users: users,
		Hashers: &hashers.Hashers{List: []hashers.Hasher{&hashers.PBKDF2{Iterations: 10}}}})
	if err != nil {
		t.Fatal(err)
	}
	alice, err := a.CreateUser(ctx, auth.NewUser{Username: "alice", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	sm, _ := sessions.NewMiddleware(sessions.Options{Store: &sessions.MemoryStore{}})
	p, _ := csrf.New(csrf.Options{})
	sa, err := sessionauth.New(sessionauth.Options{Auth: a, CSRF: p})
	if err != nil {
		t.Fatal(err)
	}
	ba, err := basicauth.New(basicauth.Options{Auth: a})
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqldb.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "db.sqlite3"), sqldb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	keys, err := apikey.NewStore(db, apikey.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.CreateTables(ctx); err != nil {
		t.Fatal(err)
	}
	key, _, err := keys.Create(ctx, alice.ID, "e2e", nil)
	if err != nil {
		t.Fatal(err)
	}
	ak, err := apikey.New(apikey.Options{Store: keys, Auth: a})
	if err != nil {
		t.Fatal(err)
	}

	api := dmr.New(dmr.Config{Title: "E2E", Version: "1", Prefix: "/api"})
	sa.RegisterLogin(api, sessionauth.DefaultLoginOptions{})
	c := api.Controller(dmr.ControllerConfig{Name: "Me", Path: "/me/", Auth: []security.Auth{sa, ba, ak}})
	dmr.Get(c, dmr.Operation{}, func(ctx context.Context, _ *struct{}) (*string, error) {
		u := auth.UserFromContext(ctx).Username
		return &u, nil
	})
	h := sm.Handler(p.Middleware(a.Middleware(api)))
	do := func(r *http.Request) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	get := func(set func(r *http.Request)) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/api/me/", nil)
		if set != nil {
			set(r)
		}
		return do(r)
	}

	w := get(nil)
	if w.Code != 401 || !reflect.DeepEqual(w.Header().Values("WWW-Authenticate"), []string{`Basic realm="api", charset="UTF-8"`}) {
		t.Fatalf("anonymous: %d %q %s", w.Code, w.Header(), w.Body)
	}
	for name, set := range map[string]func(*http.Request){
		"basic":   func(r *http.Request) { r.Header.Set("Authorization", basicauth.Encode("alice", "pw")) },
		"api key": func(r *http.Request) { r.Header.Set("X-API-Key", key) },
	} {
		if w := get(set); w.Code != 200 || w.Body.String() != `"alice"` {
			t.Fatalf("%s: %d %s", name, w.Code, w.Body)
		}
	}
	for name, set := range map[string]func(*http.Request){
		"wrong password": func(r *http.Request) { r.Header.Set("Authorization", basicauth.Encode("alice", "no")) },
		"wrong key":      func(r *http.Request) { r.Header.Set("X-API-Key", key[:len(key)-4]+"AAAA") },
	} {
		if w := get(set); w.Code != 401 || w.Header().Get("WWW-Authenticate") == "" {
			t.Fatalf("%s: %d %q %s", name, w.Code, w.Header(), w.Body)
		}
	}
	// The session: log in, then use the cookie alone.
	r := httptest.NewRequest("POST", "/api/auth/", strings.NewReader(`{"username":"alice","password":"pw"}`))
	r.Header.Set("Content-Type", "application/json")
	lw := do(r)
	if lw.Code != 200 {
		t.Fatalf("login: %d %s", lw.Code, lw.Body)
	}
	w = get(func(r *http.Request) {
		for _, ck := range lw.Result().Cookies() {
			r.AddCookie(ck)
		}
	})
	if w.Code != 200 || w.Body.String() != `"alice"` {
		t.Fatalf("session: %d %s", w.Code, w.Body)
	}

	b, err := api.DocumentJSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Security []map[string][]string
		}
		Components struct {
			SecuritySchemes map[string]json.RawMessage `json:"securitySchemes"`
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	want := []map[string][]string{{"django_session": {}}, {"basic": {}}, {"api_key": {}}}
	if got := doc.Paths["/api/me/"]["get"].Security; !reflect.DeepEqual(got, want) {
		t.Fatalf("security %v, want %v", got, want)
	}
	for _, name := range []string{"django_session", "basic", "api_key"} {
		if doc.Components.SecuritySchemes[name] == nil {
			t.Fatalf("scheme %s missing: %s", name, b)
		}
	}
	validateDocument(t, b) // last: it skips without Python's validator
}

// BenchmarkUnauthorized is the 401 of an endpoint whose auths all answer
// "not mine", with and without challenges: the challenges cost no
// allocation (the endpoint's precomputed slice goes into the header).
func BenchmarkUnauthorized(b *testing.B) {
	for _, tc := range []struct {
		name string
		auth security.Auth
	}{
		{"no-challenge", headerAuth{"key", "X-Key", "k", "key"}},
		{"challenge", challengeAuth{headerAuth{"bearer", "X-Bearer", "b", "bea"}, `Bearer realm="api"`}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			api := dmr.New(dmr.Config{Prefix: "/api"})
			c := api.Controller(dmr.ControllerConfig{Name: "C", Path: "/c/", Auth: []security.Auth{tc.auth}})
			dmr.Get(c, dmr.Operation{}, whoami)
			r := httptest.NewRequest("GET", "/api/c/", nil)
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				api.ServeHTTP(w, r)
				if w.Code != 401 {
					b.Fatal(w.Code)
				}
			}
		})
	}
}
