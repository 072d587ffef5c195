package changefeed_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/dmr-go/dmr/sessions"
	"github.com/dmr-go/dmr/sqldb"
	"github.com/dmr-go/dmr/sqldb/changefeed"
)

// A session cache evicted by the database: the triggers report a change
// made by anyone, the feed evicts the entry, and while the feed is down the
// cache is bypassed.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "changefeed")
	defer os.RemoveAll(dir)
	db, err := sqldb.Open(ctx, "sqlite:"+filepath.Join(dir, "db.sqlite3"), sqldb.Options{})
	if err != nil {
		panic(err)
	}
	defer db.Close()
	if _, err := db.Write.ExecContext(ctx, `CREATE TABLE django_session (session_key varchar(40) PRIMARY KEY, session_data text, expire_date datetime)`); err != nil {
		panic(err)
	}
	targets := changefeed.Targets{SessionTable: "django_session"}
	// What the installtriggers command does (idempotent).
	if err := changefeed.Install(ctx, db, targets); err != nil {
		panic(err)
	}

	// The cache needs the feed's Live and the feed the cache: the feed's
	// callbacks reach the cache through an atomic pointer.
	var cache atomic.Pointer[sessions.LocalCache]
	evicted := make(chan string, 1)
	feed, err := changefeed.Poll(ctx, db, changefeed.Options{
		OnEvent: func(e changefeed.Event) {
			if c := cache.Load(); c != nil && e.Kind == changefeed.Session {
				c.Invalidate(e.Key)
				evicted <- e.Key
			}
		},
		OnReset: func() {
			if c := cache.Load(); c != nil {
				c.Flush()
			}
		},
	})
	if err != nil {
		panic(err)
	}
	defer feed.Close()
	c, err := sessions.NewLocalCache(&sessions.MemoryStore{}, sessions.LocalCacheOptions{TTL: time.Minute, Live: feed.Live})
	if err != nil {
		panic(err)
	}
	cache.Store(c)

	// Django (or psql, or another replica) logs a session out.
	if _, err := db.Write.ExecContext(ctx, `INSERT INTO django_session VALUES ('k1', '', '2100-01-01')`); err != nil {
		panic(err)
	}
	if _, err := db.Write.ExecContext(ctx, `DELETE FROM django_session WHERE session_key = 'k1'`); err != nil {
		panic(err)
	}
	fmt.Println("evicted", <-evicted)
	// Output: evicted k1
}
