package userdb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/hashers"
	"github.com/dmr-go/dmr/internal/testenv"
	"github.com/dmr-go/dmr/pyjson"
	"github.com/dmr-go/dmr/sessions"
	"github.com/dmr-go/dmr/sessions/dbstore"
	"github.com/dmr-go/dmr/sessions/sessionstest"
	"github.com/dmr-go/dmr/sqldb"
)

// joinEnv is a SessionJoin behind the session and auth middlewares, on a
// pool that counts its queries, and the same database through a plain pool
// for the test's own changes (as Django or another process would make them).
type joinEnv struct {
	t       testing.TB
	real    *sqldb.DB
	plain   *dbstore.Store // on real: writes sessions without hints
	users   *Store         // on real
	join    *SessionJoin   // on the counting pool
	a       *auth.Auth
	h       http.Handler
	queries *atomic.Int64
	model   Model
}

func joinURLs() map[string]func(t testing.TB) string {
	return map[string]func(t testing.TB) string{
		"sqlite":   func(t testing.TB) string { return "sqlite:" + filepath.Join(t.TempDir(), "db.sqlite3") },
		"postgres": testenv.PostgresURL,
		"mysql":    testenv.MySQLURL,
	}
}

// newJoinEnv opens the tables of m (the stock model, or the UUID-keyed
// accounts.CustomUser of customDDL) at url.
func newJoinEnv(t testing.TB, url string, m Model) *joinEnv {
	t.Helper()
	ctx := context.Background()
	real := openURL(t, url)
	codec, err := sessions.NewCodec(sessions.CodecOptions{SecretKey: []byte(secretKey)})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := dbstore.New(real, dbstore.Options{Codec: codec})
	if err != nil {
		t.Fatal(err)
	}
	if err := plain.CreateTables(ctx); err != nil {
		t.Fatal(err)
	}
	if m.IsStock() {
		s, err := New(real)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreateTables(ctx); err != nil {
			t.Fatal(err)
		}
	} else {
		for _, stmt := range customDDL[real.Dialect] {
			if _, err := real.Write.ExecContext(ctx, stmt); err != nil {
				t.Fatal(err)
			}
		}
	}
	users, err := Open(ctx, real, m)
	if err != nil {
		t.Fatal(err)
	}
	cdb, n := countingDB(t, url)
	cs, err := dbstore.New(cdb, dbstore.Options{Codec: codec, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	cu, err := Open(ctx, cdb, m)
	if err != nil {
		t.Fatal(err)
	}
	j, err := NewSessionJoin(cs, cu, SessionJoinOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e := &joinEnv{t: t, real: real, plain: plain, users: users, join: j, queries: n, model: m}
	e.stack(cu)
	return e
}

// stack puts the session middleware on the SessionJoin and auth on users
// (the join's user store, or a cache in front of it) in front of a handler
// that writes the current user's name.
func (e *joinEnv) stack(users auth.UserStore) {
	e.t.Helper()
	a, err := auth.New(auth.Options{SecretKey: []byte(secretKey), Users: users,
		Hashers: &hashers.Hashers{List: []hashers.Hasher{&hashers.PBKDF2{Iterations: 2}}}})
	if err != nil {
		e.t.Fatal(err)
	}
	sm, err := sessions.NewMiddleware(sessions.Options{Store: e.join})
	if err != nil {
		e.t.Fatal(err)
	}
	e.a = a
	e.h = sm.Handler(a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := auth.CurrentUser(r.Context())
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		if !u.IsAuthenticated() {
			fmt.Fprint(w, "anonymous")
			return
		}
		fmt.Fprint(w, u.Username)
	})))
}

// user creates a user with password pw.
func (e *joinEnv) user(name string) *auth.User {
	e.t.Helper()
	u := &auth.User{Username: name, Password: "pbkdf2_sha256$2$salt$" + name, IsActive: true}
	if err := e.users.CreateUser(context.Background(), u); err != nil {
		e.t.Fatal(err)
	}
	return u
}

// sessionData is what Django's login stores for u.
func (e *joinEnv) sessionData(u *auth.User) *pyjson.Object {
	o := pyjson.NewObject(3)
	o.Set(auth.SessionKeyUserID, u.ID)
	o.Set(auth.SessionKeyBackend, auth.DefaultBackendPath)
	o.Set(auth.SessionKeyHash, e.a.SessionAuthHash(u.Password))
	return o
}

// login writes a session of u under key as another process would (no hint).
func (e *joinEnv) login(key string, u *auth.User) {
	e.t.Helper()
	r := sessions.Record{Key: key, Data: e.sessionData(u), Expiry: time.Now().Add(time.Hour)}
	if _, err := e.plain.Save(context.Background(), r); errors.Is(err, sessions.ErrNotFound) {
		_, err = e.plain.Create(context.Background(), r)
		if err != nil {
			e.t.Fatal(err)
		}
	} else if err != nil {
		e.t.Fatal(err)
	}
}

func (e *joinEnv) exec(query string, args ...any) {
	e.t.Helper()
	if _, err := e.real.Write.ExecContext(context.Background(), e.real.Dialect.Rebind(query), args...); err != nil {
		e.t.Fatal(err)
	}
}

// serve runs a request with the session cookie key and returns the body and
// the number of queries it made.
func (e *joinEnv) serve(key string) (string, int64) {
	e.t.Helper()
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: "sessionid", Value: key})
	w := httptest.NewRecorder()
	before := e.queries.Load()
	e.h.ServeHTTP(w, r)
	if w.Code != 200 {
		e.t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	return w.Body.String(), e.queries.Load() - before
}

func (e *joinEnv) expect(key, want string, wantQueries int64) {
	e.t.Helper()
	got, n := e.serve(key)
	if got != want || (wantQueries >= 0 && n != wantQueries) {
		e.t.Fatalf("request: %q in %d queries, want %q in %d", got, n, want, wantQueries)
	}
}

var joinModels = map[string]Model{
	"stock": {},
	"uuid":  {Name: "accounts.CustomUser", UsernameField: "email"},
}

func TestSessionJoin(t *testing.T) {
	const key = "abcdefghijklmnopqrstuvwxyz012345"
	tests := []struct {
		name string
		run  func(e *joinEnv, alice, bob *auth.User)
	}{
		{"one query from the second request", func(e *joinEnv, alice, _ *auth.User) {
			e.expect(key, alice.Username, 2)
			e.expect(key, alice.Username, 1)
			e.expect(key, alice.Username, 1)
		}},
		{"session of another user now", func(e *joinEnv, alice, bob *auth.User) {
			e.expect(key, alice.Username, 2)
			e.login(key, bob) // the hint still names alice
			e.expect(key, bob.Username, 2)
			e.expect(key, bob.Username, 1)
		}},
		{"deleted user", func(e *joinEnv, alice, _ *auth.User) {
			e.expect(key, alice.Username, 2)
			e.exec(`DELETE FROM `+e.real.Dialect.Quote(e.users.l.table)+` WHERE `+e.real.Dialect.Quote("id")+` = ?`, e.pk(alice))
			// No row joins: the join itself says there is none.
			e.expect(key, "anonymous", 1)
			e.expect(key, "anonymous", 1)
		}},
		{"deactivated user", func(e *joinEnv, alice, _ *auth.User) {
			e.expect(key, alice.Username, 2)
			e.exec(`UPDATE `+e.real.Dialect.Quote(e.users.l.table)+` SET `+e.real.Dialect.Quote("is_active")+` = ? WHERE `+e.real.Dialect.Quote("id")+` = ?`, false, e.pk(alice))
			e.expect(key, "anonymous", 1)
		}},
		{"password changed", func(e *joinEnv, alice, _ *auth.User) {
			e.expect(key, alice.Username, 2)
			if err := e.users.SetPassword(context.Background(), alice.ID, "pbkdf2_sha256$2$salt$other"); err != nil {
				e.t.Fatal(err)
			}
			e.expect(key, "anonymous", -1) // and the session is flushed
			if _, err := e.plain.Load(context.Background(), key); !errors.Is(err, sessions.ErrNotFound) {
				e.t.Fatalf("session after a password change: %v", err)
			}
			e.expect(key, "anonymous", 1)
		}},
		{"expired session", func(e *joinEnv, alice, _ *auth.User) {
			e.expect(key, alice.Username, 2)
			e.exec(`UPDATE `+e.real.Dialect.Quote("django_session")+` SET `+e.real.Dialect.Quote("expire_date")+` = ?`, e.real.Dialect.TimeArg(time.Now().Add(-time.Minute)))
			e.expect(key, "anonymous", 1)
		}},
		{"deleted session", func(e *joinEnv, alice, _ *auth.User) {
			e.expect(key, alice.Username, 2)
			if err := e.plain.Delete(context.Background(), key); err != nil {
				e.t.Fatal(err)
			}
			e.expect(key, "anonymous", 1)
			if n := e.join.hints.Len(); n != 0 {
				e.t.Errorf("%d hints left for a missing session", n)
			}
		}},
		{"logged out in the session data", func(e *joinEnv, alice, _ *auth.User) {
			e.expect(key, alice.Username, 2)
			r := sessions.Record{Key: key, Data: pyjson.NewObject(0), Expiry: time.Now().Add(time.Hour)}
			if _, err := e.plain.Save(context.Background(), r); err != nil {
				e.t.Fatal(err)
			}
			e.expect(key, "anonymous", 1)
			e.expect(key, "anonymous", 1)
		}},
		{"corrupted session data", func(e *joinEnv, alice, _ *auth.User) {
			e.expect(key, alice.Username, 2)
			e.exec(`UPDATE `+e.real.Dialect.Quote("django_session")+` SET `+e.real.Dialect.Quote("session_data")+` = ?`, "not signed")
			e.expect(key, "anonymous", 1)
		}},
	}
	for dname, url := range joinURLs() {
		for mname, m := range joinModels {
			for _, tc := range tests {
				t.Run(dname+"/"+mname+"/"+tc.name, func(t *testing.T) {
					e := newJoinEnv(t, url(t), m)
					alice, bob := e.user("alice@example.com"), e.user("bob@example.com")
					e.login(key, alice)
					tc.run(e, alice, bob)
				})
			}
		}
	}
}

// pk is u's key as the table stores it.
func (e *joinEnv) pk(u *auth.User) any {
	a, ok := e.users.PKArg(u.ID)
	if !ok {
		e.t.Fatalf("PKArg(%q)", u.ID)
	}
	return a
}

// A login made through the SessionJoin sets the hint: the next request is
// joined at once; a logout drops it.
func TestSessionJoinLogin(t *testing.T) {
	e := newJoinEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "db.sqlite3"), Model{})
	alice := e.user("alice")
	ctx := context.Background()
	r := sessions.Record{Key: "k0123456789abcdef", Data: e.sessionData(alice), Expiry: time.Now().Add(time.Hour)}
	if _, err := e.join.Create(ctx, r); err != nil {
		t.Fatal(err)
	}
	e.expect(r.Key, "alice", 1)
	if err := e.join.Delete(ctx, r.Key); err != nil {
		t.Fatal(err)
	}
	if n := e.join.hints.Len(); n != 0 {
		t.Errorf("%d hints after Delete", n)
	}
	e.expect(r.Key, "anonymous", 1)
}

// The attached row is used only for the session's user id, only by the
// store that loaded it, and a LocalCache in front never keeps it.
func TestSessionJoinAttachment(t *testing.T) {
	e := newJoinEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "db.sqlite3"), Model{})
	alice, bob := e.user("alice"), e.user("bob")
	const key = "abcdefghijklmnopqrstuvwxyz012345"
	e.login(key, alice)
	ctx := context.Background()
	if r, err := e.join.Load(ctx, key); err != nil || r.Attachment != nil {
		t.Fatalf("first load: %v, attachment %v", err, r.Attachment)
	}
	r, err := e.join.Load(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	l, ok := r.Attachment.(*auth.LoadedUser)
	if !ok || l.ID != alice.ID || l.User.Username != "alice" || l.Store != any(e.join.Users()) {
		t.Fatalf("attachment %#v", r.Attachment)
	}

	lc, err := sessions.NewLocalCache(e.join, sessions.LocalCacheOptions{TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	got, err := lc.Load(ctx, key)
	if err != nil || got.Attachment == nil {
		t.Fatalf("miss: %v, attachment %v", err, got.Attachment)
	}
	before := e.queries.Load()
	got, err = lc.Load(ctx, key)
	if err != nil || got.Attachment != nil || e.queries.Load() != before {
		t.Fatalf("hit: %v, attachment %v, %d queries", err, got.Attachment, e.queries.Load()-before)
	}

	// The row reaches UserByID through GetUser only: a plain call queries.
	before = e.queries.Load()
	if u, err := e.join.Users().UserByID(ctx, bob.ID); err != nil || u.Username != "bob" || e.queries.Load() != before+1 {
		t.Fatalf("UserByID = %v, %v", u, err)
	}
}

// An auth.UserCache in front of the user store caches the attached row as
// it caches a queried one: a miss stores it, a hit queries nothing, and a
// change made elsewhere shows once the entry is gone.
func TestSessionJoinUserCache(t *testing.T) {
	e := newJoinEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "db.sqlite3"), Model{})
	uc, err := auth.NewUserCache(e.join.Users(), auth.UserCacheOptions{TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	e.stack(uc)
	alice := e.user("alice")
	const key = "abcdefghijklmnopqrstuvwxyz012345"
	e.login(key, alice)
	e.expect(key, "alice", 2) // no hint, cache miss: the user query
	uc.Invalidate(alice.ID)
	e.expect(key, "alice", 1) // joined, cache miss: the attached row, cached
	e.exec(`UPDATE "auth_user" SET "username" = ?`, "alice2")
	e.expect(key, "alice", 1) // cache hit, as without SessionJoin
	uc.Invalidate(alice.ID)
	e.expect(key, "alice2", 1)
}

func TestNewSessionJoinErrors(t *testing.T) {
	db := openURL(t, "sqlite:"+filepath.Join(t.TempDir(), "a.sqlite3"))
	other := openURL(t, "sqlite:"+filepath.Join(t.TempDir(), "b.sqlite3"))
	codec, err := sessions.NewCodec(sessions.CodecOptions{SecretKey: []byte(secretKey)})
	if err != nil {
		t.Fatal(err)
	}
	ss, _ := dbstore.New(db, dbstore.Options{Codec: codec})
	us, _ := New(db)
	uo, _ := New(other)
	for _, tc := range []struct {
		name string
		s    *dbstore.Store
		u    *Store
		opts SessionJoinOptions
	}{
		{"nil sessions", nil, us, SessionJoinOptions{}},
		{"nil users", ss, nil, SessionJoinOptions{}},
		{"other database", ss, uo, SessionJoinOptions{}},
		{"negative MaxHints", ss, us, SessionJoinOptions{MaxHints: -1}},
	} {
		if _, err := NewSessionJoin(tc.s, tc.u, tc.opts); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

func TestHintsBounded(t *testing.T) {
	h := newHints(100)
	for i := range 10_000 {
		h.Put(fmt.Sprint("key", i), "1")
	}
	if n := h.Len(); n > 100+hintShards || n == 0 {
		t.Fatalf("%d hints, bound 100", n)
	}
	h.Put("k", "1")
	h.Put("k", "2")
	if id, ok := h.Get("k"); !ok || id != "2" {
		t.Fatalf("get = %q %v", id, ok)
	}
	h.Delete("k")
	if _, ok := h.Get("k"); ok {
		t.Fatal("dropped hint still there")
	}
}

// TestSessionJoinConformance runs the sessions.Store contract suite on a
// SessionJoin: its delegation to the session table (the suite's sessions
// name no user; TestSessionJoin covers the joined loads).
func TestSessionJoinConformance(t *testing.T) {
	for dname, url := range joinURLs() {
		t.Run(dname, func(t *testing.T) {
			sessionstest.Run(t, func(t *testing.T, now func() time.Time) sessions.Store {
				ctx := context.Background()
				db := openURL(t, url(t))
				codec, err := sessions.NewCodec(sessions.CodecOptions{SecretKey: []byte(secretKey)})
				if err != nil {
					t.Fatal(err)
				}
				ss, err := dbstore.New(db, dbstore.Options{Codec: codec, Now: now})
				if err != nil {
					t.Fatal(err)
				}
				us, err := New(db)
				if err != nil {
					t.Fatal(err)
				}
				if err := errors.Join(ss.CreateTables(ctx), us.CreateTables(ctx)); err != nil {
					t.Fatal(err)
				}
				j, err := NewSessionJoin(ss, us, SessionJoinOptions{MaxHints: 4})
				if err != nil {
					t.Fatal(err)
				}
				return j
			})
		})
	}
}
