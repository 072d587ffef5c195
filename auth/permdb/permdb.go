package permdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/sqldb"
)

// Dialect is the SQL database a Loader talks to (shared with the session
// and user stores).
type Dialect = sqldb.Dialect

// Dialects.
const (
	SQLite   = sqldb.SQLite
	Postgres = sqldb.Postgres
	MySQL    = sqldb.MySQL
)

// Django's names for the stock user model (auth.User).
const (
	DefaultUserGroupsTable      = "auth_user_groups"
	DefaultUserPermissionsTable = "auth_user_user_permissions"
	DefaultUserColumn           = "user_id"
)

// Options name the user model's many-to-many tables. The zero value is
// Django's stock auth.User; for a custom AUTH_USER_MODEL "app.Model" Django
// names them "<table>_groups" and "<table>_user_permissions", with the user
// column "<model>_id" (package auth/userdb derives them from the model).
type Options struct {
	// Dialect of the database. Required.
	Dialect Dialect
	// UserGroupsTable is the user model's groups table and UserGroupsColumn
	// its column holding the user's key; defaults "auth_user_groups" and
	// "user_id".
	UserGroupsTable  string
	UserGroupsColumn string
	// UserPermissionsTable is the user model's user_permissions table and
	// UserPermissionsColumn its column holding the user's key; defaults
	// "auth_user_user_permissions" and "user_id".
	UserPermissionsTable  string
	UserPermissionsColumn string
	// UserID converts auth.User.ID (Django's str(pk)) into the argument
	// compared with the user columns; false means the string names no user
	// (no permissions). Nil parses a decimal integer (AutoField and
	// BigAutoField keys).
	UserID func(id string) (any, bool)
}

// Loader is an auth.PermissionSource on Django's auth tables. It is safe
// for concurrent use; statements are prepared once.
type Loader struct {
	db    *sql.DB
	d     Dialect
	o     Options
	stmts *sqldb.StmtCache

	userQ, allQ string
}

var _ auth.PermissionSource = (*Loader)(nil)

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// New returns a Loader on db. It does not create tables (see CreateTables).
func New(db *sql.DB, o Options) (*Loader, error) {
	if db == nil {
		return nil, errors.New("permdb: nil *sql.DB")
	}
	if !o.Dialect.Valid() {
		return nil, fmt.Errorf("permdb: unknown dialect %v", o.Dialect)
	}
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&o.UserGroupsTable, DefaultUserGroupsTable)
	def(&o.UserGroupsColumn, DefaultUserColumn)
	def(&o.UserPermissionsTable, DefaultUserPermissionsTable)
	def(&o.UserPermissionsColumn, DefaultUserColumn)
	for _, n := range []string{o.UserGroupsTable, o.UserGroupsColumn, o.UserPermissionsTable, o.UserPermissionsColumn} {
		if !identRE.MatchString(n) {
			return nil, fmt.Errorf("permdb: invalid table or column name %q (letters, digits and '_' only)", n)
		}
	}
	if o.UserID == nil {
		o.UserID = IntegerID
	}
	l := &Loader{db: db, d: o.Dialect, o: o, stmts: sqldb.NewStmtCache(db)}
	l.userQ, l.allQ = l.queries()
	return l, nil
}

// IntegerID is the default Options.UserID: a decimal integer key.
func IntegerID(id string) (any, bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	return n, err == nil
}

// quote quotes an identifier for the dialect.
func (l *Loader) quote(name string) string { return l.d.Quote(name) }

// queries builds the user query (one round trip: the user's own
// permissions UNION its groups' ones, as ModelBackend's two queries) and
// the query for every permission.
func (l *Loader) queries() (user, all string) {
	q := l.quote
	perm := `SELECT ct.` + q("app_label") + `, p.` + q("codename") +
		` FROM ` + q("auth_permission") + ` p JOIN ` + q("django_content_type") + ` ct ON ct.` + q("id") + ` = p.` + q("content_type_id")
	user = perm +
		` JOIN ` + q(l.o.UserPermissionsTable) + ` up ON up.` + q("permission_id") + ` = p.` + q("id") +
		` WHERE up.` + q(l.o.UserPermissionsColumn) + ` = ?` +
		` UNION ` + perm +
		` JOIN ` + q("auth_group_permissions") + ` gp ON gp.` + q("permission_id") + ` = p.` + q("id") +
		` JOIN ` + q(l.o.UserGroupsTable) + ` ug ON ug.` + q("group_id") + ` = gp.` + q("group_id") +
		` WHERE ug.` + q(l.o.UserGroupsColumn) + ` = ?`
	return l.d.Rebind(user), perm
}

// Close releases the prepared statements. It does not close the database.
func (l *Loader) Close() error { return l.stmts.Close() }

// UserPermissions implements auth.PermissionSource: the permissions granted
// to user id directly or through its groups. An id that does not fit the
// key (Options.UserID) has none.
func (l *Loader) UserPermissions(ctx context.Context, id string) (auth.PermissionSet, error) {
	arg, ok := l.o.UserID(id)
	if !ok {
		return auth.PermissionSet{}, nil
	}
	return l.load(ctx, l.userQ, arg, arg)
}

// AllPermissions implements auth.PermissionSource: every row of
// auth_permission.
func (l *Loader) AllPermissions(ctx context.Context) (auth.PermissionSet, error) {
	return l.load(ctx, l.allQ)
}

func (l *Loader) load(ctx context.Context, query string, args ...any) (auth.PermissionSet, error) {
	st, err := l.stmts.Get(ctx, query)
	if err != nil {
		return auth.PermissionSet{}, fmt.Errorf("permdb: prepare: %w", err)
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return auth.PermissionSet{}, fmt.Errorf("permdb: load permissions: %w", err)
	}
	defer rows.Close()
	var perms []string
	for rows.Next() {
		var app, code string
		if err := rows.Scan(&app, &code); err != nil {
			return auth.PermissionSet{}, fmt.Errorf("permdb: load permissions: %w", err)
		}
		perms = append(perms, app+"."+code)
	}
	if err := rows.Err(); err != nil {
		return auth.PermissionSet{}, fmt.Errorf("permdb: load permissions: %w", err)
	}
	return auth.NewPermissionSet(perms...), nil
}
