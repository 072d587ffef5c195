package userdb

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/dmr-go/dmr/auth"
)

// BenchmarkUserByID is the lookup every session-authenticated request makes
// without the user cache: one prepared point SELECT on the user table's key,
// on each database (stock auth_user, and the custom UUID model).
func BenchmarkUserByID(b *testing.B) {
	for name, open := range dialects(b) {
		b.Run(name+"/stock", func(b *testing.B) {
			db := open(b)
			ctx := context.Background()
			s, err := New(db)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if err := s.CreateTables(ctx); err != nil {
				b.Fatal(err)
			}
			u := &auth.User{Username: "ann", Password: "x", IsActive: true}
			if err := s.CreateUser(ctx, u); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := s.UserByID(ctx, u.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/uuid", func(b *testing.B) {
			db := open(b)
			ctx := context.Background()
			for _, stmt := range customDDL[db.Dialect] {
				if _, err := db.Write.ExecContext(ctx, stmt); err != nil {
					b.Fatal(err)
				}
			}
			s, err := Open(ctx, db, Model{Name: "accounts.CustomUser", UsernameField: "email"})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			u := &auth.User{Username: "ann@example.com", IsActive: true, Extra: map[string]any{"display_name": "Ann"}}
			if err := s.CreateUser(ctx, u); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := s.UserByID(ctx, u.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLoadJoined compares the two loads of a session-authenticated
// request on SQLite without caches: "two-queries" is the session store's
// Load then the user store's UserByID; "joined" is SessionJoin.Load with a
// hint, which brings the user row in the session's query (what UserByID
// then returns without a query).
func BenchmarkLoadJoined(b *testing.B) {
	e := newJoinEnv(b, "sqlite:"+filepath.Join(b.TempDir(), "db.sqlite3"), Model{})
	alice := e.user("alice")
	const key = "abcdefghijklmnopqrstuvwxyz012345"
	e.login(key, alice)
	ctx := context.Background()
	// On the plain pool, not the counting one.
	s, u := e.plain, e.users
	j, err := NewSessionJoin(s, u, SessionJoinOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("two-queries", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r, err := s.Load(ctx, key)
			if err != nil {
				b.Fatal(err)
			}
			id, _ := r.Data.Get(auth.SessionKeyUserID)
			if _, err := u.UserByID(ctx, id.(string)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("joined", func(b *testing.B) {
		if _, err := j.Load(ctx, key); err != nil { // sets the hint
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			r, err := j.Load(ctx, key)
			if err != nil {
				b.Fatal(err)
			}
			if r.Attachment == nil {
				b.Fatal("no user row attached")
			}
		}
	})
}
