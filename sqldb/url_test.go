package sqldb_test

import (
	"strings"
	"testing"

	"github.com/dmr-go/dmr/sqldb"
)

func TestParseURL(t *testing.T) {
	const myParams = "?clientFoundRows=true&parseTime=true" // loc=UTC is the driver default
	cases := []struct {
		in, driver, dsn string
		d               sqldb.Dialect
	}{
		{"sqlite:db.sqlite3", "sqlite", "db.sqlite3?" + sqldb.SQLitePragmas, sqldb.SQLite},
		{"sqlite:///var/lib/app/db.sqlite3", "sqlite", "/var/lib/app/db.sqlite3?" + sqldb.SQLitePragmas, sqldb.SQLite},
		{"sqlite://rel/db.sqlite3", "sqlite", "rel/db.sqlite3?" + sqldb.SQLitePragmas, sqldb.SQLite},
		{"sqlite:/tmp/x.db?_pragma=foreign_keys(1)", "sqlite", "/tmp/x.db?_pragma=foreign_keys(1)", sqldb.SQLite},
		{"postgres://u:p@h:5432/db?sslmode=disable", "pgx", "postgres://u:p@h:5432/db?sslmode=disable", sqldb.Postgres},
		{"postgresql://h/db", "pgx", "postgresql://h/db", sqldb.Postgres},
		{"mysql://app:s3cret@127.0.0.1:3306/shop", "mysql", "app:s3cret@tcp(127.0.0.1:3306)/shop" + myParams, sqldb.MySQL},
		{"mysql://app@db.internal/shop", "mysql", "app@tcp(db.internal:3306)/shop" + myParams, sqldb.MySQL},
		{"mysql://app:p%40ss%2Fw@[::1]:3307/shop", "mysql", "app:p@ss/w@tcp([::1]:3307)/shop" + myParams, sqldb.MySQL},
		// Driver parameters pass through; Django's time settings win.
		{"mysql://app:pw@h/shop?tls=skip-verify&parseTime=false&loc=Local", "mysql", "app:pw@tcp(h:3306)/shop" + myParams + "&tls=skip-verify", sqldb.MySQL},
	}
	for _, c := range cases {
		src, err := sqldb.ParseURL(c.in)
		if err != nil || src.Driver != c.driver || src.DSN != c.dsn || src.Dialect != c.d {
			t.Errorf("ParseURL(%q) = %+v, %v\nwant %s %s", c.in, src, err, c.driver, c.dsn)
		}
	}
	for _, bad := range []string{"", "sqlite:", "oracle://x/y", "db.sqlite3", "postgres://u:secret@h:x:y/",
		"mysql://u:secret@h:x:y/", "mysql://h/db", "mysql://u:secret@/db", "mysql://u:secret@h", "mysql://u:secret@h/a/b",
		"mysql://u:secret@h/db?timeout=soon", "mysql://u:secret@h/db#x"} {
		_, err := sqldb.ParseURL(bad)
		if err == nil {
			t.Errorf("ParseURL(%q) succeeded", bad)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("error leaks the password: %v", err)
		}
	}
}

func TestInMemory(t *testing.T) {
	for url, want := range map[string]bool{
		"sqlite::memory:":                        true,
		"sqlite:file::memory:?cache=shared":      true,
		"sqlite:file:x?mode=memory&cache=shared": true,
		"sqlite:/tmp/x.db":                       false,
		"postgres://h/db":                        false,
	} {
		src, err := sqldb.ParseURL(url)
		if err != nil || src.InMemory() != want {
			t.Errorf("%s: InMemory = %v, %v", url, src.InMemory(), err)
		}
	}
}
