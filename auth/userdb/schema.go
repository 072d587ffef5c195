package userdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// ErrNoTable is returned (wrapped) by Open when the user table does not
// exist: Django's migrations have not run, or the model or table name is
// wrong.
var ErrNoTable = errors.New("userdb: the user table does not exist")

// column is one column of the user table as the database describes it.
type column struct {
	name     string
	typ      string // lower-cased declared type: "integer", "char(32)", "uuid"…
	notNull  bool
	default_ bool // has a database default
	pk       bool
}

// readColumns lists the columns of table in table order.
func readColumns(ctx context.Context, db *sql.DB, d Dialect, table string) ([]column, error) {
	var (
		rows *sql.Rows
		err  error
	)
	switch d {
	case SQLite:
		rows, err = db.QueryContext(ctx, `SELECT "name", lower("type"), "notnull", "dflt_value" IS NOT NULL, "pk" FROM pragma_table_info(?)`, table)
	case Postgres:
		rows, err = db.QueryContext(ctx, `SELECT a.attname, lower(format_type(a.atttypid, a.atttypmod)), a.attnotnull,
			a.atthasdef OR a.attidentity <> '',
			COALESCE((SELECT true FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisprimary AND a.attnum = ANY(i.indkey)), false)
			FROM pg_attribute a WHERE a.attrelid = to_regclass(quote_ident($1)) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, table)
	default:
		rows, err = readColumnsMySQL(ctx, db, table)
	}
	if err != nil {
		return nil, fmt.Errorf("userdb: read the columns of %s: %w", table, err)
	}
	defer rows.Close()
	var cols []column
	for rows.Next() {
		var c column
		var notNull, pk any
		if err := rows.Scan(&c.name, &c.typ, &notNull, &c.default_, &pk); err != nil {
			return nil, fmt.Errorf("userdb: read the columns of %s: %w", table, err)
		}
		c.notNull, c.pk = truthy(notNull), truthy(pk)
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("userdb: read the columns of %s: %w", table, err)
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("%w: %s (run Django's migrate first, or check AUTH_USER_MODEL and the table name)", ErrNoTable, table)
	}
	return cols, nil
}

func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case int64:
		return x != 0
	case []byte:
		return string(x) == "1" || strings.EqualFold(string(x), "yes") || strings.EqualFold(string(x), "true")
	case string:
		return x == "1" || strings.EqualFold(x, "yes") || strings.EqualFold(x, "true")
	}
	return false
}

// The fields of Django's AbstractUser that a Store maps to User fields.
const (
	fPassword = iota
	fLastLogin
	fIsSuperuser
	fUsername
	fFirstName
	fLastName
	fEmail
	fIsStaff
	fIsActive
	fDateJoined
	nFields
)

var fieldNames = [nFields]string{"password", "last_login", "is_superuser", "", "first_name", "last_name", "email", "is_staff", "is_active", "date_joined"}

// colField values for the columns that are no AbstractUser field.
const (
	colKey   = -2 // the primary key
	colExtra = -1 // another column of the model (User.Extra)
)

// layout is the user table as a Store reads and writes it.
type layout struct {
	resolved
	cols     []column
	keyIdx   int          // index into cols of the primary key
	fields   [nFields]int // index into cols, -1 when the model lacks the field
	colField []int        // per column: its field (the first, when USERNAME_FIELD is email), colKey or colExtra
	extra    []int        // indexes into cols of the colExtra columns
}

// key is the primary key column.
func (l *layout) key() column { return l.cols[l.keyIdx] }

// index derives colField and extra from keyIdx and fields.
func (l *layout) index() {
	l.colField = make([]int, len(l.cols))
	for i := range l.colField {
		l.colField[i] = colExtra
	}
	l.colField[l.keyIdx] = colKey
	for f := nFields - 1; f >= 0; f-- { // the lowest field wins a shared column
		if i := l.fields[f]; i >= 0 {
			l.colField[i] = f
		}
	}
	l.extra = nil
	for i, f := range l.colField {
		if f == colExtra {
			l.extra = append(l.extra, i)
		}
	}
}

// stockLayout is Django's auth_user, for New (no schema read).
func stockLayout() layout {
	r, _ := Model{}.resolve()
	r.pk = PKInt
	l := layout{resolved: r, cols: []column{{name: "id", typ: "integer", notNull: true, pk: true}}}
	for f := range nFields {
		name := fieldNames[f]
		if f == fUsername {
			name = "username"
		}
		l.fields[f] = len(l.cols)
		l.cols = append(l.cols, column{name: name, notNull: f != fLastLogin})
	}
	l.index()
	return l
}

// buildLayout maps the table's columns to the model, or says in one line
// which column is missing or does not fit.
func buildLayout(r resolved, cols []column) (layout, error) {
	l := layout{resolved: r, cols: cols}
	for i := range l.fields {
		l.fields[i] = -1
	}
	byName := map[string]int{}
	pks := 0
	for i, c := range cols {
		byName[c.name] = i
		if c.pk {
			pks++
			l.keyIdx = i
		}
	}
	if pks != 1 {
		return l, fmt.Errorf("userdb: table %s has %d primary key columns; a Django model has exactly one", r.table, pks)
	}
	for f := range nFields {
		name := fieldNames[f]
		if f == fUsername {
			name = r.username
		}
		if i, ok := byName[name]; ok && !cols[i].pk {
			l.fields[f] = i
		}
	}
	for _, need := range []int{fPassword, fLastLogin, fUsername} {
		if l.fields[need] < 0 {
			name := fieldNames[need]
			if need == fUsername {
				name = r.username + " (USERNAME_FIELD)"
			}
			return l, fmt.Errorf("userdb: table %s has no column %s, which every Django user model (AbstractBaseUser) has", r.table, name)
		}
	}
	l.index()
	kind := pkKindOf(l.key().typ)
	if l.pk == PKAuto {
		l.pk = kind
	} else if l.pk == PKInt && kind != PKInt {
		return l, fmt.Errorf("userdb: the primary key %s.%s is %s, not an integer", r.table, l.key().name, l.key().typ)
	}
	return l, nil
}

// pkKindOf guesses the key kind from its declared type as Django creates
// it: integer types for AutoFields; uuid (PostgreSQL, MariaDB ≥ 10.7 with
// Django ≥ 5) or char(32) (SQLite, MySQL) for UUIDField; else a string.
func pkKindOf(typ string) PKKind {
	t := strings.TrimSpace(typ)
	switch {
	case strings.Contains(t, "int") || t == "serial" || t == "bigserial":
		return PKInt
	case t == "uuid" || t == "char(32)" || t == "character(32)":
		return PKUUID
	}
	return PKString
}

// info describes the layout.
func (l *layout) info() Info {
	i := Info{
		AppLabel: l.appLabel, ModelName: l.modelName, Table: l.table, PKColumn: l.key().name, PK: l.pk, PKType: l.key().typ,
		UsernameField:         l.username,
		GroupsTable:           l.table + "_groups",
		GroupsColumn:          l.modelName + "_id",
		UserPermissionsTable:  l.table + "_user_permissions",
		UserPermissionsColumn: l.modelName + "_id",
		HasPermissions:        l.fields[fIsSuperuser] >= 0,
	}
	for _, x := range l.extra {
		i.Extra = append(i.Extra, l.cols[x].name)
	}
	return i
}

// uuidNative reports whether the key column stores UUIDs natively (uuid
// type), so the hyphenated form is sent; char(32) columns get the 32-digit
// form Django writes there.
func (l *layout) uuidNative() bool { return l.pk == PKUUID && strings.TrimSpace(l.key().typ) == "uuid" }
