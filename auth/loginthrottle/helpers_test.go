package loginthrottle

import (
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/dmr-go/dmr/internal/fakeclock"
	"github.com/dmr-go/dmr/internal/testenv"
	"github.com/dmr-go/dmr/sqldb"
)

// clock is the injected clock tests move by hand.
type clock = fakeclock.Clock

func newClock() *clock { return fakeclock.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) }

func sqliteDB(t testing.TB) *sqldb.DB {
	return openDB(t, "sqlite:"+filepath.Join(t.TempDir(), "db.sqlite3"))
}

func openDB(t testing.TB, url string) *sqldb.DB {
	t.Helper()
	db, err := sqldb.Open(t.Context(), url, sqldb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// storeEnv opens one kind of store; clock is nil when the store keeps
// time itself (Redis).
type storeEnv struct {
	name string
	open func(t testing.TB, c *clock) Store
}

func newSQL(t testing.TB, db *sqldb.DB, c *clock) *SQLStore {
	t.Helper()
	var o SQLOptions
	if c != nil {
		o.Now = c.Now
	}
	s, err := NewSQLStore(db, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateTable(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var clockedStores = []storeEnv{
	{"memory", func(t testing.TB, c *clock) Store { return NewMemoryStore(MemoryOptions{Now: c.Now}) }},
	{"sqlite", func(t testing.TB, c *clock) Store { return newSQL(t, sqliteDB(t), c) }},
	{"postgres", func(t testing.TB, c *clock) Store { return newSQL(t, openDB(t, testenv.PostgresURL(t)), c) }},
	{"mysql", func(t testing.TB, c *clock) Store { return newSQL(t, openDB(t, testenv.MySQLURL(t)), c) }},
}

func redisStore(t testing.TB) *RedisStore {
	t.Helper()
	c, prefix := testenv.Redis(t)
	s, err := NewRedisStore(c, RedisOptions{KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// allStores includes Redis, on its own clock.
var allStores = append(append([]storeEnv(nil), clockedStores...),
	storeEnv{"redis", func(t testing.TB, _ *clock) Store { return redisStore(t) }})
