package auth_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/hashers"
	"github.com/dmr-go/dmr/auth/permdb"
	"github.com/dmr-go/dmr/sessions"
	"github.com/dmr-go/dmr/sqldb"
)

// HasPerm answers Django's request.user.has_perm for the request's user,
// with permissions from Django's tables (auth/permdb), cached with users.
func ExampleHasPerm() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "perms")
	defer os.RemoveAll(dir)
	sdb, _ := sqldb.Open(ctx, "sqlite:"+filepath.Join(dir, "db.sqlite3"), sqldb.Options{})
	defer sdb.Close()
	db, d := sdb.Write, sdb.Dialect
	_, _ = db.Exec(`CREATE TABLE auth_user (id integer PRIMARY KEY)`) // auth/userdb's table
	loader, _ := permdb.New(db, permdb.Options{Dialect: d})
	_ = loader.CreateTables(ctx)
	_, _ = db.Exec(`INSERT INTO django_content_type (id, app_label, model) VALUES (1, 'notes', 'note')`)
	_, _ = db.Exec(`INSERT INTO auth_permission (id, name, content_type_id, codename) VALUES (1, 'Can add note', 1, 'add_note')`)
	_, _ = db.Exec(`INSERT INTO auth_group (id, name) VALUES (1, 'writers')`)
	_, _ = db.Exec(`INSERT INTO auth_group_permissions (group_id, permission_id) VALUES (1, 1)`)
	_, _ = db.Exec(`INSERT INTO auth_user_groups (user_id, group_id) VALUES (1, 1)`)

	users, _ := auth.NewUserCache(&auth.MemoryUsers{}, auth.UserCacheOptions{})
	a, _ := auth.New(auth.Options{
		SecretKey:   []byte("example secret key"),
		Users:       users,
		Permissions: users.CachePermissions(loader), // same TTL, bound and invalidation as the users
		Hashers:     &hashers.Hashers{List: []hashers.Hasher{&hashers.PBKDF2{Iterations: 1000}}},
	})
	u, _ := a.CreateUser(ctx, auth.NewUser{Username: "ada", Password: "pw"}) // ID "1"

	// A request context as the session and auth middlewares leave it.
	sm, _ := sessions.NewMiddleware(sessions.Options{Store: &sessions.MemoryStore{}})
	rctx := a.WithUser(sessions.NewContext(ctx, sm.NewSession(ctx, "", false)))
	_ = a.Login(rctx, u)

	fmt.Println(auth.HasPerm(rctx, "notes.add_note"))
	fmt.Println(auth.HasPerm(rctx, "notes.delete_note"))
	all, _ := auth.AllPermissions(rctx)
	fmt.Println(all.List())
	// Output:
	// true <nil>
	// false <nil>
	// [notes.add_note]
}
