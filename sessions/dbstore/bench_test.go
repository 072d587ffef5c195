package dbstore_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dmr-go/dmr/pyjson"
	"github.com/dmr-go/dmr/sessions"
	"github.com/dmr-go/dmr/sessions/dbstore"
)

// BenchmarkUserSessionKeys measures "log out everywhere" on a table of
// 100,000 logged-in sessions of 10,000 users: one op is one full scan that
// reads, verifies and decodes every row (DeleteUserSessions then deletes the
// handful of matching keys by primary key).
func BenchmarkUserSessionKeys(b *testing.B) {
	for _, e := range envs {
		b.Run("db="+e.name+"/rows=100000", func(b *testing.B) {
			ctx := context.Background()
			s, err := dbstore.New(e.open(b), dbstore.Options{Codec: testCodec(b)})
			if err != nil {
				b.Fatal(err)
			}
			if err := s.CreateTables(ctx); err != nil {
				b.Fatal(err)
			}
			fill(b, s, 100000)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				keys, err := s.UserSessionKeys(ctx, "1234", "")
				if err != nil || len(keys) != 10 {
					b.Fatalf("%d keys, %v", len(keys), err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100000, "ns/row")
		})
	}
}

// BenchmarkLoad is Store.Load of a logged-in session (query + verify +
// decode), without the middleware, on each database (MariaDB over TCP to
// 127.0.0.1 as the test user, PostgreSQL over TCP, SQLite on a file).
func BenchmarkLoad(b *testing.B) {
	for _, e := range envs {
		b.Run("db="+e.name, func(b *testing.B) {
			ctx := context.Background()
			s, err := dbstore.New(e.open(b), dbstore.Options{Codec: testCodec(b)})
			if err != nil {
				b.Fatal(err)
			}
			if err := s.CreateTables(ctx); err != nil {
				b.Fatal(err)
			}
			key := sessions.NewKey()
			if _, err := s.Create(ctx, sessions.Record{Key: key, Data: auth("1"), Expiry: time.Now().Add(time.Hour)}); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Load(ctx, key); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func auth(uid string) *pyjson.Object {
	o := pyjson.NewObject(3)
	o.Set("_auth_user_id", uid)
	o.Set("_auth_user_backend", "django.contrib.auth.backends.ModelBackend")
	o.Set("_auth_user_hash", strings.Repeat("0123456789abcdef", 4))
	return o
}

// fill inserts n sessions of users "0"…"9999" in one transaction.
func fill(b *testing.B, s *dbstore.Store, n int) {
	ctx := context.Background()
	codec := testCodec(b)
	tx, err := s.DB().Write.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	d := s.DB().Dialect
	q, exp := d.Rebind(`INSERT INTO django_session VALUES (?, ?, ?)`), d.TimeArg(time.Now().Add(time.Hour))
	stmt, err := tx.PrepareContext(ctx, q)
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		data, err := codec.Encode(auth(fmt.Sprint(i % 10000)))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := stmt.ExecContext(ctx, sessions.NewKey(), data, exp); err != nil {
			b.Fatal(err)
		}
	}
	stmt.Close()
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}
