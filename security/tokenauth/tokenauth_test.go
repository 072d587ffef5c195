package tokenauth_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/drftoken"
	"github.com/dmr-go/dmr/auth/userdb"
	"github.com/dmr-go/dmr/internal/fakeclock"
	"github.com/dmr-go/dmr/internal/testenv"
	"github.com/dmr-go/dmr/security"
	"github.com/dmr-go/dmr/security/sessionauth"
	"github.com/dmr-go/dmr/security/tokenauth"
	"github.com/dmr-go/dmr/sqldb"
)

// stack is the token auth on a SQLite database: auth_user (auth/userdb),
// authtoken_token (auth/drftoken), an API whose endpoints answer the
// current user.
type stack struct {
	t      testing.TB
	db     *sqldb.DB
	users  *userdb.Store
	auth   *auth.Auth
	tokens *drftoken.Store
	clock  *fakeclock.Clock
	ta     *tokenauth.Auth
	api    *dmr.API
}

type whoami struct {
	Username string `json:"username"`
}

func newStack(t testing.TB, o tokenauth.Options) *stack {
	t.Helper()
	return newStackOn(t, "sqlite:"+filepath.Join(t.TempDir(), "db.sqlite3"), o)
}

func newStackOn(t testing.TB, url string, o tokenauth.Options) *stack {
	t.Helper()
	ctx := context.Background()
	db, err := sqldb.Open(ctx, url, sqldb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	users, err := userdb.New(db)
	if err != nil {
		t.Fatal(err)
	}
	if err := users.CreateTables(ctx); err != nil {
		t.Fatal(err)
	}
	a, err := auth.New(auth.Options{SecretKey: []byte("k"), Users: users})
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := drftoken.New(db, users, drftoken.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := tokens.CreateTables(ctx); err != nil {
		t.Fatal(err)
	}
	s := &stack{t: t, db: db, users: users, auth: a, tokens: tokens, clock: fakeclock.New(time.Unix(1_700_000_000, 0))}
	o.Auth, o.Tokens, o.Now = a, tokens, s.clock.Now
	s.ta, err = tokenauth.New(o)
	if err != nil {
		t.Fatal(err)
	}
	s.api = dmr.New(dmr.Config{Title: "t", Version: "1", Prefix: "/api"})
	c := s.api.Controller(dmr.ControllerConfig{Name: "Who", Path: "/who/", Auth: []security.Auth{s.ta}})
	handler := func(ctx context.Context, _ *struct{}) (*whoami, error) {
		return &whoami{Username: auth.UserFromContext(ctx).Username}, nil
	}
	dmr.Get(c, dmr.Operation{}, handler)
	dmr.Post(c, dmr.Operation{}, handler)
	staff := s.api.Controller(dmr.ControllerConfig{Name: "Staff", Path: "/staff/", Auth: []security.Auth{s.ta.With(sessionauth.StaffOnly())}})
	dmr.Get(staff, dmr.Operation{}, handler)
	return s
}

func (s *stack) user(name string, active, staff bool) (*auth.User, string) {
	s.t.Helper()
	u := &auth.User{Username: name, Password: "!", IsActive: active, IsStaff: staff, DateJoined: time.Now()}
	if err := s.users.CreateUser(context.Background(), u); err != nil {
		s.t.Fatal(err)
	}
	tok, _, err := s.tokens.Create(context.Background(), u.ID, false)
	if err != nil {
		s.t.Fatal(err)
	}
	return u, tok.Key
}

func (s *stack) do(method, path, authz string) (int, string) {
	s.t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader("{}"))
	r.Header.Set("Content-Type", "application/json")
	if authz != "" {
		r.Header.Set("Authorization", authz)
	}
	w := httptest.NewRecorder()
	s.api.ServeHTTP(w, r)
	return w.Code, strings.TrimSpace(w.Body.String())
}

func detail(msg string) string {
	b, _ := json.Marshal(map[string]any{"detail": []map[string]string{{"msg": msg, "type": "security"}}})
	return string(b)
}

func TestAuthenticate(t *testing.T) {
	s := newStack(t, tokenauth.Options{})
	_, key := s.user("alice", true, false)
	_, inactiveKey := s.user("bob", false, false)
	for _, c := range []struct {
		name, method, path, authz string
		status                    int
		body                      string
	}{
		{"token", "GET", "/api/who/", "Token " + key, 200, `{"username":"alice"}`},
		{"keyword in any case", "GET", "/api/who/", "tOKEN " + key, 200, `{"username":"alice"}`},
		{"POST without CSRF", "POST", "/api/who/", "Token " + key, 201, `{"username":"alice"}`},
		{"no header: not mine", "GET", "/api/who/", "", 401, detail("Not authenticated")},
		{"another scheme: not mine", "GET", "/api/who/", "Bearer " + key, 401, detail("Not authenticated")},
		{"no key", "GET", "/api/who/", "Token", 401, detail(tokenauth.MsgNoCredentials)},
		{"spaces", "GET", "/api/who/", "Token " + key + " x", 401, detail(tokenauth.MsgSpaces)},
		{"not UTF-8", "GET", "/api/who/", "Token \xff", 401, detail(tokenauth.MsgInvalidChars)},
		{"unknown key", "GET", "/api/who/", "Token " + strings.Repeat("0", 40), 401, detail(tokenauth.MsgInvalidToken)},
		{"key too long", "GET", "/api/who/", "Token " + key + "0", 401, detail(tokenauth.MsgInvalidToken)},
		{"NUL", "GET", "/api/who/", "Token a\x00b", 401, detail(tokenauth.MsgInvalidToken)},
		{"upper-case key", "GET", "/api/who/", "Token " + strings.ToUpper(key), 401, detail(tokenauth.MsgInvalidToken)},
		{"inactive user", "GET", "/api/who/", "Token " + inactiveKey, 401, detail(tokenauth.MsgInactive)},
		{"not staff", "GET", "/api/staff/", "Token " + key, 403, detail("Permission denied")},
	} {
		if status, body := s.do(c.method, c.path, c.authz); status != c.status || body != c.body {
			t.Errorf("%s: %d %s, want %d %s", c.name, status, body, c.status, c.body)
		}
	}
	_, staffKey := s.user("carol", true, true)
	if status, body := s.do("GET", "/api/staff/", "Token "+staffKey); status != 200 || body != `{"username":"carol"}` {
		t.Errorf("staff: %d %s", status, body)
	}
}

func TestKeyword(t *testing.T) {
	s := newStack(t, tokenauth.Options{Keyword: "Bearer"})
	_, key := s.user("alice", true, false)
	if status, _ := s.do("GET", "/api/who/", "Bearer "+key); status != 200 {
		t.Errorf("Bearer: %d", status)
	}
	if status, body := s.do("GET", "/api/who/", "Token "+key); status != 401 || body != detail("Not authenticated") {
		t.Errorf("Token under Bearer: %d %s", status, body)
	}
	if s.ta.Challenge() != "Bearer" || s.ta.Keyword() != "Bearer" {
		t.Errorf("Challenge %q", s.ta.Challenge())
	}
	for _, bad := range []string{"To ken", "Tok\u00e9n", "a,b"} {
		if _, err := tokenauth.New(tokenauth.Options{Auth: s.auth, Tokens: s.tokens, Keyword: bad}); err == nil {
			t.Errorf("keyword %q accepted", bad)
		}
	}
}

// The cache: a deletion through the Store is seen at once; one made
// elsewhere (Django, straight in the database) within the TTL.
func TestCache(t *testing.T) {
	s := newStack(t, tokenauth.Options{CacheTTL: 5 * time.Second})
	u, key := s.user("alice", true, false)
	if status, _ := s.do("GET", "/api/who/", "Token "+key); status != 200 {
		t.Fatal(status)
	}
	ctx := context.Background()
	if _, err := s.tokens.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if status, _ := s.do("GET", "/api/who/", "Token "+key); status != 401 {
		t.Fatalf("after Store.Delete: %d, want 401 at once", status)
	}
	tok, _, err := s.tokens.Create(ctx, u.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	if status, _ := s.do("GET", "/api/who/", "Token "+tok.Key); status != 200 {
		t.Fatal(status)
	}
	if _, err := s.db.Write.ExecContext(ctx, `DELETE FROM "authtoken_token"`); err != nil {
		t.Fatal(err)
	}
	s.clock.Add(4 * time.Second)
	if status, _ := s.do("GET", "/api/who/", "Token "+tok.Key); status != 200 {
		t.Fatalf("within the TTL: %d, want the cached 200", status)
	}
	s.clock.Add(time.Second)
	if status, _ := s.do("GET", "/api/who/", "Token "+tok.Key); status != 401 {
		t.Fatalf("after the TTL: %d, want 401", status)
	}

	// Without a cache every request reads the table.
	s = newStack(t, tokenauth.Options{CacheTTL: -1})
	_, key = s.user("alice", true, false)
	if status, _ := s.do("GET", "/api/who/", "Token "+key); status != 200 {
		t.Fatal(status)
	}
	if _, err := s.db.Write.ExecContext(ctx, `DELETE FROM "authtoken_token"`); err != nil {
		t.Fatal(err)
	}
	if status, _ := s.do("GET", "/api/who/", "Token "+key); status != 401 {
		t.Fatalf("no cache: %d", status)
	}
}

// A store that does not answer in time gives 503 with Retry-After, never
// "not mine" or "Invalid token.".
// A store that cannot answer within the request's deadline gives 503.
// PostgreSQL: a token lookup on SQLite is not bounded by the context
// (sqldb.PointContext).
func TestStoreDown(t *testing.T) {
	s := newStackOn(t, testenv.PostgresURL(t), tokenauth.Options{})
	_, key := s.user("alice", true, false)
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	r := httptest.NewRequestWithContext(ctx, "GET", "/api/who/", nil)
	r.Header.Set("Authorization", "Token "+key)
	w := httptest.NewRecorder()
	s.api.ServeHTTP(w, r)
	if w.Code != 503 || w.Header().Get("Retry-After") == "" {
		t.Fatalf("store down: %d %s, want 503 with Retry-After", w.Code, w.Body)
	}
}

func TestDescribe(t *testing.T) {
	s := newStack(t, tokenauth.Options{})
	doc, err := s.api.DocumentJSON()
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Components struct {
			SecuritySchemes map[string]map[string]string `json:"securitySchemes"`
		} `json:"components"`
		Paths map[string]map[string]struct {
			Security  []map[string][]string      `json:"security"`
			Responses map[string]json.RawMessage `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"type": "apiKey", "in": "header", "name": "Authorization", "description": "Token <key> (Django REST framework's TokenAuthentication)"}
	got := d.Components.SecuritySchemes["drf_token"]
	for k, v := range want {
		if got[k] != v {
			t.Errorf("scheme %s = %q, want %q", k, got[k], v)
		}
	}
	get := d.Paths["/api/who/"]["get"]
	if len(get.Security) != 1 || get.Security[0]["drf_token"] == nil {
		t.Errorf("security %v", get.Security)
	}
	for _, st := range []string{"401", "503"} {
		if get.Responses[st] == nil {
			t.Errorf("no %s response", st)
		}
	}
	if d.Paths["/api/staff/"]["get"].Responses["403"] == nil {
		t.Errorf("no 403 with a check")
	}
}
