package interop_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/drftoken"
	"github.com/dmr-go/dmr/auth/userdb"
	"github.com/dmr-go/dmr/internal/djangotest"
	"github.com/dmr-go/dmr/internal/fakeclock"
	"github.com/dmr-go/dmr/security/tokenauth"
	"github.com/dmr-go/dmr/sqldb"
)

// drfConfig is the interop project with DRF's token app, DRF's views
// authenticating with TokenAuthentication only.
func drfConfig(db database, model string) djangotest.Config {
	return djangotest.Config{
		DB: db.URL, AuthUserModel: model,
		Apps:     []string{"rest_framework", "rest_framework.authtoken"},
		Settings: map[string]any{"REST_FRAMEWORK": map[string]any{"DEFAULT_AUTHENTICATION_CLASSES": []string{"rest_framework.authentication.TokenAuthentication"}}},
	}
}

// goTokens is Go's side: the user table of model, authtoken_token, and the
// token auth with a cache whose clock the test moves.
type goTokens struct {
	t      *testing.T
	tokens *drftoken.Store
	ta     *tokenauth.Auth
	clock  *fakeclock.Clock
}

const drfCacheTTL = 2 * time.Second

func openGoTokens(t *testing.T, db database, model userdb.Model) *goTokens {
	t.Helper()
	ctx := context.Background()
	sdb, err := sqldb.Open(ctx, db.URL, sqldb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sdb.Close() })
	users, err := userdb.Open(ctx, sdb, model)
	if err != nil {
		t.Fatal(err)
	}
	a, err := auth.New(auth.Options{SecretKey: []byte("k"), Users: users})
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := drftoken.New(sdb, users, drftoken.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := tokens.CreateTables(ctx); err != nil {
		t.Fatalf("CreateTables: %v", err)
	}
	g := &goTokens{t: t, tokens: tokens, clock: fakeclock.New(time.Now())}
	g.ta, err = tokenauth.New(tokenauth.Options{Auth: a, Tokens: tokens, CacheTTL: drfCacheTTL, Now: g.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// who runs Go's token auth on "Token key": the user's name, or the error.
func (g *goTokens) who(key string) (string, error) {
	r := httptest.NewRequest("GET", "/api/", nil)
	r.Header.Set("Authorization", "Token "+key)
	r2, err := g.ta.Authenticate(r)
	if err != nil {
		return "", err
	}
	if r2 == nil {
		return "", errors.New("not mine")
	}
	return auth.UserFromContext(r2.Context()).Username, nil
}

type drfToken struct {
	Key     *string `json:"key"`
	UserID  string  `json:"user_id"`
	Created string  `json:"created"`
}

// drfWho asks DRF's /drf/whoami/ with "Token key".
func drfWho(t *testing.T, dj *djangotest.Django, key string) (status int, username, authenticator string) {
	t.Helper()
	var who struct {
		Status int `json:"status"`
		Body   struct {
			Username      string `json:"username"`
			Authenticator string `json:"authenticator"`
		} `json:"body"`
	}
	dj.Run("request", map[string]any{"path": "/drf/whoami/", "headers": map[string]string{"Authorization": "Token " + key}}, &who)
	return who.Status, who.Body.Username, who.Body.Authenticator
}

// checkTokens proves the sharing both ways on a migrated database: a token
// made by DRF works here for the same user; one made here (and one reset
// here) works in DRF; Django's deletion ends it here within the cache TTL.
func checkTokens(t *testing.T, dj *djangotest.Django, g *goTokens, alice, bob string) {
	ctx := context.Background()
	dj.CreateUser(alice, "pw")
	bobRow := dj.CreateUser(bob, "pw")

	// Django → Go.
	var dt drfToken
	dj.Run("drf-token-create", map[string]any{"username": alice}, &dt)
	if dt.Key == nil || len(*dt.Key) != 40 {
		t.Fatalf("drf-token-create: %+v", dt)
	}
	if got, err := g.who(*dt.Key); err != nil || got != alice {
		t.Fatalf("Go with Django's token: %q %v, want %s", got, err, alice)
	}
	if got, err := g.tokens.ForUser(ctx, dt.UserID); err != nil || got.Key != *dt.Key {
		t.Fatalf("Go's ForUser(%s): %+v %v", dt.UserID, got, err)
	}

	// Go → Django.
	tok, created, err := g.tokens.Create(ctx, bobRow.ID, false)
	if err != nil || !created || tok.UserID != bobRow.ID {
		t.Fatalf("Go's Create for %s: %+v %v %v", bobRow.ID, tok, created, err)
	}
	if st, u, a := drfWho(t, dj, tok.Key); st != 200 || u != bob || a != "TokenAuthentication" {
		t.Fatalf("DRF with Go's token: %d %q %q", st, u, a)
	}
	var back drfToken
	dj.Run("drf-token-get", map[string]any{"username": bob}, &back)
	if back.Key == nil || *back.Key != tok.Key || back.UserID != bobRow.ID {
		t.Fatalf("Django reads Go's token as %+v, want %+v", back, tok)
	}
	if djCreated, err := time.Parse(time.RFC3339Nano, back.Created); err != nil || !djCreated.Equal(tok.Created) {
		t.Errorf("Django reads created %q, Go wrote %v (%v)", back.Created, tok.Created, err)
	}
	// drf_create_token's get_or_create in Django returns Go's token.
	dj.Run("drf-token-create", map[string]any{"username": bob}, &back)
	if *back.Key != tok.Key {
		t.Errorf("Django's get_or_create made %s, want Go's %s", *back.Key, tok.Key)
	}
	// Go's reset: the old key is refused by DRF, the new one accepted.
	reset, _, err := g.tokens.Create(ctx, bobRow.ID, true)
	if err != nil || reset.Key == tok.Key {
		t.Fatalf("Go's reset: %+v %v", reset, err)
	}
	if st, _, _ := drfWho(t, dj, tok.Key); st != 401 {
		t.Errorf("DRF with the key Go reset: %d, want 401", st)
	}
	if st, u, _ := drfWho(t, dj, reset.Key); st != 200 || u != bob {
		t.Errorf("DRF with Go's new key: %d %q", st, u)
	}
	if _, err := g.who(tok.Key); !errors.Is(err, tokenauth.ErrInvalidToken) {
		t.Errorf("Go with the key it reset: %v, want Invalid token at once", err)
	}

	// Django deletes alice's token: Go refuses it once the cache entry is
	// older than the TTL (and not before: that is the documented bound).
	var del struct {
		Deleted int `json:"deleted"`
	}
	dj.Run("drf-token-delete", map[string]any{"key": *dt.Key}, &del)
	if del.Deleted != 1 {
		t.Fatalf("drf-token-delete: %+v", del)
	}
	if got, err := g.who(*dt.Key); err != nil || got != alice {
		t.Errorf("Go within the cache TTL after Django's deletion: %q %v (the cached answer)", got, err)
	}
	g.clock.Add(drfCacheTTL)
	if _, err := g.who(*dt.Key); !errors.Is(err, tokenauth.ErrInvalidToken) {
		t.Errorf("Go after the cache TTL: %v, want Invalid token", err)
	}
	// Deactivated in Django: both refuse with DRF's message.
	dj.Run("drf-token-create", map[string]any{"username": alice}, &dt)
	dj.Run("user-flags-set", map[string]any{"username": alice, "is_active": false}, nil)
	if _, err := g.who(*dt.Key); !errors.Is(err, tokenauth.ErrInactive) {
		t.Errorf("Go with an inactive user's token: %v", err)
	}
}

// Django migrates first (DRF's authtoken included); Go's CreateTables is
// then a no-op, and tokens are shared both ways, for auth.User on SQLite,
// PostgreSQL and MariaDB with Django 3.2, 4.2 and 5.2.
func TestDRFTokens(t *testing.T) {
	forMatrixOn(t, sessionDatabases, func(t *testing.T, v string, db database) {
		dj := djangotest.New(t, v, drfConfig(db, ""))
		if tables := dj.Migrate(false); !contains(tables, "authtoken_token") {
			t.Fatalf("Django's migrate made %v", tables)
		}
		g := openGoTokens(t, db, userdb.Model{})
		checkTokens(t, dj, g, "alice", "bob")
	})
}

// The same with the interop project's custom user model (UUID key, email
// login): user_id holds the UUID as Django stores it on each database.
func TestDRFTokensCustomUser(t *testing.T) {
	for _, v := range []string{"4.2", "5.2"} {
		for _, kind := range databaseKinds() {
			t.Run(v+"/"+kind, func(t *testing.T) {
				t.Parallel()
				db := newDatabase(t, kind)
				dj := djangotest.New(t, v, drfConfig(db, "accounts.CustomUser"))
				dj.Migrate(false)
				g := openGoTokens(t, db, userdb.Model{Name: "accounts.CustomUser", UsernameField: "email"})
				checkTokens(t, dj, g, "alice@example.com", "bob@example.com")
			})
		}
	}
}

// Go first: Django migrated without DRF, then Go created authtoken_token
// (what `migrate` of a dmr application does). Adding DRF's token app to the
// Django project, a plain `migrate` stops at the existing table; `migrate
// --fake-initial` records authtoken.0001_initial as applied (its table
// exists) and runs 0002–0004, which change nothing; then both sides share
// the table, and Go's CreateTables stays a no-op.
func TestDRFTokensGoFirst(t *testing.T) {
	forMatrixOn(t, sessionDatabases, func(t *testing.T, v string, db database) {
		plain := djangotest.New(t, v, djangotest.Config{DB: db.URL})
		if tables := plain.Migrate(false); contains(tables, "authtoken_token") {
			t.Fatalf("Django without DRF made authtoken_token")
		}
		plain.Close()
		g := openGoTokens(t, db, userdb.Model{})
		dj := djangotest.New(t, v, drfConfig(db, ""))
		err := dj.Call("migrate", nil, nil)
		var de *djangotest.Error
		if !errors.As(err, &de) || !strings.Contains(de.Message, "already exists") {
			t.Fatalf("plain migrate after Go's authtoken_token: %v (want Django's 'already exists')", err)
		}
		dj.Close()
		dj = djangotest.New(t, v, drfConfig(db, ""))
		dj.Migrate(true)
		if err := g.tokens.CreateTables(context.Background()); err != nil {
			t.Fatalf("CreateTables after Django's migrate: %v", err)
		}
		checkTokens(t, dj, g, "alice", "bob")
	})
}

// Go's authtoken_token DDL is what `manage.py sqlmigrate authtoken 0001`
// prints for the same database and user model (read by userdb from the
// table Django made), statement by statement: column types, constraint and
// index names.
func TestDRFTokenSchemaIsDjangos(t *testing.T) {
	for _, v := range djangotest.Versions() {
		for _, kind := range databaseKinds() {
			for _, model := range []string{"", "accounts.CustomUser"} {
				if model != "" && v == "3.2" {
					continue // the custom model's tests run on 4.2 and 5.2
				}
				t.Run(v+"/"+kind+"/"+model, func(t *testing.T) {
					t.Parallel()
					db := newDatabase(t, kind)
					dj := djangotest.New(t, v, drfConfig(db, model))
					dj.Migrate(false)
					var out struct {
						SQL string `json:"sql"`
					}
					dj.Run("sqlmigrate", map[string]any{"app": "authtoken", "name": "0001"}, &out)
					var want []string
					for _, line := range strings.Split(out.SQL, "\n") {
						if strings.HasPrefix(line, "CREATE ") || strings.HasPrefix(line, "ALTER ") {
							want = append(want, strings.TrimSuffix(line, ";"))
						}
					}
					m := userdb.Model{Name: model}
					if model != "" {
						m.UsernameField = "email"
					}
					ctx := context.Background()
					sdb, err := sqldb.Open(ctx, db.URL, sqldb.Options{})
					if err != nil {
						t.Fatal(err)
					}
					defer sdb.Close()
					users, err := userdb.Open(ctx, sdb, m)
					if err != nil {
						t.Fatal(err)
					}
					tab := drftoken.Schema(sdb.Dialect, users.Info())
					got := append([]string{tab.Create}, tab.Alter...)
					for _, ix := range tab.Indexes {
						got = append(got, ix.Create)
					}
					if strings.Join(got, "\n") != strings.Join(want, "\n") {
						t.Errorf("Go:\n%s\nDjango's sqlmigrate:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
					}
				})
			}
		}
	}
}
