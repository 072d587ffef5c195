package redisstore_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dmr-go/dmr/internal/testenv"
	"github.com/dmr-go/dmr/sessions"
	"github.com/dmr-go/dmr/sessions/dbstore"
	"github.com/dmr-go/dmr/sessions/redisstore"
)

func benchAuth() sessions.Record {
	return sessions.Record{
		Key: sessions.NewKey(),
		Data: obj("_auth_user_id", "1", "_auth_user_backend", "django.contrib.auth.backends.ModelBackend",
			"_auth_user_hash", strings.Repeat("0123456789abcdef", 4)),
		Expiry: time.Now().Add(time.Hour),
	}
}

// BenchmarkLoad is Store.Load of a logged-in session (one round trip, GET +
// PTTL pipelined, then unpickling), without the middleware.
func BenchmarkLoad(b *testing.B) {
	ctx := context.Background()
	run := func(b *testing.B, st sessions.Store) {
		r := benchAuth()
		if _, err := st.Create(ctx, r); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := st.Load(ctx, r.Key); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("store=cache", func(b *testing.B) {
		c, prefix := testenv.Redis(b)
		st, err := redisstore.NewCache(c, redisstore.Options{KeyPrefix: prefix})
		if err != nil {
			b.Fatal(err)
		}
		run(b, st)
	})
	b.Run("store=cached_db+sqlite/hit", func(b *testing.B) {
		c, prefix := testenv.Redis(b)
		db, err := dbstore.Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "db.sqlite3"), dbstore.Options{Codec: codec(b)})
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		if err := db.CreateTables(ctx); err != nil {
			b.Fatal(err)
		}
		st, err := redisstore.NewCachedDB(db, c, redisstore.Options{KeyPrefix: prefix})
		if err != nil {
			b.Fatal(err)
		}
		run(b, st)
	})
}
