package sqldb

import (
	"encoding/hex"
	"fmt"
)

// UUID is a UUID as Django's UUIDField holds it. It scans every form a
// database returns for one: 32 hex digits (char(32) on SQLite and MySQL, and
// on MariaDB < 10.7 or with Django 4.2), the hyphenated 8-4-4-4-12 text
// (PostgreSQL's uuid as pgx returns it, MariaDB's native uuid, and what
// Django 5.x sends even into a char(32) column made under 4.2), and 16 raw
// bytes. Parsing is case-insensitive; output is lowercase.
type UUID [16]byte

// String returns the hyphenated form, which is also Django's str(pk) and so
// the session's _auth_user_id.
func (u UUID) String() string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

// Hex returns the 32 hex digits Django stores in a char(32) UUIDField.
func (u UUID) Hex() string { return hex.EncodeToString(u[:]) }

// ParseUUID accepts 32 hex digits or the hyphenated form, as Python's
// uuid.UUID(hex=…) does (without its braces and urn: prefix).
func ParseUUID(s string) (UUID, error) {
	var u UUID
	var digits string
	switch len(s) {
	case 32:
		digits = s
	case 36:
		if s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
			return u, fmt.Errorf("sqldb: bad UUID %q", s)
		}
		digits = s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:]
	default:
		return u, fmt.Errorf("sqldb: bad UUID %q", s)
	}
	if _, err := hex.Decode(u[:], []byte(digits)); err != nil {
		return UUID{}, fmt.Errorf("sqldb: bad UUID %q", s)
	}
	return u, nil
}

// Scan implements sql.Scanner for every stored form (see UUID).
func (u *UUID) Scan(v any) error {
	switch v := v.(type) {
	case string:
		p, err := ParseUUID(v)
		*u = p
		return err
	case []byte:
		if len(v) == 16 {
			copy(u[:], v)
			return nil
		}
		p, err := ParseUUID(string(v))
		*u = p
		return err
	case [16]byte:
		*u = v
		return nil
	}
	return fmt.Errorf("sqldb: cannot scan %T into a UUID", v)
}

// UUIDArg returns u as the parameter Django sends for a UUIDField: the
// hyphenated text to a native uuid column (PostgreSQL; MariaDB ≥ 10.7 with
// Django 5.x), 32 hex digits to char(32) (SQLite, MySQL, older MariaDB
// pairings). native says which column the table has; read it from the
// catalogue, since it depends on the Django version that migrated the table.
func (d Dialect) UUIDArg(u UUID, native bool) any {
	if d == Postgres || (d == MySQL && native) {
		return u.String()
	}
	return u.Hex()
}
