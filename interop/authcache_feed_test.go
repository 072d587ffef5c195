package interop_test

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/internal/djangotest"
	"github.com/dmr-go/dmr/manage"
	"github.com/dmr-go/dmr/sessions"
)

// Django 5.2 and Go share a database with DMR_AUTH_CACHE=notify
// (PostgreSQL) or changelog (SQLite, MariaDB): Django's migrations run with
// the triggers in place, and a logout, a permission granted and a
// deactivation made by Django reach Go's caches within the feed's bound
// (and a password change, which ends the user's sessions through the session
// auth hash checked on the cached row).
// The time from Django's commit (its command returning) to Go seeing the
// change is logged.
func TestAuthCacheFeedDjango(t *testing.T) {
	const emailBackend = "accounts.backends.EmailBackend"
	for _, m := range []struct {
		name, model, username, perm string
	}{
		{"auth.User", "", "ann", "auth.view_user"},
		// UUID keys: the triggers' key (hyphenated on PostgreSQL, 32 hex
		// digits on SQLite and MariaDB) reaches the cache as str(pk).
		{"CustomUser", "accounts.CustomUser", "ann@example.com", "accounts.view_customuser"},
	} {
		for _, kind := range sessionDatabases {
			t.Run(m.name+"/"+kind, func(t *testing.T) {
				testAuthCacheFeedDjango(t, kind, m.model, m.username, m.perm, emailBackend)
			})
		}
	}
}

func testAuthCacheFeedDjango(t *testing.T, kind, model, username, perm, emailBackend string) {
	ctx := context.Background()
	db := newDatabase(t, kind)
	djc := djangotest.Config{DB: db.URL}
	if model != "" {
		djc.AuthUserModel = model
		djc.AuthenticationBackends = []string{emailBackend, "django.contrib.auth.backends.ModelBackend"}
	}
	dj := djangotest.New(t, "5.2", djc)
	if model == "" {
		// auth at its first migration, sessions complete: the
		// triggers then meet auth's eleven later migrations.
		dj.Run("migrate", map[string]any{"app": "auth", "target": "0001"}, nil)
		dj.Run("migrate", map[string]any{"app": "sessions"}, nil)
	} else {
		dj.Migrate(false)
	}
	mode := "changelog"
	if kind == "postgres" {
		mode = "notify"
	}
	vars := map[string]string{manage.EnvDatabaseURL: db.URL, manage.EnvSecretKey: dj.Config().SecretKey, manage.EnvAuthCache: mode}
	if model != "" {
		vars[manage.EnvAuthUserModel] = model
		vars[manage.EnvAuthUsernameField] = "email"
		vars[manage.EnvAuthenticationBackends] = emailBackend + ",django.contrib.auth.backends.ModelBackend"
	}
	lookup := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	app := manage.App{Name: "interop"}
	run := func(args ...string) {
		t.Helper()
		var out, errb bytes.Buffer
		if code := app.Run(ctx, manage.Invocation{Args: args, LookupEnv: lookup, Stdout: &out, Stderr: &errb}); code != 0 {
			t.Fatalf("%v: %s", args, errb.String())
		}
	}
	run("installtriggers")
	dj.Migrate(false) // fails the test if a trigger breaks a migration

	cfg, err := manage.ConfigFromEnv(lookup)
	if err != nil {
		t.Fatal(err)
	}
	env, err := manage.Open(ctx, cfg, manage.Options{Logger: quietLogger})
	switch {
	case kind == "sqlite" && model == "":
		// Django's SQLite schema editor remade auth's tables: their
		// triggers are gone and the start-up check says so.
		if err == nil || !strings.Contains(err.Error(), "installtriggers") {
			t.Fatalf("SQLite after Django's ALTERs: Open %v, want the start-up check's refusal", err)
		}
		t.Logf("after migrate on SQLite: %v", err)
		run("installtriggers")
		if env, err = manage.Open(ctx, cfg, manage.Options{Logger: quietLogger}); err != nil {
			t.Fatal(err)
		}
	case err != nil:
		t.Fatalf("%s: the triggers did not survive Django's migrations: %v", kind, err)
	}
	defer env.Close()
	bound := time.Second // asserted loosely; the measured time is logged
	seen := func(what string, cond func() bool) {
		t.Helper()
		start := time.Now()
		for !cond() {
			if time.Since(start) > bound {
				t.Fatalf("%s: Go did not see it within %v", what, bound)
			}
			time.Sleep(time.Millisecond)
		}
		t.Logf("%s %s %s: %s seen by Go %v after Django's command returned", cmp.Or(model, "auth.User"), kind, mode, what, time.Since(start).Round(100*time.Microsecond))
	}

	dj.CreateUserWith(username, "pw", nil)
	login := dj.Login(username, "pw")
	if !login.OK {
		t.Fatalf("Django login: %+v", login)
	}
	rec, err := env.Store.Load(ctx, login.SessionID)
	if err != nil {
		t.Fatalf("Go load of Django's session: %v", err)
	}
	id, _ := rec.Data.Get("_auth_user_id")
	uid, _ := id.(string)
	u, err := env.Users.UserByID(ctx, uid)
	if err != nil || !u.IsActive {
		t.Fatalf("UserByID(%q): %+v %v", uid, u, err)
	}
	perms, err := env.Auth.UserPermissions(ctx, u)
	if err != nil || perms.Has(perm) {
		t.Fatalf("permissions before: %v %v", perms.List(), err)
	}

	// warm caches the session, the user and its permissions, so
	// that each measurement starts from a cached entry.
	warm := func() {
		t.Helper()
		if _, err := env.Store.Load(ctx, login.SessionID); err != nil {
			t.Fatal(err)
		}
		if _, err := env.Users.UserByID(ctx, uid); err != nil {
			t.Fatal(err)
		}
		if _, err := env.Auth.UserPermissions(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	warm()
	dj.GrantPerm(username, perm, "")
	seen("a permission granted", func() bool {
		p, err := env.Auth.UserPermissions(ctx, u)
		return err == nil && p.Has(perm)
	})
	warm()
	dj.RevokePerm(username, perm, "")
	seen("a permission revoked", func() bool {
		p, err := env.Auth.UserPermissions(ctx, u)
		return err == nil && !p.Has(perm)
	})
	warm()
	warm()
	dj.GrantPerm(username, perm, "editors")
	seen("a group permission granted", func() bool {
		p, err := env.Auth.UserPermissions(ctx, u)
		return err == nil && p.Has(perm)
	})
	warm()
	newHash := dj.SetPassword(username, "pw2")
	seen("a password change", func() bool {
		got, err := env.Users.UserByID(ctx, uid)
		return err == nil && got.Password == newHash && newHash != u.Password
	})
	warm()
	dj.Run("set-active", map[string]any{"username": username, "is_active": false}, nil)
	seen("a deactivation", func() bool {
		got, err := env.Users.UserByID(ctx, uid)
		return err == nil && !got.IsActive
	})
	warm()
	dj.Run("session-delete", map[string]any{"key": login.SessionID}, nil)
	seen("a logout (session row deleted)", func() bool {
		_, err := env.Store.Load(ctx, login.SessionID)
		return errors.Is(err, sessions.ErrNotFound)
	})
	if _, ok := env.Users.(*auth.UserCache); !ok {
		t.Fatal("no user cache")
	}
	if f := env.AuthCacheFeed(); f == nil || !f.Live() || f.Resets() != 0 {
		t.Fatalf("feed %v: want live with no reset over the run", f)
	}
}
