package userdb

import (
	"context"
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
