package sessionauth_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/hashers"
	"github.com/dmr-go/dmr/auth/permdb"
	"github.com/dmr-go/dmr/auth/userdb"
	"github.com/dmr-go/dmr/csrf"
	"github.com/dmr-go/dmr/internal/testenv"
	"github.com/dmr-go/dmr/security"
	"github.com/dmr-go/dmr/security/sessionauth"
	"github.com/dmr-go/dmr/sessions"
	"github.com/dmr-go/dmr/sqldb"
)

// permApp is the stack on real tables: auth_user (auth/userdb) and Django's
// permission tables (auth/permdb); sessions in memory.
type permApp struct {
	*app
	db   *sql.DB
	d    sqldb.Dialect
	exec func(q string, args ...any)
}

func newPermApp(t *testing.T, db *sql.DB, d sqldb.Dialect) *permApp {
	t.Helper()
	ctx := context.Background()
	users, err := userdb.New(sqldb.New(db, d))
	if err != nil {
		t.Fatal(err)
	}
	if err := users.CreateTables(ctx); err != nil {
		t.Fatal(err)
	}
	perms, err := permdb.New(db, permdb.Options{Dialect: d})
	if err != nil {
		t.Fatal(err)
	}
	if err := perms.CreateTables(ctx); err != nil {
		t.Fatal(err)
	}
	p := &permApp{app: &app{}, db: db, d: d}
	p.exec = func(q string, args ...any) {
		t.Helper()
		if d == sqldb.Postgres {
			n := 0
			var b strings.Builder
			for _, r := range q {
				if r == '?' {
					n++
					b.WriteString("$" + string(rune('0'+n)))
					continue
				}
				b.WriteRune(r)
			}
			q = b.String()
		}
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	sm, err := sessions.NewMiddleware(sessions.Options{Store: &sessions.MemoryStore{}})
	if err != nil {
		t.Fatal(err)
	}
	p.protect, err = csrf.New(csrf.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p.auth, err = auth.New(auth.Options{
		SecretKey: []byte("sessionauth-perm-test"), Users: users, Permissions: perms,
		Hashers: &hashers.Hashers{List: []hashers.Hasher{&hashers.PBKDF2{Iterations: 10}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	p.sessAuth, err = sessionauth.New(sessionauth.Options{Auth: p.auth, CSRF: p.protect, SessionCookieName: sm.CookieName()})
	if err != nil {
		t.Fatal(err)
	}
	p.api = dmr.New(dmr.Config{Title: "Perms", Prefix: "/api"})
	p.sessAuth.RegisterLogin(p.api, nil)
	ok := func(s string) func(ctx context.Context, _ *struct{}) (*string, error) {
		return func(ctx context.Context, _ *struct{}) (*string, error) { return &s, nil }
	}
	notes := p.api.Controller(dmr.ControllerConfig{Name: "NotesController", Path: "/notes/"})
	dmr.Get(notes, dmr.Operation{Auth: []security.Auth{p.sessAuth.With(sessionauth.PermissionRequired("notes.view_note"))}}, ok("list"))
	dmr.Post(notes, dmr.Operation{Status: http.StatusOK, Auth: []security.Auth{p.sessAuth.With(sessionauth.PermissionRequired("notes.add_note"))}}, ok("added"))
	// Staff and a permission: both must pass.
	purge := p.api.Controller(dmr.ControllerConfig{Name: "PurgeController", Path: "/purge/",
		Auth: []security.Auth{p.sessAuth.With(sessionauth.StaffOnly()).With(sessionauth.PermissionRequired("notes.delete_note", "notes.view_note"))}})
	dmr.Delete(purge, dmr.Operation{Status: http.StatusOK}, ok("purged"))

	mux := http.NewServeMux()
	mux.Handle("/api/", p.api)
	p.srv = httptest.NewServer(sm.Handler(p.protect.Middleware(p.auth.Middleware(mux))))
	t.Cleanup(p.srv.Close)

	p.exec(`INSERT INTO django_content_type (id, app_label, model) VALUES (1, 'notes', 'note')`)
	p.exec(`INSERT INTO auth_permission (id, name, content_type_id, codename) VALUES
		(1, 'Can view note', 1, 'view_note'), (2, 'Can add note', 1, 'add_note'), (3, 'Can delete note', 1, 'delete_note')`)
	p.exec(`INSERT INTO auth_group (id, name) VALUES (1, 'writers')`)
	p.exec(`INSERT INTO auth_group_permissions (group_id, permission_id) VALUES (1, 1), (1, 2)`)
	return p
}

func TestPermissionRequired(t *testing.T) {
	for _, dc := range []struct {
		name string
		open func(t *testing.T) (*sql.DB, sqldb.Dialect)
	}{
		{"sqlite", func(t *testing.T) (*sql.DB, sqldb.Dialect) {
			db, d, err := openSQL(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "db.sqlite3"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db, d
		}},
		{"postgres", func(t *testing.T) (*sql.DB, sqldb.Dialect) { return testenv.Postgres(t), sqldb.Postgres }},
	} {
		t.Run(dc.name, func(t *testing.T) {
			db, d := dc.open(t)
			a := newPermApp(t, db, d)
			writer := a.createUser(t, auth.NewUser{Username: "writer", Password: "pw"})
			a.exec(`INSERT INTO auth_user_groups (user_id, group_id) VALUES (?, 1)`, writer.ID) // through the group only
			reader := a.createUser(t, auth.NewUser{Username: "reader", Password: "pw"})
			a.exec(`INSERT INTO auth_user_user_permissions (user_id, permission_id) VALUES (?, 1)`, reader.ID) // directly
			a.createUser(t, auth.NewUser{Username: "nobody", Password: "pw"})
			a.createUser(t, auth.NewUser{Username: "root", Password: "pw", IsSuperuser: true})
			staff := a.createUser(t, auth.NewUser{Username: "staff", Password: "pw", IsStaff: true})
			a.exec(`INSERT INTO auth_user_groups (user_id, group_id) VALUES (?, 1)`, staff.ID)
			a.exec(`INSERT INTO auth_user_user_permissions (user_id, permission_id) VALUES (?, 3)`, staff.ID)
			nonStaff := a.createUser(t, auth.NewUser{Username: "nonstaff", Password: "pw"})
			a.exec(`INSERT INTO auth_user_user_permissions (user_id, permission_id) VALUES (?, 1), (?, 3)`, nonStaff.ID, nonStaff.ID)

			denied := func(perms string) string {
				return `{"detail":[{"msg":"Permission denied: missing ` + perms + `","type":"security"}]}`
			}
			const csrfMissing = `{"detail":[{"msg":"CSRF Failed: CSRF token missing."}]}`
			session := func(user string) *client {
				c := a.client(t)
				want(t, c.login(user, "pw"), 200, "")
				return c
			}
			tok := func(c *client) map[string]string { return map[string]string{"X-CSRFToken": c.cookie("csrftoken")} }

			anon := a.client(t)
			want(t, anon.do("GET", "/api/notes/", "", nil), 401, notAuthenticated)

			w := session("writer") // via its group
			want(t, w.do("GET", "/api/notes/", "", nil), 200, `"list"`)
			want(t, w.do("POST", "/api/notes/", "", tok(w)), 200, `"added"`)

			r := session("reader") // directly; lacks add_note
			want(t, r.do("GET", "/api/notes/", "", nil), 200, `"list"`)
			want(t, r.do("POST", "/api/notes/", "", tok(r)), 403, denied("permission notes.add_note"))
			// CSRF first: without a token the answer is the CSRF failure,
			// whether or not the user has the permission.
			want(t, r.do("POST", "/api/notes/", "", nil), 403, csrfMissing)
			want(t, w.do("POST", "/api/notes/", "", nil), 403, csrfMissing)

			n := session("nobody")
			want(t, n.do("GET", "/api/notes/", "", nil), 403, denied("permission notes.view_note"))

			root := session("root") // superuser: every permission, no rows needed
			want(t, root.do("GET", "/api/notes/", "", nil), 200, `"list"`)
			want(t, root.do("POST", "/api/notes/", "", tok(root)), 200, `"added"`)
			want(t, root.do("POST", "/api/notes/", "", nil), 403, csrfMissing)

			// Composition: staff AND both permissions.
			s := session("staff")
			want(t, s.do("DELETE", "/api/purge/", "", nil), 403, csrfMissing)
			want(t, s.do("DELETE", "/api/purge/", "", tok(s)), 200, `"purged"`)
			ns := session("nonstaff") // has both permissions, not staff
			want(t, ns.do("DELETE", "/api/purge/", "", tok(ns)), 403, `{"detail":[{"msg":"Permission denied","type":"security"}]}`)
			want(t, w.do("DELETE", "/api/purge/", "", tok(w)), 403, `{"detail":[{"msg":"Permission denied","type":"security"}]}`)
			a.exec(`UPDATE auth_user SET is_staff = ? WHERE id = ?`, true, writer.ID)
			want(t, w.do("DELETE", "/api/purge/", "", tok(w)), 403, denied("permission notes.delete_note"))
			a.exec(`DELETE FROM auth_group_permissions`)
			want(t, w.do("DELETE", "/api/purge/", "", tok(w)), 403, denied("permissions notes.delete_note, notes.view_note"))

			// Revoked in the database: the next request sees it (no cache here).
			want(t, w.do("GET", "/api/notes/", "", nil), 403, denied("permission notes.view_note"))
			a.exec(`DELETE FROM auth_user_user_permissions WHERE user_id = ?`, reader.ID)
			want(t, r.do("GET", "/api/notes/", "", nil), 403, denied("permission notes.view_note"))

			// Inactive: the session reads as anonymous, as in Django.
			a.exec(`UPDATE auth_user SET is_active = ? WHERE id = ?`, false, staff.ID)
			want(t, s.do("DELETE", "/api/purge/", "", tok(s)), 401, notAuthenticated)
			a.exec(`UPDATE auth_user SET is_active = ? WHERE username = 'root'`, false)
			want(t, root.do("GET", "/api/notes/", "", nil), 401, notAuthenticated)

			// A store failure fails closed with 500, never a pass.
			a.exec(`DROP TABLE auth_user_user_permissions`)
			if res := n.do("GET", "/api/notes/", "", nil); res.status != 500 {
				t.Errorf("permission tables missing: %d %s", res.status, res.body)
			}
		})
	}
}

func TestPermissionRequiredDocument(t *testing.T) {
	db, d, err := openSQL(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "db.sqlite3"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a := newPermApp(t, db, d)
	b, err := a.api.DocumentJSON()
	if err != nil {
		t.Fatal(err)
	}
	validateDocument(t, b)
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	desc := func(path, method string) any {
		return doc["paths"].(map[string]any)[path].(map[string]any)[method].(map[string]any)["responses"].(map[string]any)["403"].(map[string]any)["description"]
	}
	for _, c := range []struct{ path, method, want string }{
		{"/api/notes/", "get", "Raised when permission check failed (requires the permission notes.view_note)"},
		{"/api/notes/", "post", "Raised when CSRF check failed or permission was denied (requires the permission notes.add_note)"},
		{"/api/purge/", "delete", "Raised when CSRF check failed or permission was denied (requires staff status and the permissions notes.delete_note, notes.view_note)"},
	} {
		if got := desc(c.path, c.method); got != c.want {
			t.Errorf("%s %s 403: %q, want %q", c.method, c.path, got, c.want)
		}
	}
}

func TestPermissionRequiredPanics(t *testing.T) {
	for _, perms := range [][]string{nil, {"add_note"}, {"notes."}, {"notes.add_note", ".x"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("PermissionRequired(%q) did not panic", perms)
				}
			}()
			sessionauth.PermissionRequired(perms...)
		}()
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
