package auth_test

import (
	"context"
	"database/sql"
	"errors"
	"github.com/dmr-go/dmr/sqldb"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/hashers"
	"github.com/dmr-go/dmr/auth/permdb"
	"github.com/dmr-go/dmr/sessions"
)

// permEnv is an Auth on MemoryUsers with permissions in Django's tables on
// SQLite (permdb reads only the permission tables, so the users' rows need
// not be there).
type permEnv struct {
	t      testing.TB
	a      *auth.Auth
	users  *auth.MemoryUsers
	loader *permdb.Loader
	count  *countingSource
	sm     *sessions.Middleware
	exec   func(q string, args ...any)
}

type countingSource struct {
	auth.PermissionSource
	user, all atomic.Int64
	fail      error // fault injection
}

func (c *countingSource) UserPermissions(ctx context.Context, id string) (auth.PermissionSet, error) {
	c.user.Add(1)
	if c.fail != nil {
		return auth.PermissionSet{}, c.fail
	}
	return c.PermissionSource.UserPermissions(ctx, id)
}

func (c *countingSource) AllPermissions(ctx context.Context) (auth.PermissionSet, error) {
	c.all.Add(1)
	if c.fail != nil {
		return auth.PermissionSet{}, c.fail
	}
	return c.PermissionSource.AllPermissions(ctx)
}

func newPermEnv(t testing.TB, wrap func(users auth.UserStore, src auth.PermissionSource) (auth.UserStore, auth.PermissionSource)) *permEnv {
	t.Helper()
	ctx := context.Background()
	db, d, err := openSQL(ctx, "sqlite:"+filepath.Join(t.TempDir(), "db.sqlite3"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`CREATE TABLE "auth_user" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT)`)
	l, err := permdb.New(db, permdb.Options{Dialect: d})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.CreateTables(ctx); err != nil {
		t.Fatal(err)
	}
	e := &permEnv{t: t, users: &auth.MemoryUsers{}, loader: l, exec: exec}
	e.count = &countingSource{PermissionSource: l}
	var users auth.UserStore = e.users
	var src auth.PermissionSource = e.count
	if wrap != nil {
		users, src = wrap(users, src)
	}
	e.a, err = auth.New(auth.Options{
		SecretKey: []byte("perm test secret key"), Users: users, Permissions: src,
		Hashers: &hashers.Hashers{List: []hashers.Hasher{&hashers.PBKDF2{Iterations: 2}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.sm, err = sessions.NewMiddleware(sessions.Options{Store: &sessions.MemoryStore{}})
	if err != nil {
		t.Fatal(err)
	}
	exec(`INSERT INTO django_content_type (id, app_label, model) VALUES (1, 'notes', 'note'), (2, 'auth', 'user')`)
	exec(`INSERT INTO auth_permission (id, name, content_type_id, codename) VALUES
		(1, 'Can view note', 1, 'view_note'), (2, 'Can add note', 1, 'add_note'),
		(3, 'Can delete note', 1, 'delete_note'), (4, 'Can view user', 2, 'view_user')`)
	exec(`INSERT INTO auth_group (id, name) VALUES (1, 'editors')`)
	exec(`INSERT INTO auth_group_permissions (group_id, permission_id) VALUES (1, 2), (1, 1)`)
	return e
}

func (e *permEnv) user(nu auth.NewUser) *auth.User {
	e.t.Helper()
	u, err := e.a.CreateUser(context.Background(), nu)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// request returns a request context whose current user is u (nil:
// anonymous), as the auth middleware leaves it after a login.
func (e *permEnv) request(u *auth.User) context.Context {
	e.t.Helper()
	ctx := context.Background()
	ctx = e.a.WithUser(sessions.NewContext(ctx, e.sm.NewSession(ctx, "", false)))
	if u != nil {
		if err := e.a.Login(ctx, u); err != nil {
			e.t.Fatal(err)
		}
	}
	return ctx
}

func TestHasPermRules(t *testing.T) {
	e := newPermEnv(t, nil)
	direct := e.user(auth.NewUser{Username: "direct"})
	grouped := e.user(auth.NewUser{Username: "grouped"})
	super := e.user(auth.NewUser{Username: "super", IsSuperuser: true})
	inactive := e.user(auth.NewUser{Username: "inactive", Inactive: true})
	inactiveSuper := e.user(auth.NewUser{Username: "inactive-super", IsSuperuser: true, Inactive: true})
	e.exec(`INSERT INTO auth_user_user_permissions (user_id, permission_id) VALUES (?, 3), (?, 3)`, direct.ID, inactive.ID)
	e.exec(`INSERT INTO auth_user_groups (user_id, group_id) VALUES (?, 1), (?, 1)`, grouped.ID, inactive.ID)

	for _, c := range []struct {
		name string
		u    *auth.User
		perm string
		want bool
	}{
		{"direct", direct, "notes.delete_note", true},
		{"direct, not granted", direct, "notes.add_note", false},
		{"via group", grouped, "notes.add_note", true},
		{"via group, not granted", grouped, "notes.delete_note", false},
		{"other app's codename", grouped, "auth.add_note", false},
		{"superuser", super, "notes.delete_note", true},
		{"superuser, permission that does not exist", super, "nothing.at_all", true},
		{"inactive", inactive, "notes.delete_note", false},
		{"inactive superuser", inactiveSuper, "notes.delete_note", false},
		{"anonymous", nil, "notes.view_note", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := e.request(c.u)
			got, err := auth.HasPerm(ctx, c.perm)
			if err != nil || got != c.want {
				t.Errorf("HasPerm = %v, %v; want %v", got, err, c.want)
			}
			if c.u != nil {
				got, err = e.a.UserHasPerm(context.Background(), c.u, c.perm)
				if err != nil || got != c.want {
					t.Errorf("UserHasPerm = %v, %v; want %v", got, err, c.want)
				}
			}
		})
	}

	all := func(u *auth.User) []string {
		t.Helper()
		s, err := auth.AllPermissions(e.request(u))
		if err != nil {
			t.Fatal(err)
		}
		return s.List()
	}
	if got, want := all(grouped), []string{"notes.add_note", "notes.view_note"}; !slices.Equal(got, want) {
		t.Errorf("grouped: %v, want %v", got, want)
	}
	if got, want := all(super), []string{"auth.view_user", "notes.add_note", "notes.delete_note", "notes.view_note"}; !slices.Equal(got, want) {
		t.Errorf("superuser: %v, want %v", got, want)
	}
	if got := all(inactive); len(got) != 0 {
		t.Errorf("inactive: %v", got)
	}
	if got := all(nil); len(got) != 0 {
		t.Errorf("anonymous: %v", got)
	}

	ctx := e.request(grouped)
	if ok, err := auth.HasPerms(ctx, "notes.add_note", "notes.view_note"); !ok || err != nil {
		t.Errorf("HasPerms(both granted) = %v, %v", ok, err)
	}
	if ok, err := auth.HasPerms(ctx, "notes.add_note", "notes.delete_note"); ok || err != nil {
		t.Errorf("HasPerms(one missing) = %v, %v", ok, err)
	}
	if ok, err := auth.HasPerms(ctx); !ok || err != nil {
		t.Errorf("HasPerms() = %v, %v; Django's all([]) is True", ok, err)
	}
	if _, err := auth.HasPerm(context.Background(), "notes.add_note"); !errors.Is(err, auth.ErrNoMiddleware) {
		t.Errorf("without the middleware: %v", err)
	}
}

// A superuser never asks the store (PermissionsMixin.has_perm), so an
// outage does not lock superusers out; everybody else fails closed.
func TestHasPermStoreFailure(t *testing.T) {
	e := newPermEnv(t, nil)
	super := e.user(auth.NewUser{Username: "super", IsSuperuser: true})
	plain := e.user(auth.NewUser{Username: "plain"})
	e.count.fail = errors.New("database is down")
	if ok, err := auth.HasPerm(e.request(super), "notes.add_note"); !ok || err != nil {
		t.Errorf("superuser: %v %v", ok, err)
	}
	ok, err := auth.HasPerm(e.request(plain), "notes.add_note")
	if ok || err == nil || !errors.Is(err, e.count.fail) {
		t.Errorf("plain user during an outage: %v %v", ok, err)
	}
	if n := e.count.all.Load(); n != 0 {
		t.Errorf("AllPermissions asked %d times for HasPerm", n)
	}
}

func TestHasPermLoadsOncePerRequest(t *testing.T) {
	e := newPermEnv(t, nil)
	u := e.user(auth.NewUser{Username: "grouped"})
	e.exec(`INSERT INTO auth_user_groups (user_id, group_id) VALUES (?, 1)`, u.ID)
	ctx := e.request(u)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if ok, err := auth.HasPerm(ctx, "notes.add_note"); !ok || err != nil {
				t.Errorf("HasPerm: %v %v", ok, err)
			}
			if _, err := auth.AllPermissions(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := e.count.user.Load(); n != 1 {
		t.Errorf("%d loads in one request, want 1", n)
	}
	// Logging out in the request drops what was loaded for the old user.
	if err := e.a.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if ok, _ := auth.HasPerm(ctx, "notes.add_note"); ok {
		t.Error("still has the permission after logging out")
	}
	auth.HasPerm(e.request(u), "notes.add_note") // another request loads again
	if n := e.count.user.Load(); n != 2 {
		t.Errorf("%d loads after a second request, want 2", n)
	}
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Permissions cached with the users: a grant or revocation made in the
// database (by Django) shows within the TTL; writes through the cache and
// Invalidate drop them at once.
func TestPermissionCache(t *testing.T) {
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	var uc *auth.UserCache
	e := newPermEnv(t, func(users auth.UserStore, src auth.PermissionSource) (auth.UserStore, auth.PermissionSource) {
		var err error
		uc, err = auth.NewUserCache(users, auth.UserCacheOptions{TTL: time.Second, Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		return uc, uc.CachePermissions(src)
	})
	u := e.user(auth.NewUser{Username: "u"})
	// UserHasPerm, as a new request's HasPerm (logging in through the
	// cache would itself drop the entry: last_login is written).
	has := func() bool {
		t.Helper()
		ok, err := e.a.UserHasPerm(context.Background(), u, "notes.add_note")
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if has() {
		t.Fatal("granted before the grant")
	}
	e.exec(`INSERT INTO auth_user_groups (user_id, group_id) VALUES (?, 1)`, u.ID) // Django grants
	loads := e.count.user.Load()
	if has() {
		t.Error("the grant showed before the TTL: not cached")
	}
	if e.count.user.Load() != loads {
		t.Error("a fresh entry was loaded again")
	}
	clk.Add(time.Second)
	if !has() {
		t.Error("the grant did not show after the TTL")
	}
	e.exec(`DELETE FROM auth_user_groups WHERE user_id = ?`, u.ID) // Django revokes
	if !has() {
		t.Error("revocation showed before the TTL: not cached")
	}
	uc.Invalidate(u.ID)
	if has() {
		t.Error("revocation not seen after Invalidate")
	}
	e.exec(`INSERT INTO auth_user_groups (user_id, group_id) VALUES (?, 1)`, u.ID)
	if err := e.a.SetPassword(context.Background(), u, "new"); err != nil { // a write through the cache
		t.Fatal(err)
	}
	if !has() {
		t.Error("a password change through the cache did not drop the permissions")
	}

	// Superusers' AllPermissions is cached too.
	s := e.user(auth.NewUser{Username: "s", IsSuperuser: true})
	for range 3 {
		if _, err := e.a.UserPermissions(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.count.all.Load(); n != 1 {
		t.Errorf("AllPermissions loaded %d times within the TTL, want 1", n)
	}
}

func TestValidatePermission(t *testing.T) {
	for p, ok := range map[string]bool{
		"notes.add_note": true, "a.b.c": true, "": false, "add_note": false, ".add_note": false, "notes.": false,
	} {
		if err := auth.ValidatePermission(p); (err == nil) != ok {
			t.Errorf("ValidatePermission(%q) = %v", p, err)
		}
	}
}

// HasPerm from the permission cache: a new request's lookup
// (UserHasPerm through UserCache.CachePermissions, no database).
func BenchmarkUserHasPermCached(b *testing.B) {
	var uc *auth.UserCache
	e := newPermEnv(b, func(users auth.UserStore, src auth.PermissionSource) (auth.UserStore, auth.PermissionSource) {
		uc, _ = auth.NewUserCache(users, auth.UserCacheOptions{TTL: time.Hour})
		return uc, uc.CachePermissions(src)
	})
	u := e.user(auth.NewUser{Username: "u"})
	e.exec(`INSERT INTO auth_user_groups (user_id, group_id) VALUES (?, 1)`, u.ID)
	ctx := context.Background()
	if ok, err := e.a.UserHasPerm(ctx, u, "notes.add_note"); !ok || err != nil {
		b.Fatal(ok, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ok, _ := e.a.UserHasPerm(ctx, u, "notes.add_note"); !ok {
			b.Fatal("denied")
		}
	}
}

// HasPerm on a request whose permissions are loaded (every call after the
// first of a request).
func BenchmarkHasPermRequest(b *testing.B) {
	e := newPermEnv(b, nil)
	u := e.user(auth.NewUser{Username: "u"})
	e.exec(`INSERT INTO auth_user_groups (user_id, group_id) VALUES (?, 1)`, u.ID)
	ctx := e.request(u)
	if ok, err := auth.HasPerm(ctx, "notes.add_note"); !ok || err != nil {
		b.Fatal(ok, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ok, _ := auth.HasPerm(ctx, "notes.add_note"); !ok {
			b.Fatal("denied")
		}
	}
}

// openSQL opens url's write pool (the tests use one connection pool).
func openSQL(ctx context.Context, url string) (*sql.DB, sqldb.Dialect, error) {
	db, err := sqldb.Open(ctx, url, sqldb.Options{})
	if err != nil {
		return nil, 0, err
	}
	return db.Write, db.Dialect, nil
}
