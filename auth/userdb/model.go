package userdb

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/dmr-go/dmr/sqldb"
)

// DefaultModel is Django's stock user model (AUTH_USER_MODEL's default).
const DefaultModel = "auth.User"

// Model names the Django user model a Store reads, as the project's settings
// do. The zero Model is Django's stock auth.User on auth_user.
type Model struct {
	// Name is AUTH_USER_MODEL, "app_label.ModelName"; empty means
	// DefaultModel. The table is Django's default db_table for it,
	// "<app_label>_<modelname>" (lower-cased), unless Table is set.
	Name string
	// Table is the model's Meta.db_table, for a model that sets one; empty
	// means Django's default.
	Table string
	// UsernameField is USERNAME_FIELD ("email" for an email login); empty
	// means "username". Logins look users up by it, createuser writes it
	// and User.Username holds its value (Django's get_username()).
	UsernameField string
	// PK is the primary key's kind; zero means it is read from the column
	// type (integer types: PKInt; PostgreSQL/MariaDB uuid and char(32), as
	// Django's UUIDField is stored: PKUUID; other text types: PKString).
	PK PKKind
}

// PKKind is how a user model's primary key is stored.
type PKKind int

// The primary key kinds.
const (
	PKAuto   PKKind = iota // read from the schema
	PKInt                  // AutoField, BigAutoField, IntegerField…
	PKUUID                 // UUIDField
	PKString               // CharField and other text keys
)

func (k PKKind) String() string {
	switch k {
	case PKInt:
		return "integer"
	case PKUUID:
		return "uuid"
	case PKString:
		return "string"
	}
	return "auto"
}

// ParseModel validates an AUTH_USER_MODEL value and splits it into its app
// label and model name, as Django's get_user_model does ("app_label.Model";
// anything else is ImproperlyConfigured).
func ParseModel(name string) (appLabel, modelName string, err error) {
	if name == "" {
		name = DefaultModel
	}
	app, model, ok := strings.Cut(name, ".")
	if !ok || app == "" || model == "" || strings.Contains(model, ".") || !isIdent(app) || !isIdent(model) {
		return "", "", fmt.Errorf("userdb: AUTH_USER_MODEL must be of the form 'app_label.model_name', not %q", name)
	}
	return app, model, nil
}

func isIdent(s string) bool {
	for i, r := range s {
		if r == '_' || unicode.IsLetter(r) || (i > 0 && unicode.IsDigit(r)) {
			continue
		}
		return false
	}
	return s != ""
}

// resolved is a Model with Django's derived names filled in.
type resolved struct {
	appLabel  string // "auth", "accounts"
	modelName string // lower-cased class name: "user", "customuser"
	table     string // db_table
	username  string // USERNAME_FIELD
	pk        PKKind // PKAuto until the schema is read
}

func (m Model) resolve() (resolved, error) {
	app, model, err := ParseModel(m.Name)
	if err != nil {
		return resolved{}, err
	}
	r := resolved{appLabel: app, modelName: strings.ToLower(model), table: m.Table, username: m.UsernameField, pk: m.PK}
	if r.table == "" {
		r.table = strings.ToLower(app) + "_" + r.modelName
	}
	if r.username == "" {
		r.username = "username"
	}
	if r.pk < PKAuto || r.pk > PKString {
		return resolved{}, fmt.Errorf("userdb: unknown primary key kind %d", int(m.PK))
	}
	return r, nil
}

// Info describes the user model a Store was opened on, with the names
// Django derives from it: what the permission tables and an application's
// own foreign keys need.
type Info struct {
	AppLabel  string // "auth"
	ModelName string // "user" (lower-cased class name)
	Table     string // "auth_user"
	PKColumn  string // "id"
	PK        PKKind
	// PKType is the key column's declared type, lower-cased ("integer",
	// "bigint", "uuid", "char(32)"…): what a foreign key to it is declared as.
	PKType string
	// UsernameField is USERNAME_FIELD.
	UsernameField string
	// GroupsTable and GroupsColumn are PermissionsMixin's groups m2m table
	// and its column naming the user: "<table>_groups", "<modelname>_id".
	GroupsTable, GroupsColumn string
	// UserPermissionsTable and UserPermissionsColumn are the
	// user_permissions m2m table and its user column.
	UserPermissionsTable, UserPermissionsColumn string
	// HasPermissions is false for a model without PermissionsMixin (no
	// is_superuser column): such users have no permissions, as in Django.
	HasPermissions bool
	// Extra lists the columns of the table that are not fields of Django's
	// AbstractUser, in table order; their values are in User.Extra.
	Extra []string
}

// Describe returns what Info says of m without reading the schema: the names
// Django derives from the model. PKColumn is "id" and PK is m.PK, Extra is
// empty and HasPermissions true, since only the table can tell.
func Describe(m Model) (Info, error) {
	r, err := m.resolve()
	if err != nil {
		return Info{}, err
	}
	l := layout{resolved: r, cols: []column{{name: "id", typ: "integer", pk: true}}}
	for f := range l.fields {
		l.fields[f] = -1
	}
	l.fields[fIsSuperuser] = 0 // HasPermissions: only the table can tell
	return l.info(), nil
}

// IsStock reports whether m is Django's stock auth.User on auth_user.
func (m Model) IsStock() bool {
	r, err := m.resolve()
	return err == nil && r.appLabel == "auth" && r.modelName == "user" && r.table == "auth_user"
}

// ViewPermission is the "view" permission of the model, as Django names its
// default permissions: "<app_label>.view_<modelname>" ("auth.view_user").
func (i Info) ViewPermission() string { return i.AppLabel + ".view_" + i.ModelName }

// pyInt parses s as Python's int(s) does for the ASCII cases: surrounding
// whitespace, an optional sign, and single underscores between digits.
func pyInt(s string, base int) (string, bool) {
	s = strings.TrimSpace(s)
	sign := ""
	if s != "" && (s[0] == '+' || s[0] == '-') {
		if s[0] == '-' {
			sign = "-"
		}
		s = s[1:]
	}
	if base == 16 && len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		s = s[2:]
		if s != "" && s[0] == '_' { // int("0x_1f", 16) is allowed
			s = s[1:]
		}
	}
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' || strings.Contains(s, "__") {
		return "", false
	}
	digits := strings.ReplaceAll(s, "_", "")
	for _, c := range digits {
		if !isHexDigit(c) || (base == 10 && c > '9') {
			return "", false
		}
	}
	return sign + digits, true
}

func isHexDigit(c rune) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// ParseIntPK reads a session's _auth_user_id for an integer key as Django's
// AutoField.to_python does (Python's int()).
func ParseIntPK(s string) (int64, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true // what Django writes: no whitespace or underscores
	}
	d, ok := pyInt(s, 10)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(d, 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}

// UUID is a UUID's 16 bytes (sqldb.UUID: String gives Django's str(pk),
// Hex the char(32) form).
type UUID = sqldb.UUID

// ParseUUID reads a UUID as Django's UUIDField.to_python does
// (uuid.UUID(hex=s)): "urn:" and "uuid:" removed, braces stripped at both
// ends, hyphens removed, then exactly 32 characters that Python's int(…, 16)
// accepts. So the hyphenated form, 32 hex digits and "{…}" all parse.
func ParseUUID(s string) (UUID, bool) {
	if u, err := sqldb.ParseUUID(s); err == nil {
		return u, true // the forms Django writes: 32 hex digits or 8-4-4-4-12
	}
	var u UUID
	s = strings.ReplaceAll(strings.ReplaceAll(s, "urn:", ""), "uuid:", "")
	s = strings.ReplaceAll(strings.Trim(s, "{}"), "-", "")
	if len(s) != 32 {
		return u, false
	}
	d, ok := pyInt(s, 16)
	if !ok || strings.HasPrefix(d, "-") || len(d) > 32 {
		return u, false
	}
	d = strings.Repeat("0", 32-len(d)) + d
	if _, err := hex.Decode(u[:], []byte(strings.ToLower(d))); err != nil {
		return u, false
	}
	return u, true
}

// NewUUID4 returns a random (version 4) UUID, as Django's default=uuid.uuid4.
func NewUUID4() UUID {
	var u UUID
	_, _ = rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}
