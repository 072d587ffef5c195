package interop_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/dmr-go/dmr/internal/djangotest"
	"github.com/dmr-go/dmr/sessions/dbstore"
	"github.com/dmr-go/dmr/sqldb"
)

// TestSessionSchemaMatchesDjango: the django_session table Go creates is the
// one real Django's migrate creates, as the database itself describes it
// (SHOW CREATE TABLE on MariaDB: types, NOT NULL, keys, index names, charset
// and collation; sqlite_master's SQL; PostgreSQL's columns and index
// definitions).
func TestSessionSchemaMatchesDjango(t *testing.T) {
	forMatrixOn(t, sessionDatabases, func(t *testing.T, v string, djangoDB database) {
		ctx := context.Background()
		dj := djangotest.New(t, v, djangotest.Config{DB: djangoDB.URL})
		dj.Migrate(false)
		goDB := newDatabase(t, djangoDB.Kind)
		st, err := dbstore.Open(ctx, goDB.URL, dbstore.Options{Codec: djangoCodec(t, "k", nil)})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if err := st.CreateTables(ctx); err != nil {
			t.Fatal(err)
		}
		want := describeSessionTable(t, djangoDB)
		if got := describeSessionTable(t, goDB); !slices.Equal(got, want) {
			t.Errorf("Go's django_session on %s:\n%s\nDjango %s's:\n%s", goDB.Kind, strings.Join(got, "\n"), v, strings.Join(want, "\n"))
		}
	})
}

// describeSessionTable is what the database says about django_session.
func describeSessionTable(t *testing.T, db database) []string {
	t.Helper()
	ctx := context.Background()
	sdb, err := sqldb.Open(ctx, db.URL, sqldb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	var queries []string
	switch sdb.Dialect {
	case sqldb.MySQL:
		var name, ddl string
		if err := sdb.Read.QueryRowContext(ctx, "SHOW CREATE TABLE django_session").Scan(&name, &ddl); err != nil {
			t.Fatal(err)
		}
		return strings.Split(ddl, "\n")
	case sqldb.SQLite:
		queries = []string{`SELECT type || ' ' || name || ': ' || sql FROM sqlite_master WHERE tbl_name = 'django_session' AND sql IS NOT NULL ORDER BY type, name`}
	case sqldb.Postgres:
		queries = []string{
			`SELECT column_name || ' ' || data_type || ' ' || coalesce(character_maximum_length::text, '-') || ' ' || is_nullable FROM information_schema.columns WHERE table_name = 'django_session' ORDER BY ordinal_position`,
			`SELECT indexdef FROM pg_indexes WHERE tablename = 'django_session' ORDER BY indexname`,
		}
	}
	var out []string
	for _, q := range queries {
		rows, err := sdb.Read.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		rows.Close()
	}
	return out
}

// Schema, both orders, on SQLite, PostgreSQL and (for django_session)
// MariaDB:
//
//   - Django first: Go's CreateTables accepts the tables Django's migrate
//     made (also checked by every other test through newSessionStack).
//   - Go first: Django's plain migrate refuses ("already exists"), because
//     sessions.0001_initial creates django_session unconditionally; `migrate
//     --fake-initial` accepts Go's table, records the migration as applied,
//     and the two then share sessions. That is the supported order when Go
//     creates the tables first.
func TestSchemaGoFirst(t *testing.T) {
	forMatrixOn(t, sessionDatabases, func(t *testing.T, v string, db database) {
		ctx := context.Background()
		st, err := dbstore.Open(ctx, db.URL, dbstore.Options{Codec: djangoCodec(t, "k", nil), Logger: quietLogger})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if err := st.CreateTables(ctx); err != nil {
			t.Fatal(err)
		}
		dj := djangotest.New(t, v, djangotest.Config{DB: db.URL, SecretKey: "k"})
		err = dj.Call("migrate", nil, nil)
		var de *djangotest.Error
		if !errors.As(err, &de) || !strings.Contains(de.Message, "already exists") {
			t.Errorf("plain migrate after Go's CreateTables: %v (want Django's 'already exists')", err)
		}
		tables := dj.Migrate(true)
		if !slices.Contains(tables, "django_session") || !slices.Contains(tables, "auth_user") {
			t.Fatalf("tables after migrate --fake-initial: %v", tables)
		}
		if err := st.CreateTables(ctx); err != nil {
			t.Errorf("CreateTables after Django's migrate: %v", err)
		}
		s := dj.SessionWrite(map[string]any{"k": "v"})
		rec, err := st.Load(ctx, s.Key)
		if err != nil || canonicalValue(t, rec.Data) != `{"k":"v"}` {
			t.Errorf("sharing after Go-first schema: %v %v", rec.Data, err)
		}
	})
}

// Go first with auth_user too: Django's --fake-initial only fakes
// auth.0001_initial when every table it creates exists (auth_permission,
// auth_group and the link tables as well), which Go does not create; so
// Django runs the migration and stops at the existing auth_user. With users
// shared, the supported order is Django first: run Django's migrate, then
// Go's CreateTables (a no-op on the migrated tables).
func TestSchemaGoFirstUsers(t *testing.T) {
	forMatrix(t, func(t *testing.T, v string, db database) {
		openUsers(t, db) // Go creates auth_user on the empty database
		dj := djangotest.New(t, v, djangotest.Config{DB: db.URL})
		err := dj.Call("migrate", map[string]any{"fake_initial": true}, nil)
		var de *djangotest.Error
		if !errors.As(err, &de) || !strings.Contains(de.Message, "auth_user") || !strings.Contains(de.Message, "already exists") {
			t.Fatalf("migrate --fake-initial after Go's auth_user: %v; if Django now accepts it, update this test and the README", err)
		}
	})
}
