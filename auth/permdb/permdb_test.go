package permdb_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/permdb"
)

func TestLoader(t *testing.T) {
	for _, dc := range dialects() {
		t.Run(dc.name, func(t *testing.T) {
			ctx := context.Background()
			db := dc.open(t)
			f := fixture{t, db, dc.d}
			f.exec(authUserDDL[dc.d])
			l, err := permdb.New(db, permdb.Options{Dialect: dc.d})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			for range 2 { // idempotent
				if err := l.CreateTables(ctx); err != nil {
					t.Fatal(err)
				}
			}

			notes := f.contentType("notes", "note")
			authCT := f.contentType("auth", "user")
			view := f.perm(notes, "view_note")
			add := f.perm(notes, "add_note")
			del := f.perm(notes, "delete_note")
			viewUser := f.perm(authCT, "view_user")
			editors := f.group("editors")
			viewers := f.group("viewers")
			f.exec(`INSERT INTO "auth_group_permissions" ("group_id", "permission_id") VALUES (?, ?), (?, ?), (?, ?)`, editors, add, editors, view, viewers, view)

			direct := f.user("direct", false, true)
			grouped := f.user("grouped", false, true)
			both := f.user("both", false, true)
			nobody := f.user("nobody", false, true)
			f.exec(`INSERT INTO "auth_user_user_permissions" ("user_id", "permission_id") VALUES (?, ?), (?, ?), (?, ?)`, direct, del, direct, viewUser, both, view)
			f.exec(`INSERT INTO "auth_user_groups" ("user_id", "group_id") VALUES (?, ?), (?, ?), (?, ?)`, grouped, editors, both, editors, both, viewers)

			for _, c := range []struct {
				id   string
				want []string
			}{
				{strconv.FormatInt(direct, 10), []string{"auth.view_user", "notes.delete_note"}},
				{strconv.FormatInt(grouped, 10), []string{"notes.add_note", "notes.view_note"}},
				{strconv.FormatInt(both, 10), []string{"notes.add_note", "notes.view_note"}}, // view_note three ways, once
				{strconv.FormatInt(nobody, 10), []string{}},
				{"999", []string{}},
				{"not-an-integer", []string{}},
			} {
				s, err := l.UserPermissions(ctx, c.id)
				if err != nil {
					t.Fatal(err)
				}
				if got := s.List(); !slices.Equal(got, c.want) {
					t.Errorf("user %s: %v, want %v", c.id, got, c.want)
				}
			}
			all, err := l.AllPermissions(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := all.List(), []string{"auth.view_user", "notes.add_note", "notes.delete_note", "notes.view_note"}; !slices.Equal(got, want) {
				t.Errorf("all: %v, want %v", got, want)
			}

			// Revoking is seen by the next load (the Loader caches nothing).
			f.exec(`DELETE FROM "auth_user_groups" WHERE "user_id" = ? AND "group_id" = ?`, grouped, editors)
			s, err := l.UserPermissions(ctx, strconv.FormatInt(grouped, 10))
			if err != nil || s.Len() != 0 {
				t.Errorf("after revoking: %v %v", s.List(), err)
			}

			// A missing table is an error, not "no permissions".
			f.exec(`DROP TABLE "auth_group_permissions"`)
			if _, err := l.UserPermissions(ctx, strconv.FormatInt(both, 10)); err == nil {
				t.Error("no error without auth_group_permissions")
			}
		})
	}
}

// A custom user model with a UUID key: Django's tables for
// AUTH_USER_MODEL = "accounts.CustomUser" (char(32) hex on SQLite, uuid on
// PostgreSQL), named explicitly, and a converter from str(pk).
func TestLoaderCustomUserModel(t *testing.T) {
	for _, dc := range dialects() {
		t.Run(dc.name, func(t *testing.T) {
			ctx := context.Background()
			db := dc.open(t)
			f := fixture{t, db, dc.d}
			uuidType := map[permdb.Dialect]string{permdb.SQLite: "char(32)", permdb.Postgres: "uuid"}[dc.d]
			f.exec(`CREATE TABLE "accounts_customuser" ("id" ` + uuidType + ` NOT NULL PRIMARY KEY, "email" varchar(254) NOT NULL)`)
			l, err := permdb.New(db, permdb.Options{
				Dialect:         dc.d,
				UserGroupsTable: "accounts_customuser_groups", UserGroupsColumn: "customuser_id",
				UserPermissionsTable: "accounts_customuser_user_permissions", UserPermissionsColumn: "customuser_id",
				UserID: func(id string) (any, bool) {
					// Django's UUIDField.to_python, stored as 32 hex on
					// SQLite and as uuid on PostgreSQL.
					h := make([]byte, 0, 32)
					for i := 0; i < len(id); i++ {
						if id[i] != '-' {
							h = append(h, id[i])
						}
					}
					if len(h) != 32 {
						return nil, false
					}
					if dc.d == permdb.Postgres {
						return id, true
					}
					return string(h), true
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			if err := l.CreateTables(ctx); err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"auth_user_groups", "auth_user_user_permissions"} {
				var n int
				q := map[permdb.Dialect]string{
					permdb.SQLite:   `SELECT count(*) FROM sqlite_master WHERE name = '` + name + `'`,
					permdb.Postgres: `SELECT count(*) FROM pg_class WHERE relname = '` + name + `'`,
				}[dc.d]
				if err := db.QueryRow(q).Scan(&n); err != nil || n != 0 {
					t.Errorf("CreateTables made the stock model's %s for a custom model (%d, %v)", name, n, err)
				}
			}
			f.exec(`CREATE TABLE "accounts_customuser_groups" ("id" integer NOT NULL PRIMARY KEY, "customuser_id" ` + uuidType + ` NOT NULL, "group_id" integer NOT NULL)`)
			f.exec(`CREATE TABLE "accounts_customuser_user_permissions" ("id" integer NOT NULL PRIMARY KEY, "customuser_id" ` + uuidType + ` NOT NULL, "permission_id" integer NOT NULL)`)
			const pk = "0b4f3bc4-6b0b-4c1e-9a53-3d2f9f0e8a11"
			stored := pk
			if dc.d == permdb.SQLite {
				stored = "0b4f3bc46b0b4c1e9a533d2f9f0e8a11"
			}
			f.exec(`INSERT INTO "accounts_customuser" ("id", "email") VALUES (?, 'a@example.com')`, stored)
			ct := f.contentType("accounts", "customuser")
			view := f.perm(ct, "view_customuser")
			change := f.perm(ct, "change_customuser")
			g := f.group("staff")
			f.exec(`INSERT INTO "auth_group_permissions" ("group_id", "permission_id") VALUES (?, ?)`, g, change)
			f.exec(`INSERT INTO "accounts_customuser_groups" ("id", "customuser_id", "group_id") VALUES (1, ?, ?)`, stored, g)
			f.exec(`INSERT INTO "accounts_customuser_user_permissions" ("id", "customuser_id", "permission_id") VALUES (1, ?, ?)`, stored, view)
			s, err := l.UserPermissions(ctx, pk)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := s.List(), []string{"accounts.change_customuser", "accounts.view_customuser"}; !slices.Equal(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
			if s, err := l.UserPermissions(ctx, "42"); err != nil || s.Len() != 0 {
				t.Errorf("an id that is no UUID: %v %v", s.List(), err)
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	db := openSQLite(t)
	for _, o := range []permdb.Options{
		{},
		{Dialect: permdb.SQLite, UserGroupsTable: `x"; DROP TABLE y; --`},
		{Dialect: permdb.SQLite, UserPermissionsColumn: "user id"},
	} {
		if _, err := permdb.New(db, o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
	if _, err := permdb.New(nil, permdb.Options{Dialect: permdb.SQLite}); err == nil {
		t.Error("nil db accepted")
	}
}

func TestCreateTablesConcurrently(t *testing.T) {
	for _, dc := range dialects() {
		t.Run(dc.name, func(t *testing.T) {
			db := dc.open(t)
			fixture{t, db, dc.d}.exec(authUserDDL[dc.d])
			var wg sync.WaitGroup
			errs := make([]error, 4)
			for i := range errs {
				wg.Go(func() {
					l, err := permdb.New(db, permdb.Options{Dialect: dc.d})
					if err == nil {
						err = l.CreateTables(context.Background())
					}
					errs[i] = err
				})
			}
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
		})
	}
}

var _ auth.PermissionSource = (*permdb.Loader)(nil)
