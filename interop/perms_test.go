package interop_test

import (
	"context"
	"slices"
	"testing"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/permdb"
	"github.com/dmr-go/dmr/internal/djangotest"
	"github.com/dmr-go/dmr/sqldb"
)

type djangoPerms struct {
	Has map[string]bool `json:"has"`
	All []string        `json:"all"`
}

// Groups and permissions made by Django's ORM on the stock user model are
// read by Go's permission rules exactly as Django's user.has_perm and
// get_all_permissions answer: direct, through a group, superuser, inactive,
// revoked.
func TestPermissionsMatchDjango(t *testing.T) {
	for _, v := range []string{"4.2", "5.2"} {
		for _, kind := range []string{"sqlite", "postgres"} {
			t.Run(v+"/"+kind, func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				db := newDatabase(t, kind)
				dj := djangotest.New(t, v, djangotest.Config{DB: db.URL})
				dj.Migrate(false)
				users := openUsers(t, db)
				sdb, err := sqldb.Open(ctx, db.URL, sqldb.Options{})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { sdb.Close() })
				sqlDB, d := sdb.Write, sdb.Dialect
				loader, err := permdb.New(sqlDB, permdb.Options{Dialect: d})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { loader.Close() })
				if err := loader.CreateTables(ctx); err != nil { // leaves Django's tables alone
					t.Fatalf("permdb.CreateTables on a Django-migrated %s database: %v", kind, err)
				}
				a, err := auth.New(auth.Options{SecretKey: []byte(dj.Config().SecretKey), Users: users, Permissions: loader})
				if err != nil {
					t.Fatal(err)
				}

				for _, c := range []string{"view_note", "add_note", "delete_note"} {
					dj.Run("perm-create", map[string]any{"app_label": "notes", "model": "note", "codename": c, "name": "Can " + c}, nil)
				}
				dj.Run("group-set", map[string]any{"name": "writers", "perms": []string{"notes.add_note", "notes.view_note"}}, nil)
				dj.Run("group-set", map[string]any{"name": "admins", "perms": []string{"auth.view_user", "notes.delete_note"}}, nil)
				for _, name := range []string{"direct", "grouped", "both", "super", "inactive", "inactive_super", "revoked", "nobody"} {
					dj.CreateUser(name, "pw")
				}
				set := func(name string, perms, groups []string) {
					dj.Run("user-perms-set", map[string]any{"username": name, "perms": perms, "groups": groups}, nil)
				}
				flags := func(name string, f map[string]any) {
					f["username"] = name
					dj.Run("user-flags-set", f, nil)
				}
				set("direct", []string{"notes.delete_note", "auth.change_user"}, nil)
				set("grouped", nil, []string{"writers"})
				set("both", []string{"notes.view_note"}, []string{"writers", "admins"})
				flags("super", map[string]any{"is_superuser": true})
				set("inactive", []string{"notes.view_note"}, []string{"writers"})
				flags("inactive", map[string]any{"is_active": false})
				flags("inactive_super", map[string]any{"is_superuser": true, "is_active": false})
				set("revoked", []string{"notes.view_note"}, []string{"writers"})

				perms := []string{"notes.view_note", "notes.add_note", "notes.delete_note", "auth.view_user", "auth.change_user", "auth.add_group", "no.such_perm", "notes"}
				compare := func(name string) {
					t.Helper()
					var want djangoPerms
					dj.Run("has-perms", map[string]any{"username": name, "perms": perms}, &want)
					u, err := users.UserByUsername(ctx, name)
					if err != nil {
						t.Fatal(err)
					}
					for _, p := range perms {
						got, err := a.UserHasPerm(ctx, u, p)
						if err != nil {
							t.Fatal(err)
						}
						if got != want.Has[p] {
							t.Errorf("%s: Go has_perm(%q) = %v, Django %v", name, p, got, want.Has[p])
						}
					}
					s, err := a.UserPermissions(ctx, u)
					if err != nil {
						t.Fatal(err)
					}
					if want.All == nil {
						want.All = []string{}
					}
					if got := s.List(); !slices.Equal(got, want.All) {
						t.Errorf("%s: Go's permissions %v, Django's get_all_permissions %v", name, got, want.All)
					}
				}
				granted := 0
				for _, name := range []string{"direct", "grouped", "both", "super", "inactive", "inactive_super", "revoked", "nobody"} {
					compare(name)
					var w djangoPerms
					dj.Run("has-perms", map[string]any{"username": name, "perms": perms}, &w)
					for _, ok := range w.Has {
						if ok {
							granted++
						}
					}
				}
				if granted < 10 {
					t.Fatalf("only %d grants across the table: the cases test nothing", granted)
				}
				// Revoked in Django: the group and the direct permission.
				set("revoked", nil, nil)
				compare("revoked")
				// A group losing a permission.
				dj.Run("group-set", map[string]any{"name": "writers", "perms": []string{"notes.view_note"}}, nil)
				compare("grouped")
				compare("both")
			})
		}
	}
}
