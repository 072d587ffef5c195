package dbstore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/dmr-go/dmr/sessions/dbstore"
)

// FuzzParseSQLiteTime: any text in expire_date either fails to parse or
// parses to a time that formats back to Django's shape and parses again to
// the same instant (at microsecond precision).
func FuzzParseSQLiteTime(f *testing.F) {
	for _, s := range []string{"2026-12-09 18:14:16.164768", "2026-12-09 18:14:16", "2026-12-09T18:14:16Z",
		"2026-12-09 18:14:16.1+00:00", "9999-12-31 23:59:59.999999999", "0001-01-01 00:00:00", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := dbstore.ParseSQLiteTime(s)
		if err != nil {
			return
		}
		out := dbstore.FormatSQLiteTime(tm)
		back, err := dbstore.ParseSQLiteTime(out)
		if err != nil {
			t.Fatalf("%q → %q does not parse: %v", s, out, err)
		}
		if !back.Equal(tm.Truncate(time.Microsecond)) {
			t.Fatalf("%q → %q → %v, want %v", s, out, back, tm)
		}
	})
}

// FuzzParseURL: no panic, and an error never repeats a password.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"sqlite:db.sqlite3", "sqlite:///a/b?_pragma=x", "postgres://u:pw@h:5432/db",
		"postgresql://u:pw@[::1", "postgres://u:pw@h:x:y/", "mysql://u:pw@h/db", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, dsn, d, err := dbstore.ParseURL(s)
		if err != nil {
			if i := strings.Index(s, ":pw@"); i >= 0 && strings.Contains(err.Error(), ":pw@") {
				t.Fatalf("error leaks the password: %v", err)
			}
			return
		}
		if d != dbstore.SQLite && d != dbstore.Postgres || dsn == "" {
			t.Fatalf("ParseURL(%q) = %q, %v", s, dsn, d)
		}
	})
}
