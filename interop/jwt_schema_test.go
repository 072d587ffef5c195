package interop_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dmr-go/dmr/internal/djangotest"
	"github.com/dmr-go/dmr/security/jwtauth"
	"github.com/dmr-go/dmr/sqldb"
)

// blacklistSchema reads the token_blacklist tables from the catalogue:
// columns, constraints and indexes with their names and definitions.
func blacklistSchema(t *testing.T, db *sqldb.DB) string {
	t.Helper()
	var queries []string
	switch db.Dialect {
	case sqldb.SQLite:
		queries = []string{`SELECT type, name, sql FROM sqlite_master WHERE tbl_name LIKE 'token_blacklist%' ORDER BY name`}
	case sqldb.Postgres:
		queries = []string{
			`SELECT table_name, column_name, data_type || COALESCE('(' || character_maximum_length || ')', ''), is_nullable || ' ' || is_identity FROM information_schema.columns WHERE table_name LIKE 'token_blacklist%' ORDER BY table_name, ordinal_position`,
			`SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid::regclass::text LIKE 'token_blacklist%' ORDER BY conname`,
			`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE tablename LIKE 'token_blacklist%' ORDER BY indexname`,
		}
	default:
		queries = []string{"SHOW CREATE TABLE token_blacklist_outstandingtoken", "SHOW CREATE TABLE token_blacklist_blacklistedtoken"}
	}
	var b strings.Builder
	for _, q := range queries {
		rows, err := db.Read.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprintf(&b, "%v | ", v)
			}
			b.WriteString("\n")
		}
		rows.Close()
	}
	return b.String()
}

func openSQL(t *testing.T, url string) *sqldb.DB {
	t.Helper()
	db, err := sqldb.Open(context.Background(), url, sqldb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// The token_blacklist tables, both orders, on SQLite, PostgreSQL and
// MariaDB (Django 5.2, SimpleJWT 5.5):
//
//   - Django first: Go's CreateTables leaves them alone (also done by every
//     test through newJWTSide).
//   - Go first (after Django migrated the rest): the catalogue matches what
//     Django's migrations leave, column for column and name for name.
//     Django's plain migrate then refuses ("already exists"), and
//     --fake-initial replays the migrations 0002–0013 onto the final-shape
//     tables, which fails on PostgreSQL and MariaDB (the jti constraint's
//     name exists); `migrate token_blacklist --fake` is the supported step:
//     it records the migrations, and the two sides share the tables.
func TestJWTSchema(t *testing.T) {
	for _, kind := range []string{"sqlite", "postgres", "mariadb"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			// Django first.
			djFirst := newDatabase(t, kind)
			djangotest.New(t, "5.2", djangotest.Config{DB: djFirst.URL, Apps: jwtApps}).Migrate(false)
			a := openSQL(t, djFirst.URL)
			want := blacklistSchema(t, a)
			if strings.Count(want, "\n") < 2 {
				t.Fatalf("no token_blacklist tables in the catalogue: %q", want)
			}
			bl, _ := jwtauth.NewBlacklist(a, jwtauth.BlacklistOptions{})
			if err := bl.CreateTables(ctx); err != nil {
				t.Fatalf("CreateTables after Django: %v", err)
			}
			if got := blacklistSchema(t, a); got != want {
				t.Fatalf("CreateTables changed Django's tables:\n%s\nwant\n%s", got, want)
			}

			// Go first.
			goFirst := newDatabase(t, kind)
			dj1 := djangotest.New(t, "5.2", djangotest.Config{DB: goFirst.URL, Apps: []string{"rest_framework", "rest_framework_simplejwt"}})
			dj1.Migrate(false)
			dj1.Close()
			b := openSQL(t, goFirst.URL)
			bl, _ = jwtauth.NewBlacklist(b, jwtauth.BlacklistOptions{})
			if err := bl.CreateTables(ctx); err != nil {
				t.Fatal(err)
			}
			if got := blacklistSchema(t, b); got != want {
				t.Fatalf("Go's tables:\n%s\nDjango's:\n%s", got, want)
			}
			dj2 := djangotest.New(t, "5.2", djangotest.Config{DB: goFirst.URL, Apps: jwtApps,
				Settings: map[string]any{"SIMPLE_JWT": map[string]any{"ROTATE_REFRESH_TOKENS": true, "BLACKLIST_AFTER_ROTATION": true}}})
			err := dj2.Call("migrate", nil, nil)
			var de *djangotest.Error
			if !errors.As(err, &de) || !strings.Contains(de.Message, "already exists") {
				t.Fatalf("plain migrate after Go's tables: %v", err)
			}
			dj2.Run("migrate-fake", map[string]any{"app": "token_blacklist"}, nil)
			dj2.Migrate(false)
			if got := blacklistSchema(t, b); got != want {
				t.Fatalf("tables after Django's migrate --fake:\n%s", got)
			}
			// Shared: Django's obtain and rotation write the rows Go reads.
			dj2.CreateUser("alice", "pw")
			var pair jwtResponse
			dj2.Run("request", map[string]any{"method": "POST", "path": "/api/token/", "json": map[string]string{"username": "alice", "password": "pw"}}, &pair)
			var r jwtResponse
			dj2.Run("request", map[string]any{"method": "POST", "path": "/api/token/refresh/", "json": map[string]string{"refresh": pair.Body["refresh"].(string)}}, &r)
			if r.Status != 200 {
				t.Fatalf("SimpleJWT refresh on Go's tables: %+v", r)
			}
			claims := claimsOf(t, pair.Body["refresh"].(string))
			if black, err := bl.IsBlacklisted(ctx, claims["jti"].(string)); err != nil || !black {
				t.Fatalf("Go's view of the token Django rotated out: %v %v", black, err)
			}
		})
	}
}
