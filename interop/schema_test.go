package interop_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/dmr-go/dmr/internal/djangotest"
	"github.com/dmr-go/dmr/sessions/dbstore"
)

// Schema, both orders, on SQLite and PostgreSQL:
//
//   - Django first: Go's CreateTables accepts the tables Django's migrate
//     made (also checked by every other test through newSessionStack).
//   - Go first: Django's plain migrate refuses ("already exists"), because
//     sessions.0001_initial creates django_session unconditionally; `migrate
//     --fake-initial` accepts Go's table, records the migration as applied,
//     and the two then share sessions. That is the supported order when Go
//     creates the tables first.
func TestSchemaGoFirst(t *testing.T) {
	forMatrix(t, func(t *testing.T, v string, db database) {
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
