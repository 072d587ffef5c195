package jwtauth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/userdb"
	"github.com/dmr-go/dmr/internal/testenv"
	"github.com/dmr-go/dmr/security"
	"github.com/dmr-go/dmr/security/jwtauth"
	"github.com/dmr-go/dmr/sqldb"
)

func openDB(t testing.TB, url string) *sqldb.DB {
	t.Helper()
	db, err := sqldb.Open(context.Background(), url, sqldb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var databases = map[string]func(t testing.TB) string{
	"sqlite":   func(t testing.TB) string { return "sqlite:" + filepath.Join(t.TempDir(), "db.sqlite3") },
	"postgres": func(t testing.TB) string { return testenv.PostgresURL(t) },
	"mysql":    func(t testing.TB) string { return testenv.MySQLURL(t) },
}

// sqlFixture is a user table and the blacklist tables on one database.
func sqlFixture(t testing.TB, url string) (*auth.Auth, *jwtauth.Blacklist, *sqldb.DB) {
	t.Helper()
	db := openDB(t, url)
	users, err := userdb.New(db)
	if err != nil {
		t.Fatal(err)
	}
	if err := users.CreateTables(t.Context()); err != nil {
		t.Fatal(err)
	}
	a, err := auth.New(auth.Options{SecretKey: secret, Users: users})
	if err != nil {
		t.Fatal(err)
	}
	bl, err := jwtauth.NewBlacklist(db, jwtauth.BlacklistOptions{UserPKArg: users.PKArg})
	if err != nil {
		t.Fatal(err)
	}
	if err := bl.CreateTables(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := bl.CreateTables(t.Context()); err != nil {
		t.Fatalf("CreateTables twice: %v", err)
	}
	return a, bl, db
}

func TestBlacklistStore(t *testing.T) {
	for name, url := range databases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a, bl, db := sqlFixture(t, url(t))
			ctx := t.Context()
			u, err := a.CreateUser(ctx, auth.NewUser{Username: "alice", Password: "pw"})
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now().UTC().Truncate(time.Microsecond)
			o := jwtauth.Outstanding{JTI: "j1", Token: "t1", UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
			if err := bl.Outstand(ctx, o); err != nil {
				t.Fatal(err)
			}
			if err := bl.Outstand(ctx, o); err != nil {
				t.Fatalf("Outstand twice: %v", err)
			}
			if black, err := bl.IsBlacklisted(ctx, "j1"); err != nil || black {
				t.Fatalf("IsBlacklisted before: %v %v", black, err)
			}
			if err := bl.Add(ctx, o, now); err != nil {
				t.Fatal(err)
			}
			if err := bl.Add(ctx, o, now); err != nil {
				t.Fatalf("Add twice: %v", err)
			}
			if black, err := bl.IsBlacklisted(ctx, "j1"); err != nil || !black {
				t.Fatalf("IsBlacklisted after: %v %v", black, err)
			}
			// A token never outstanding, of a user that does not exist:
			// user_id NULL, as SimpleJWT's blacklist() writes it.
			if err := bl.Add(ctx, jwtauth.Outstanding{JTI: "j2", Token: "t2", UserID: "999", ExpiresAt: now}, now); err != nil {
				t.Fatal(err)
			}
			var n, nullUsers int
			q := db.Dialect.Rebind(`SELECT COUNT(*), SUM(CASE WHEN user_id IS NULL THEN 1 ELSE 0 END) FROM token_blacklist_outstandingtoken`)
			if err := db.Read.QueryRow(q).Scan(&n, &nullUsers); err != nil || n != 2 || nullUsers != 1 {
				t.Fatalf("outstanding rows %d (NULL users %d): %v", n, nullUsers, err)
			}
			if err := db.Read.QueryRow(`SELECT COUNT(*) FROM token_blacklist_blacklistedtoken`).Scan(&n); err != nil || n != 2 {
				t.Fatalf("blacklisted rows %d: %v", n, err)
			}
		})
	}
}

type apiFixture struct {
	h  http.Handler
	j  *jwtauth.Auth
	bl *jwtauth.Blacklist
}

func newAPI(t testing.TB, o jwtauth.Options, withBlacklist bool) *apiFixture {
	t.Helper()
	a, bl, _ := sqlFixture(t, databases["sqlite"](t))
	if _, err := a.CreateUser(t.Context(), auth.NewUser{Username: "alice", Password: "pw"}); err != nil {
		t.Fatal(err)
	}
	o.Auth, o.SigningKey = a, secret
	if withBlacklist {
		o.Blacklist = bl
	}
	j, err := jwtauth.New(o)
	if err != nil {
		t.Fatal(err)
	}
	api := dmr.New(dmr.Config{Title: "t", Version: "1", Prefix: "/api"})
	j.Register(api, jwtauth.EndpointOptions{})
	c := api.Controller(dmr.ControllerConfig{Name: "WhoAmI", Path: "/whoami/", Auth: []security.Auth{j}})
	dmr.Get(c, dmr.Operation{}, func(ctx context.Context, _ *struct{}) (*struct {
		Username string `json:"username"`
	}, error) {
		return &struct {
			Username string `json:"username"`
		}{auth.UserFromContext(ctx).Username}, nil
	})
	return &apiFixture{h: api, j: j, bl: bl}
}

func (f *apiFixture) do(t testing.TB, method, path, body, bearer string) (int, map[string]any, http.Header) {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		r.Header.Set("Authorization", "Bearer "+bearer)
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	var m map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &m)
	return w.Code, m, w.Header()
}

func msg(m map[string]any) string {
	d, _ := m["detail"].([]any)
	if len(d) == 0 {
		return ""
	}
	s, _ := d[0].(map[string]any)["msg"].(string)
	return s
}

func TestEndpoints(t *testing.T) {
	f := newAPI(t, jwtauth.Options{RotateRefreshTokens: true, BlacklistAfterRotation: true}, true)
	code, m, _ := f.do(t, "POST", "/api/token/", `{"username":"alice","password":"pw"}`, "")
	if code != 200 || m["access"] == nil || m["refresh"] == nil {
		t.Fatalf("obtain: %d %v", code, m)
	}
	access, refresh := m["access"].(string), m["refresh"].(string)
	code, m, h := f.do(t, "POST", "/api/token/", `{"username":"alice","password":"no"}`, "")
	if code != 401 || msg(m) != jwtauth.MsgNoActiveAccount || h.Get("WWW-Authenticate") != `Bearer realm="api"` {
		t.Fatalf("obtain with a wrong password: %d %v %v", code, m, h)
	}
	if code, m, _ := f.do(t, "GET", "/api/whoami/", "", access); code != 200 || m["username"] != "alice" {
		t.Fatalf("whoami: %d %v", code, m)
	}
	if code, m, h := f.do(t, "GET", "/api/whoami/", "", refresh); code != 401 || msg(m) != jwtauth.MsgWrongType || h.Get("WWW-Authenticate") == "" {
		t.Fatalf("whoami with the refresh token: %d %v", code, m)
	}
	if code, _, h := f.do(t, "GET", "/api/whoami/", "", ""); code != 401 || h.Get("WWW-Authenticate") != `Bearer realm="api"` {
		t.Fatalf("whoami without a token: %d %v", code, h)
	}
	if code, m, _ := f.do(t, "POST", "/api/token/verify/", `{"token":"`+access+`"}`, ""); code != 200 || m == nil || len(m) != 0 {
		t.Fatalf("verify access: %d %v", code, m)
	}
	if code, m, _ := f.do(t, "POST", "/api/token/verify/", `{"token":"x.y.z"}`, ""); code != 401 || msg(m) != jwtauth.MsgInvalid {
		t.Fatalf("verify garbage: %d %v", code, m)
	}
	if code, m, _ := f.do(t, "POST", "/api/token/refresh/", `{"refresh":"`+access+`"}`, ""); code != 401 || msg(m) != jwtauth.MsgWrongType {
		t.Fatalf("refresh with the access token: %d %v", code, m)
	}
	code, m, _ = f.do(t, "POST", "/api/token/refresh/", `{"refresh":"`+refresh+`"}`, "")
	if code != 200 || m["access"] == nil || m["refresh"] == nil || m["refresh"] == refresh {
		t.Fatalf("refresh: %d %v", code, m)
	}
	rotated := m["refresh"].(string)
	if code, m, _ := f.do(t, "GET", "/api/whoami/", "", m["access"].(string)); code != 200 || m["username"] != "alice" {
		t.Fatalf("whoami with the refreshed access token: %d %v", code, m)
	}
	code, m, _ = f.do(t, "POST", "/api/token/refresh/", `{"refresh":"`+refresh+`"}`, "")
	if code != 401 || msg(m) != jwtauth.MsgBlacklisted {
		t.Fatalf("refresh with the rotated-out token: %d %v", code, m)
	}
	if code, m, _ := f.do(t, "POST", "/api/token/verify/", `{"token":"`+refresh+`"}`, ""); code != 401 || msg(m) != jwtauth.MsgBlacklisted {
		t.Fatalf("verify the blacklisted token: %d %v", code, m)
	}
	if code, _, _ := f.do(t, "POST", "/api/token/refresh/", `{"refresh":"`+rotated+`"}`, ""); code != 200 {
		t.Fatalf("refresh with the rotated token: %d", code)
	}
	// Access tokens are not checked against the blacklist (SimpleJWT's
	// AccessToken has no BlacklistMixin).
	if code, _, _ := f.do(t, "GET", "/api/whoami/", "", access); code != 200 {
		t.Fatalf("whoami after rotation: %d", code)
	}
}

func TestRefreshWithoutRotation(t *testing.T) {
	f := newAPI(t, jwtauth.Options{}, false)
	_, m, _ := f.do(t, "POST", "/api/token/", `{"username":"alice","password":"pw"}`, "")
	code, m, _ := f.do(t, "POST", "/api/token/refresh/", `{"refresh":"`+m["refresh"].(string)+`"}`, "")
	if _, rotated := m["refresh"]; code != 200 || rotated {
		t.Fatalf("refresh: %d %v", code, m)
	}
}

func TestDocument(t *testing.T) {
	f := newAPI(t, jwtauth.Options{}, false)
	r := httptest.NewRequest("GET", "/api/openapi.json", nil)
	w := httptest.NewRecorder()
	f.h.(*dmr.API).OpenAPIHandler().ServeHTTP(w, r)
	var doc struct {
		Components struct {
			SecuritySchemes map[string]map[string]any `json:"securitySchemes"`
		} `json:"components"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	s := doc.Components.SecuritySchemes["jwt"]
	if s["type"] != "http" || s["scheme"] != "bearer" || s["bearerFormat"] != "JWT" {
		t.Fatalf("scheme: %v", s)
	}
	d, err := libopenapi.NewDocument(w.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(d)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		t.Fatalf("document invalid: %v", verrs[0].Message)
	}
	for _, p := range []string{"/api/token/", "/api/token/refresh/", "/api/token/verify/"} {
		if !strings.Contains(w.Body.String(), `"`+p+`"`) {
			t.Errorf("document lacks %s", p)
		}
	}
}
