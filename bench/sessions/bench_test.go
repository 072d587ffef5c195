// Package sessionsbench compares the full session-middleware read path of
// dmr's sessions package with alexedwards/scs on the same stores. It is a
// separate module so that scs never becomes a dependency of dmr.
//
//	cd bench/sessions && go test -run '^$' -bench . -benchmem
package sessionsbench

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alexedwards/scs/postgresstore"
	scsredis "github.com/alexedwards/scs/redisstore"
	"github.com/alexedwards/scs/sqlite3store"
	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"
	"github.com/gomodule/redigo/redis"

	"github.com/dmr-go/dmr/internal/testenv"
	"github.com/dmr-go/dmr/pyjson"
	"github.com/dmr-go/dmr/sessions"
	"github.com/dmr-go/dmr/sessions/dbstore"
	"github.com/dmr-go/dmr/sessions/redisstore"
	"github.com/dmr-go/dmr/sqldb"
)

const secretKey = "django-insecure-test-secret-key-0123456789abcdefghijklmnopqrstuv"

// A logged-in Django session: the three keys auth.login writes.
var (
	userID  = "42"
	backend = "django.contrib.auth.backends.ModelBackend"
	hash    = strings.Repeat("0123456789abcdef", 4)
)

func loggedIn() *pyjson.Object {
	o := pyjson.NewObject(3)
	o.Set("_auth_user_id", userID)
	o.Set("_auth_user_backend", backend)
	o.Set("_auth_user_hash", hash)
	return o
}

// readUser is the handler: it reads the user id, as an authentication
// middleware would, and answers 204. Nothing is modified, so nothing is
// saved.
func dmrHandler(b *testing.B) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v, _ := sessions.FromContext(r.Context()).GetString("_auth_user_id"); v != userID {
			b.Fatalf("user id %q", v)
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

func scsHandler(b *testing.B, sm *scs.SessionManager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v := sm.GetString(r.Context(), "_auth_user_id"); v != userID {
			b.Fatalf("user id %q", v)
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

func run(b *testing.B, h http.Handler, cookie string) {
	b.Helper()
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Cookie", cookie)
	b.ReportAllocs()
	b.ResetTimer()
	start := processCPU()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusNoContent {
			b.Fatalf("status %d", w.Code)
		}
	}
	b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
}

// processCPU is the user+system CPU time of this process (all its threads:
// the middleware, the database/Redis client and, for SQLite, the database
// itself; not the PostgreSQL or Redis server processes) in nanoseconds. On a
// shared machine it is steadier than wall time.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func codec(b *testing.B) *sessions.DjangoCodec {
	c, err := sessions.NewCodec(sessions.CodecOptions{SecretKey: []byte(secretKey)})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// benchDMR stores one logged-in session in st and measures the read path.
func benchDMR(b *testing.B, st sessions.Store) {
	ctx := context.Background()
	key := sessions.NewKey()
	if _, err := st.Create(ctx, sessions.Record{Key: key, Data: loggedIn(), Expiry: time.Now().Add(time.Hour)}); err != nil {
		b.Fatal(err)
	}
	m, err := sessions.NewMiddleware(sessions.Options{Store: st})
	if err != nil {
		b.Fatal(err)
	}
	run(b, m.Handler(dmrHandler(b)), "sessionid="+key)
}

// benchSCS logs in once through scs (Put of the same three values) and
// measures the read path.
func benchSCS(b *testing.B, store scs.Store) {
	sm := scs.New()
	sm.Store = store
	login := sm.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sm.Put(r.Context(), "_auth_user_id", userID)
		sm.Put(r.Context(), "_auth_user_backend", backend)
		sm.Put(r.Context(), "_auth_user_hash", hash)
	}))
	w := httptest.NewRecorder()
	login.ServeHTTP(w, httptest.NewRequest("POST", "/login", nil))
	cookie := w.Result().Cookies()
	if len(cookie) != 1 {
		b.Fatalf("scs set %d cookies", len(cookie))
	}
	run(b, sm.LoadAndSave(scsHandler(b, sm)), cookie[0].Name+"="+cookie[0].Value)
}

func sqliteDB(b *testing.B) *sql.DB {
	src, err := sqldb.ParseURL("sqlite:" + filepath.Join(b.TempDir(), "db.sqlite3"))
	if err != nil {
		b.Fatal(err)
	}
	db, err := sql.Open("sqlite", src.DSN)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

func dmrDB(b *testing.B, db *sql.DB, d sqldb.Dialect) *dbstore.Store {
	s, err := dbstore.New(sqldb.New(db, d), dbstore.Options{Codec: codec(b)})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.CreateTables(context.Background()); err != nil {
		b.Fatal(err)
	}
	return s
}

func exec(b *testing.B, db *sql.DB, q string) {
	if _, err := db.Exec(q); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkReadPath(b *testing.B) {
	b.Run("store=memory/dmr", func(b *testing.B) { benchDMR(b, &sessions.MemoryStore{}) })
	b.Run("store=memory/scs", func(b *testing.B) { benchSCS(b, memstore.NewWithCleanupInterval(0)) })

	b.Run("store=sqlite/dmr", func(b *testing.B) { benchDMR(b, dmrDB(b, sqliteDB(b), sqldb.SQLite)) })
	b.Run("store=sqlite/scs", func(b *testing.B) {
		db := sqliteDB(b)
		exec(b, db, `CREATE TABLE sessions (token TEXT PRIMARY KEY, data BLOB NOT NULL, expiry REAL NOT NULL)`)
		exec(b, db, `CREATE INDEX sessions_expiry_idx ON sessions(expiry)`)
		benchSCS(b, sqlite3store.NewWithCleanupInterval(db, 0))
	})

	b.Run("store=postgres/dmr", func(b *testing.B) { benchDMR(b, dmrDB(b, testenv.Postgres(b), sqldb.Postgres)) })
	b.Run("store=postgres/scs", func(b *testing.B) {
		db := testenv.Postgres(b)
		exec(b, db, `CREATE TABLE sessions (token TEXT PRIMARY KEY, data BYTEA NOT NULL, expiry TIMESTAMPTZ NOT NULL)`)
		exec(b, db, `CREATE INDEX sessions_expiry_idx ON sessions (expiry)`)
		benchSCS(b, postgresstore.NewWithCleanupInterval(db, 0))
	})

	b.Run("store=redis/dmr", func(b *testing.B) {
		c, prefix := testenv.Redis(b)
		st, err := redisstore.NewCache(c, redisstore.Options{KeyPrefix: prefix})
		if err != nil {
			b.Fatal(err)
		}
		benchDMR(b, st)
	})
	b.Run("store=redis/scs", func(b *testing.B) {
		_, prefix := testenv.Redis(b) // for the prefix and its cleanup
		pool := &redis.Pool{MaxIdle: 10, Dial: func() (redis.Conn, error) { return redis.Dial("tcp", testenv.RedisAddr()) }}
		b.Cleanup(func() { pool.Close() })
		benchSCS(b, scsredis.NewWithPrefix(pool, prefix+"scs:session:"))
	})

	b.Run("store=cached_db+postgres/dmr", func(b *testing.B) {
		c, prefix := testenv.Redis(b)
		st, err := redisstore.NewCachedDB(dmrDB(b, testenv.Postgres(b), sqldb.Postgres), c, redisstore.Options{KeyPrefix: prefix})
		if err != nil {
			b.Fatal(err)
		}
		benchDMR(b, st) // every read is a cache hit
	})
}
