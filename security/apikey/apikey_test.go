package apikey_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/hashers"
	"github.com/dmr-go/dmr/internal/fakeclock"
	"github.com/dmr-go/dmr/internal/testenv"
	"github.com/dmr-go/dmr/security"
	"github.com/dmr-go/dmr/security/apikey"
	"github.com/dmr-go/dmr/sqldb"
)

func TestGenerateParse(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		key, prefix, err := apikey.Generate()
		if err != nil {
			t.Fatal(err)
		}
		if len(key) != apikey.KeyLength || !strings.HasPrefix(key, "dmr_"+prefix+".") || !apikey.ValidPrefix(prefix) {
			t.Fatalf("key %q prefix %q", key, prefix)
		}
		p, err := apikey.ParseKey(key)
		if err != nil || p != prefix {
			t.Fatalf("ParseKey(%q) = %q, %v", key, p, err)
		}
		if seen[key] || seen[prefix] {
			t.Fatalf("repeated %q", key)
		}
		seen[key], seen[prefix] = true, true
	}
}

func TestParseKeyMalformed(t *testing.T) {
	key, _, _ := apikey.Generate()
	secret := key[len("dmr_")+apikey.PrefixLength+1:]
	for name, in := range map[string]string{
		"empty":             "",
		"no dmr_":           "xyz_" + key[4:],
		"upper-case prefix": "dmr_" + strings.ToUpper(key[4:16]) + key[16:],
		"non-hex prefix":    "dmr_zzzzzzzzzzzz" + key[16:],
		"no dot":            key[:16] + "_" + key[17:],
		"short secret":      key[:len(key)-1],
		"long secret":       key + "A",
		"secret with '.'":   key[:17] + "." + secret[1:],
		"padded":            key[:len(key)-1] + "=",
		"standard base64":   key[:17] + strings.Repeat("+", len(secret)),
		"non-canonical end": key[:len(key)-1] + "B", // unused low bits set: only A, E, I… are canonical
		"Bearer":            "Bearer " + key,
		"whitespace":        " " + key[1:],
	} {
		if p, err := apikey.ParseKey(in); err != apikey.ErrMalformed {
			t.Errorf("%s: ParseKey(%q) = %q, %v", name, in, p, err)
		}
	}
}

func FuzzParseKey(f *testing.F) {
	key, _, _ := apikey.Generate()
	f.Add(key)
	f.Add("dmr_0123456789ab." + strings.Repeat("A", 43))
	f.Add("dmr_.")
	f.Fuzz(func(t *testing.T, in string) {
		p, err := apikey.ParseKey(in)
		if err != nil {
			if err != apikey.ErrMalformed || p != "" {
				t.Fatalf("%q, %v", p, err)
			}
			return
		}
		if !apikey.ValidPrefix(p) || len(in) != apikey.KeyLength || in[:len("dmr_")+apikey.PrefixLength] != "dmr_"+p {
			t.Fatalf("accepted %q with prefix %q", in, p)
		}
	})
}

// The three databases.
var dbs = []struct {
	name string
	open func(t testing.TB) *sqldb.DB
}{
	{"sqlite", func(t testing.TB) *sqldb.DB { return openDB(t, "sqlite:"+filepath.Join(t.TempDir(), "db.sqlite3")) }},
	{"postgres", func(t testing.TB) *sqldb.DB { return openDB(t, testenv.PostgresURL(t)) }},
	{"mysql", func(t testing.TB) *sqldb.DB { return openDB(t, testenv.MySQLURL(t)) }},
}

func openDB(t testing.TB, url string) *sqldb.DB {
	t.Helper()
	db, err := sqldb.Open(context.Background(), url, sqldb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newStore(t testing.TB, db *sqldb.DB, o apikey.StoreOptions) *apikey.Store {
	t.Helper()
	s, err := apikey.NewStore(db, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateTables(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) {
	for _, d := range dbs {
		t.Run(d.name, func(t *testing.T) {
			ctx := context.Background()
			db := d.open(t)
			clk := fakeclock.New(time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC))
			// CreateTables is idempotent and safe under concurrency.
			var wg sync.WaitGroup
			errs := make(chan error, 4)
			for range 4 {
				wg.Go(func() {
					s, err := apikey.NewStore(db, apikey.StoreOptions{})
					if err == nil {
						err = s.CreateTables(ctx)
						s.Close()
					}
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			s := newStore(t, db, apikey.StoreOptions{Now: clk.Now, CacheTTL: time.Hour})

			exp := clk.Now().Add(time.Hour)
			key, k, err := s.Create(ctx, "42", "ci script", &exp)
			if err != nil {
				t.Fatal(err)
			}
			uuidKey, _, err := s.Create(ctx, "0d9c4f0e-8a3b-4c1e-9d1e-3f4a5b6c7d8e", "", nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Check(ctx, key)
			if err != nil || got.ID != k.ID || got.UserID != "42" || got.Name != "ci script" ||
				!got.Created.Equal(clk.Now().Truncate(time.Microsecond)) || got.Expires == nil || !got.Expires.Equal(exp.Truncate(time.Microsecond)) || got.Revoked != nil {
				t.Fatalf("Check: %+v, %v (created %+v)", got, err, k)
			}
			if got, err := s.Check(ctx, uuidKey); err != nil || got.UserID != "0d9c4f0e-8a3b-4c1e-9d1e-3f4a5b6c7d8e" || got.Expires != nil {
				t.Fatalf("Check uuid: %+v, %v", got, err)
			}
			// A wrong secret under a known prefix, an unknown prefix, junk.
			other, _, _ := apikey.Generate()
			wrong := key[:17] + other[17:]
			for _, bad := range []string{wrong, other} {
				if _, err := s.Check(ctx, bad); !errors.Is(err, apikey.ErrNotFound) {
					t.Fatalf("Check(%q): %v", bad, err)
				}
			}
			if _, err := s.Check(ctx, "dmr_nope"); !errors.Is(err, apikey.ErrMalformed) {
				t.Fatalf("junk: %v", err)
			}
			// Expiry.
			clk.Add(time.Hour)
			if _, err := s.Check(ctx, key); !errors.Is(err, apikey.ErrExpired) {
				t.Fatalf("expired: %v", err)
			}
			// Revocation through this store takes effect at once, despite the
			// hour-long cache.
			if _, err := s.Check(ctx, uuidKey); err != nil {
				t.Fatal(err)
			}
			p, _ := apikey.ParseKey(uuidKey)
			if err := s.Revoke(ctx, p); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Check(ctx, uuidKey); !errors.Is(err, apikey.ErrRevoked) {
				t.Fatalf("revoked: %v", err)
			}
			if err := s.Revoke(ctx, p); err != nil {
				t.Fatalf("revoking twice: %v", err)
			}
			if err := s.Revoke(ctx, "000000000000"); !errors.Is(err, apikey.ErrNotFound) {
				t.Fatalf("revoking an unknown key: %v", err)
			}
			keys, err := s.List(ctx)
			if err != nil || len(keys) != 2 || keys[0].Prefix != k.Prefix || keys[1].Prefix != p || keys[1].Revoked == nil {
				t.Fatalf("List: %v %v", keys, err)
			}
			// Another process's store (no shared cache) sees the revocation.
			s2 := newStore(t, db, apikey.StoreOptions{CacheTTL: -1})
			if _, err := s2.Check(ctx, uuidKey); !errors.Is(err, apikey.ErrRevoked) {
				t.Fatalf("second store: %v", err)
			}
			if _, _, err := s.Create(ctx, "", "x", nil); err == nil {
				t.Fatal("created a key without a user")
			}
			if _, _, err := s.Create(ctx, "1", strings.Repeat("é", apikey.MaxNameLength+1), nil); err == nil {
				t.Fatal("created a key with a long name")
			}
		})
	}
}

type app struct {
	h     http.Handler
	api   *dmr.API
	store *apikey.Store
	a     *auth.Auth
	clk   *fakeclock.Clock
	alice *auth.User
	bob   *auth.User
}

type whoami struct {
	Username string `json:"username"`
	Key      string `json:"key"`
}

func newApp(t testing.TB, o apikey.Options) *app {
	t.Helper()
	ap := &app{clk: fakeclock.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))}
	var err error
	ap.a, err = auth.New(auth.Options{SecretKey: []byte("k"), Users: &auth.MemoryUsers{},
		Hashers: &hashers.Hashers{List: []hashers.Hasher{&hashers.PBKDF2{Iterations: 10}}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ap.alice, _ = ap.a.CreateUser(ctx, auth.NewUser{Username: "alice", Password: "x"})
	ap.bob, _ = ap.a.CreateUser(ctx, auth.NewUser{Username: "bob", Password: "x", Inactive: true})
	ap.store = newStore(t, openDB(t, "sqlite:"+filepath.Join(t.TempDir(), "db.sqlite3")), apikey.StoreOptions{Now: ap.clk.Now})
	o.Store, o.Auth = ap.store, ap.a
	ak, err := apikey.New(o)
	if err != nil {
		t.Fatal(err)
	}
	ap.api = dmr.New(dmr.Config{Title: "T", Version: "1", Prefix: "/api"})
	c := ap.api.Controller(dmr.ControllerConfig{Name: "Me", Path: "/me/", Auth: []security.Auth{ak}})
	dmr.Post(c, dmr.Operation{Status: 200}, func(ctx context.Context, _ *struct{}) (*whoami, error) {
		k := apikey.FromContext(ctx)
		return &whoami{Username: auth.UserFromContext(ctx).Username, Key: k.Name}, nil
	})
	ap.h = ap.api
	return ap
}

func (ap *app) key(t *testing.T, u *auth.User, exp *time.Time) string {
	t.Helper()
	k, _, err := ap.store.Create(context.Background(), u.ID, "k-"+u.Username, exp)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestAuthenticate(t *testing.T) {
	for _, mode := range []string{"header", "cookie"} {
		t.Run(mode, func(t *testing.T) {
			var o apikey.Options
			if mode == "cookie" {
				o.Cookie = "apikey"
			}
			ap := newApp(t, o)
			good := ap.key(t, ap.alice, nil)
			exp := ap.clk.Now().Add(time.Minute)
			expiring := ap.key(t, ap.alice, &exp)
			revoked := ap.key(t, ap.alice, nil)
			p, _ := apikey.ParseKey(revoked)
			if err := ap.store.Revoke(context.Background(), p); err != nil {
				t.Fatal(err)
			}
			inactive := ap.key(t, ap.bob, nil)
			orphan, _, _ := ap.store.Create(context.Background(), "999", "", nil)
			ap.clk.Add(time.Minute)
			do := func(vals ...string) *httptest.ResponseRecorder {
				r := httptest.NewRequest("POST", "/api/me/", nil)
				for _, v := range vals {
					if mode == "cookie" {
						r.AddCookie(&http.Cookie{Name: "apikey", Value: v})
					} else {
						r.Header.Add("X-API-Key", v)
					}
				}
				w := httptest.NewRecorder()
				ap.h.ServeHTTP(w, r)
				return w
			}
			w := do(good)
			if w.Code != 200 || w.Body.String() != `{"username":"alice","key":"k-alice"}` {
				t.Fatalf("good key: %d %s", w.Code, w.Body)
			}
			for name, vals := range map[string][]string{
				"absent": nil, "empty": {""}, "malformed": {"dmr_abc"}, "expired": {expiring}, "revoked": {revoked},
				"inactive user": {inactive}, "missing user": {orphan}, "two keys": {good, good},
				"wrong secret": {good[:17] + revoked[17:]},
			} {
				w := do(vals...)
				if w.Code != 401 || w.Body.String() != `{"detail":[{"msg":"Not authenticated","type":"security"}]}` {
					t.Errorf("%s: %d %s", name, w.Code, w.Body)
				}
				if h := w.Header().Values("WWW-Authenticate"); h != nil {
					t.Errorf("%s: an API key has no challenge, got %q", name, h)
				}
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		o    apikey.Options
		want string
	}{
		{apikey.Options{}, `{"type":"apiKey","description":"` + apikey.SchemeDescription + `","name":"X-API-Key","in":"header"}`},
		{apikey.Options{Header: "X-Token", SchemeName: "tok"}, `{"type":"apiKey","description":"` + apikey.SchemeDescription + `","name":"X-Token","in":"header"}`},
		{apikey.Options{Cookie: "apikey"}, `{"type":"apiKey","description":"` + apikey.SchemeDescription + `","name":"apikey","in":"cookie"}`},
	} {
		ap := newApp(t, tc.o)
		b, err := ap.api.DocumentJSON()
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Components struct {
				SecuritySchemes map[string]json.RawMessage `json:"securitySchemes"`
			}
		}
		json.Unmarshal(b, &doc)
		name := tc.o.SchemeName
		if name == "" {
			name = apikey.DefaultSchemeName
		}
		if got := string(doc.Components.SecuritySchemes[name]); got != tc.want {
			t.Errorf("%+v: %s", tc.o, got)
		}
	}
	a, _ := auth.New(auth.Options{SecretKey: []byte("k"), Users: &auth.MemoryUsers{}})
	s := newStore(t, openDB(t, "sqlite:"+filepath.Join(t.TempDir(), "db.sqlite3")), apikey.StoreOptions{})
	for _, o := range []apikey.Options{
		{}, {Store: s}, {Store: s, Auth: a, Header: "Authorization"}, {Store: s, Auth: a, Header: "X Key"},
		{Store: s, Auth: a, Cookie: "a;b"}, {Store: s, Auth: a, SchemeName: "a b"},
	} {
		if _, err := apikey.New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
}

// BenchmarkCachedCheck authenticates a request whose key row is in the
// cache (the user comes from MemoryUsers).
func BenchmarkCachedCheck(b *testing.B) {
	ap := newApp(b, apikey.Options{})
	key, _, err := ap.store.Create(context.Background(), ap.alice.ID, "bench", nil)
	if err != nil {
		b.Fatal(err)
	}
	ak, _ := apikey.New(apikey.Options{Store: ap.store, Auth: ap.a})
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-API-Key", key)
	b.ReportAllocs()
	for b.Loop() {
		if r2, err := ak.Authenticate(r); r2 == nil || err != nil {
			b.Fatal(fmt.Sprint(err))
		}
	}
}

// A store slower than its deadline answers 503 with Retry-After, not 401.
// PostgreSQL: on SQLite a key lookup is not bounded by Options.Timeout
// (sqldb.PointContext).
func TestStoreUnavailable(t *testing.T) {
	path := testenv.PostgresURL(t)
	ok := newStore(t, openDB(t, path), apikey.StoreOptions{})
	a, _ := auth.New(auth.Options{SecretKey: []byte("k"), Users: &auth.MemoryUsers{}})
	u, _ := a.CreateUser(context.Background(), auth.NewUser{Username: "ann", NoPassword: true})
	key, _, err := ok.Create(context.Background(), u.ID, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	slow, err := sqldb.Open(context.Background(), path, sqldb.Options{Lazy: true, Timeout: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	s, _ := apikey.NewStore(slow, apikey.StoreOptions{})
	ak, _ := apikey.New(apikey.Options{Store: s, Auth: a})
	api := dmr.New(dmr.Config{Prefix: "/api"})
	c := api.Controller(dmr.ControllerConfig{Name: "Me", Path: "/me/", Auth: []security.Auth{ak}})
	dmr.Get(c, dmr.Operation{}, func(context.Context, *struct{}) (*string, error) { s := ""; return &s, nil })
	r := httptest.NewRequest("GET", "/api/me/", nil)
	r.Header.Set("X-API-Key", key)
	w := httptest.NewRecorder()
	api.ServeHTTP(w, r)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Fatalf("%d %q %s", w.Code, w.Header(), w.Body)
	}
}
