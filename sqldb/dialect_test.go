package sqldb_test

import (
	"testing"

	"github.com/dmr-go/dmr/sqldb"
)

func TestQuote(t *testing.T) {
	cases := []struct {
		d        sqldb.Dialect
		in, want string
	}{
		{sqldb.SQLite, "django_session", `"django_session"`},
		{sqldb.Postgres, `we"ird`, `"we""ird"`},
		{sqldb.MySQL, "django_session", "`django_session`"},
		{sqldb.MySQL, "we`ird", "`we``ird`"},
	}
	for _, c := range cases {
		if got := c.d.Quote(c.in); got != c.want {
			t.Errorf("%v.Quote(%q) = %q, want %q", c.d, c.in, got, c.want)
		}
	}
}

func TestRebind(t *testing.T) {
	cases := []struct{ in, want string }{
		{`SELECT a FROM t WHERE k = ? AND e > ?`, `SELECT a FROM t WHERE k = $1 AND e > $2`},
		{`SELECT '?', "a?b", x FROM t WHERE k = ?`, `SELECT '?', "a?b", x FROM t WHERE k = $1`},
		{"SELECT 1 -- why?\nWHERE k = ?", "SELECT 1 -- why?\nWHERE k = $1"},
		{`SELECT 'it''s?' WHERE k = ?`, `SELECT 'it''s?' WHERE k = $1`},
		{`SELECT 'open ?`, `SELECT 'open ?`},
		{`no placeholders`, `no placeholders`},
	}
	for _, c := range cases {
		if got := sqldb.Postgres.Rebind(c.in); got != c.want {
			t.Errorf("Rebind(%q) = %q, want %q", c.in, got, c.want)
		}
		for _, d := range []sqldb.Dialect{sqldb.SQLite, sqldb.MySQL} {
			if got := d.Rebind(c.in); got != c.in {
				t.Errorf("%v.Rebind changed %q to %q", d, c.in, got)
			}
		}
	}
}

func TestPlaceholders(t *testing.T) {
	if got := sqldb.Postgres.Placeholders(3, 3); got != "$3, $4, $5" {
		t.Errorf("Postgres: %q", got)
	}
	if got := sqldb.MySQL.Placeholders(3, 3); got != "?, ?, ?" {
		t.Errorf("MySQL: %q", got)
	}
	if got := sqldb.SQLite.Placeholders(1, 0); got != "" {
		t.Errorf("none: %q", got)
	}
}

func TestDialectString(t *testing.T) {
	for d, want := range map[sqldb.Dialect]string{sqldb.SQLite: "sqlite", sqldb.Postgres: "postgres", sqldb.MySQL: "mysql", 0: "Dialect(0)"} {
		if d.String() != want || d.Valid() != (d != 0) {
			t.Errorf("%d: %q valid=%v", int(d), d.String(), d.Valid())
		}
	}
}
