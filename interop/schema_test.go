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
