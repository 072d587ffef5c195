package permdb_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dmr-go/dmr/auth/permdb"
	"github.com/dmr-go/dmr/sqldb"
)

// Load a user's permissions (its own and its groups') from Django's tables.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "permdb")
	defer os.RemoveAll(dir)
	sdb, _ := sqldb.Open(ctx, "sqlite:"+filepath.Join(dir, "db.sqlite3"), sqldb.Options{})
	defer sdb.Close()
	db, d := sdb.Write, sdb.Dialect
	_, _ = db.Exec(authUserDDL[d]) // package auth/userdb creates auth_user

	l, _ := permdb.New(db, permdb.Options{Dialect: d}) // the stock auth.User
	_ = l.CreateTables(ctx)
	for _, q := range []string{
		`INSERT INTO auth_user (id, password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined) VALUES (7, '', 0, 'ada', '', '', '', 0, 1, '2024-01-01 00:00:00')`,
		`INSERT INTO django_content_type (id, app_label, model) VALUES (1, 'notes', 'note')`,
		`INSERT INTO auth_permission (id, name, content_type_id, codename) VALUES (1, 'Can view note', 1, 'view_note'), (2, 'Can add note', 1, 'add_note')`,
		`INSERT INTO auth_group (id, name) VALUES (1, 'editors')`,
		`INSERT INTO auth_group_permissions (group_id, permission_id) VALUES (1, 2)`,
		`INSERT INTO auth_user_groups (user_id, group_id) VALUES (7, 1)`,
		`INSERT INTO auth_user_user_permissions (user_id, permission_id) VALUES (7, 1)`,
	} {
		if _, err := db.Exec(q); err != nil {
			fmt.Println(err)
		}
	}
	perms, err := l.UserPermissions(ctx, "7")
	fmt.Println(perms.List(), err)
	// Output: [notes.add_note notes.view_note] <nil>
}
