package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/userdb"
	"github.com/dmr-go/dmr/internal/testenv"
	"github.com/dmr-go/dmr/sqldb"
)

// TestNotesTable: the example's own table on each database, next to a
// the auth_user table of auth/userdb.
func TestNotesTable(t *testing.T) {
	urls := []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "db.sqlite3") }},
		{"postgres", func(t *testing.T) string { return testenv.PostgresURL(t) }},
		{"mariadb", func(t *testing.T) string { return testenv.MySQLURL(t) }},
	}
	for _, u := range urls {
		t.Run(u.name, func(t *testing.T) {
			ctx := context.Background()
			db, err := sqldb.Open(ctx, u.url(t), sqldb.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			users, err := userdb.New(db)
			if err != nil {
				t.Fatal(err)
			}
			defer users.Close()
			if err := users.CreateTables(ctx); err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"ann", "bob"} {
				if err := users.CreateUser(ctx, &auth.User{Username: name, IsActive: true}); err != nil {
					t.Fatal(err)
				}
			}
			n := newNotes(db, users)
			for range 2 { // idempotent
				if err := n.migrate(ctx); err != nil {
					t.Fatal(err)
				}
			}
			var ids []int64
			for i, c := range []struct {
				user string
				text string
			}{{"1", "first"}, {"2", "other user's"}, {"1", "second — ünïcode"}} {
				note, err := n.add(ctx, c.user, c.text)
				if err != nil {
					t.Fatal(err)
				}
				if note.ID != int64(i+1) {
					t.Errorf("note %d got id %d", i+1, note.ID)
				}
				ids = append(ids, note.ID)
			}
			got, err := n.listFor(ctx, "1")
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got[0] != (Note{ids[0], "first"}) || got[1] != (Note{ids[2], "second — ünïcode"}) {
				t.Errorf("list(1) = %+v", got)
			}
			if db.Dialect != sqldb.SQLite { // SQLite checks foreign keys only with PRAGMA foreign_keys
				if _, err := n.add(ctx, "99", "nobody's"); err == nil {
					t.Error("a note for a missing user was accepted")
				}
			}
		})
	}
}
