package sqldb_test

import (
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/dmr-go/dmr/sqldb"
)

// FuzzParseTime: any stored datetime text either fails to parse or parses to
// a time that formats back to Django's shape and parses again to the same
// instant (at microsecond precision).
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2026-12-09 18:14:16.164768", "2026-12-09 18:14:16", "2026-12-09T18:14:16Z",
		"2026-12-09 18:14:16.1+00:00", "9999-12-31 23:59:59.999999999", "0001-01-01 00:00:00", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := sqldb.ParseTime(s)
		if err != nil {
			return
		}
		out := sqldb.FormatTime(tm)
		back, err := sqldb.ParseTime(out)
		if err != nil {
			t.Fatalf("%q → %q does not parse: %v", s, out, err)
		}
		if !back.Equal(tm.Truncate(time.Microsecond)) {
			t.Fatalf("%q → %q → %v, want %v", s, out, back, tm)
		}
	})
}

// FuzzParseURL: no panic; an error never repeats the password; a mysql://
// URL that parses becomes a DSN that go-sql-driver/mysql reads back with the
// URL's user, password and database, and Django's time settings.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"sqlite:db.sqlite3", "sqlite:///a/b?_pragma=x", "postgres://u:pw@h:5432/db",
		"postgresql://u:pw@[::1", "postgres://u:pw@h:x:y/", "mysql://u:pw@h/db", "mysql://u:pw@h:3306/db?tls=true",
		"mysql://u:p%40w@[::1]:3307/d%2Fb", "mysql://u:pw@h/db?loc=Local&parseTime=false", "mysql://u:pw@h/db?x=%zz", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		src, err := sqldb.ParseURL(s)
		if err != nil {
			if strings.Contains(s, ":pw@") && strings.Contains(err.Error(), "pw") {
				t.Fatalf("error leaks the password: %v", err)
			}
			return
		}
		if !src.Dialect.Valid() || src.DSN == "" {
			t.Fatalf("ParseURL(%q) = %+v", s, src)
		}
		if src.Dialect != sqldb.MySQL {
			return
		}
		cfg, err := mysql.ParseDSN(src.DSN)
		if err != nil {
			t.Fatalf("ParseURL(%q) made a DSN the driver refuses: %v", s, err)
		}
		if !cfg.ParseTime || cfg.Loc != time.UTC || !cfg.ClientFoundRows || cfg.Net != "tcp" || cfg.DBName == "" || cfg.User == "" {
			t.Fatalf("ParseURL(%q): DSN config %+v", s, cfg)
		}
	})
}
