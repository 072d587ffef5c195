package changefeed_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dmr-go/dmr/internal/testenv"
	"github.com/dmr-go/dmr/sqldb"
	"github.com/dmr-go/dmr/sqldb/changefeed"
)

// database is one dialect's private database with Django-shaped tables.
type database struct {
	name string
	url  string
	db   *sqldb.DB
}

var dialects = []string{"sqlite", "postgres", "mysql"}

func open(t *testing.T, dialect string) database {
	t.Helper()
	var url string
	switch dialect {
	case "sqlite":
		url = "sqlite:" + filepath.Join(t.TempDir(), "db.sqlite3")
	case "postgres":
		url = testenv.PostgresURL(t)
	case "mysql":
		url = testenv.MySQLURL(t)
	}
	ctx := context.Background()
	db, err := sqldb.Open(ctx, url, sqldb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	serial := "INTEGER PRIMARY KEY AUTOINCREMENT"
	switch dialect {
	case "postgres":
		serial = "serial PRIMARY KEY"
	case "mysql":
		serial = "INT AUTO_INCREMENT PRIMARY KEY"
	}
	for _, q := range []string{
		"CREATE TABLE django_session (session_key varchar(40) PRIMARY KEY, session_data text NOT NULL)",
		"CREATE TABLE auth_user (id " + serial + ", username varchar(150) NOT NULL, is_active int NOT NULL)",
		"CREATE TABLE auth_group (id " + serial + ", name varchar(150) NOT NULL)",
		"CREATE TABLE auth_permission (id " + serial + ", codename varchar(100) NOT NULL)",
		"CREATE TABLE auth_group_permissions (id " + serial + ", group_id int NOT NULL, permission_id int NOT NULL)",
		"CREATE TABLE auth_user_groups (id " + serial + ", user_id int NOT NULL, group_id int NOT NULL)",
		"CREATE TABLE auth_user_user_permissions (id " + serial + ", user_id int NOT NULL, permission_id int NOT NULL)",
		"INSERT INTO django_session (session_key, session_data) VALUES ('k1', 'x'), ('k2', 'y')",
		"INSERT INTO auth_user (username, is_active) VALUES ('ann', 1), ('bob', 1)",
		"INSERT INTO auth_group (name) VALUES ('editors')",
		"INSERT INTO auth_permission (codename) VALUES ('view_x')",
	} {
		if _, err := db.Write.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return database{name: dialect, url: url, db: db}
}

var targets = changefeed.Targets{
	SessionTable: "django_session",
	UserTable:    "auth_user", UserPK: "id",
	UserGroupsTable: "auth_user_groups", UserGroupsColumn: "user_id",
	UserPermsTable: "auth_user_user_permissions", UserPermsColumn: "user_id",
	AllPermsTables: []string{"auth_group_permissions", "auth_permission", "auth_group"},
}

func TestInstallRemoveIdempotent(t *testing.T) {
	for _, dialect := range dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			d := open(t, dialect)
			var missing *changefeed.MissingError
			if err := changefeed.Check(ctx, d.db, targets); !errors.As(err, &missing) {
				t.Fatalf("Check before Install: %v, want a MissingError", err)
			}
			t.Logf("before Install: %v", missing)
			for i := range 2 {
				if err := changefeed.Install(ctx, d.db, targets); err != nil {
					t.Fatalf("Install #%d: %v", i+1, err)
				}
				if err := changefeed.Check(ctx, d.db, targets); err != nil {
					t.Fatalf("Check after Install #%d: %v", i+1, err)
				}
			}
			// One trigger gone: Check names it.
			drop := "DROP TRIGGER dmr_cache_auth_user_d"
			want := "trigger dmr_cache_auth_user_d on auth_user"
			if dialect == "postgres" {
				drop = "DROP TRIGGER dmr_cache_auth_user ON auth_user"
				want = "trigger dmr_cache_auth_user on auth_user"
			}
			if _, err := d.db.Write.ExecContext(ctx, drop); err != nil {
				t.Fatal(err)
			}
			if err := changefeed.Check(ctx, d.db, targets); !errors.As(err, &missing) || len(missing.Missing) != 1 || missing.Missing[0] != want {
				t.Fatalf("Check with one trigger dropped: %v, want exactly %q", err, want)
			}
			for i := range 2 {
				if err := changefeed.Remove(ctx, d.db, targets); err != nil {
					t.Fatalf("Remove #%d: %v", i+1, err)
				}
			}
			if err := changefeed.Check(ctx, d.db, targets); !errors.As(err, &missing) {
				t.Fatalf("Check after Remove: %v", err)
			}
			// Rows still change without the triggers.
			if _, err := d.db.Write.ExecContext(ctx, "UPDATE auth_user SET is_active = 0"); err != nil {
				t.Fatalf("update after Remove: %v", err)
			}
			bad := targets
			bad.SessionTable = "no_such_table"
			if err := changefeed.Install(ctx, d.db, bad); err == nil || !strings.Contains(err.Error(), "no_such_table") {
				t.Fatalf("Install on a missing table: %v", err)
			}
		})
	}
}

// recorder collects a feed's events.
type recorder struct {
	mu     sync.Mutex
	events []changefeed.Event
	resets int
	ch     chan changefeed.Event
}

func newRecorder() *recorder { return &recorder{ch: make(chan changefeed.Event, 1000)} }

func (r *recorder) options() changefeed.Options {
	return changefeed.Options{
		OnEvent: func(e changefeed.Event) {
			r.mu.Lock()
			r.events = append(r.events, e)
			r.mu.Unlock()
			r.ch <- e
		},
		OnReset: func() {
			r.mu.Lock()
			r.resets++
			r.mu.Unlock()
		},
		Interval: 20 * time.Millisecond,
	}
}

// wait returns the events up to and including want, failing after limit.
func (r *recorder) wait(t *testing.T, want changefeed.Event, limit time.Duration) time.Duration {
	t.Helper()
	return r.waitSince(t, time.Now(), want, limit)
}

// waitSince is wait measuring from start.
func (r *recorder) waitSince(t *testing.T, start time.Time, want changefeed.Event, limit time.Duration) time.Duration {
	t.Helper()
	deadline := time.After(limit)
	for {
		select {
		case e := <-r.ch:
			if e == want {
				return time.Since(start)
			}
		case <-deadline:
			t.Fatalf("no event %v within %v", want, limit)
		}
	}
}

func start(t *testing.T, d database, opts changefeed.Options) *changefeed.Feed {
	t.Helper()
	ctx := context.Background()
	if err := changefeed.Install(ctx, d.db, targets); err != nil {
		t.Fatal(err)
	}
	var (
		f   *changefeed.Feed
		err error
	)
	if d.name == "postgres" {
		f, err = changefeed.Listen(ctx, d.url, opts)
	} else {
		f, err = changefeed.Poll(ctx, d.db, opts)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if !f.Live() {
		t.Fatal("a started feed is not live")
	}
	return f
}

// A change made by plain SQL on another connection reaches the feed
// within a bound; the time is logged.
func TestFeedEvents(t *testing.T) {
	for _, dialect := range dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			d := open(t, dialect)
			// Rows from before the start are not replayed.
			rec := newRecorder()
			if err := changefeed.Install(ctx, d.db, targets); err != nil {
				t.Fatal(err)
			}
			if _, err := d.db.Write.ExecContext(ctx, "UPDATE auth_user SET is_active = 1 WHERE username = 'bob'"); err != nil {
				t.Fatal(err)
			}
			f := start(t, d, rec.options())
			for _, tc := range []struct {
				sql  string
				want changefeed.Event
			}{
				{"UPDATE django_session SET session_data = 'z' WHERE session_key = 'k1'", changefeed.Event{Kind: changefeed.Session, Key: "k1"}},
				{"DELETE FROM django_session WHERE session_key = 'k2'", changefeed.Event{Kind: changefeed.Session, Key: "k2"}},
				{"UPDATE auth_user SET is_active = 0 WHERE username = 'ann'", changefeed.Event{Kind: changefeed.User, Key: "1"}},
				{"DELETE FROM auth_user WHERE username = 'bob'", changefeed.Event{Kind: changefeed.User, Key: "2"}},
				{"INSERT INTO auth_user_groups (user_id, group_id) VALUES (1, 1)", changefeed.Event{Kind: changefeed.UserPerms, Key: "1"}},
				{"INSERT INTO auth_user_user_permissions (user_id, permission_id) VALUES (7, 1)", changefeed.Event{Kind: changefeed.UserPerms, Key: "7"}},
				{"DELETE FROM auth_user_user_permissions WHERE user_id = 7", changefeed.Event{Kind: changefeed.UserPerms, Key: "7"}},
				{"UPDATE auth_user_groups SET user_id = 3 WHERE user_id = 1", changefeed.Event{Kind: changefeed.UserPerms, Key: "3"}},
				{"INSERT INTO auth_group_permissions (group_id, permission_id) VALUES (1, 1)", changefeed.Event{Kind: changefeed.AllPerms}},
				{"UPDATE auth_group SET name = 'writers'", changefeed.Event{Kind: changefeed.AllPerms}},
				{"DELETE FROM auth_permission", changefeed.Event{Kind: changefeed.AllPerms}},
			} {
				began := time.Now() // the statement's commit is part of the time
				if _, err := d.db.Write.ExecContext(ctx, tc.sql); err != nil {
					t.Fatalf("%s: %v", tc.sql, err)
				}
				took := rec.waitSince(t, began, tc.want, 2*time.Second)
				t.Logf("%s: %v %q seen after %v", dialect, tc.want.Kind, tc.want.Key, took)
			}
			rec.mu.Lock()
			if first := rec.events[0]; first != (changefeed.Event{Kind: changefeed.Session, Key: "k1"}) {
				t.Errorf("first event %v: a change made before the start was delivered", first)
			}
			rec.mu.Unlock()
			if !f.Live() || f.Resets() != 0 {
				t.Fatalf("Live %v Resets %d after a clean run", f.Live(), f.Resets())
			}
		})
	}
}

// waitFor polls cond every 5 ms up to limit and returns how long it took.
func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

// Killing the LISTEN connection turns Live false at once; the feed
// reconnects, runs OnReset and is live again; events flow again.
func TestListenReconnect(t *testing.T) {
	ctx := context.Background()
	d := open(t, "postgres")
	rec := newRecorder()
	f := start(t, d, rec.options())
	kill := func() {
		t.Helper()
		var n int
		if err := d.db.Write.QueryRowContext(ctx,
			"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN "+changefeed.Channel+"'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("%d LISTEN connections terminated, want 1", n)
		}
	}
	for round := 1; round <= 2; round++ {
		kill()
		down := waitFor(t, "Live false after pg_terminate_backend", 2*time.Second, func() bool { return !f.Live() })
		back := waitFor(t, "reconnection", 5*time.Second, f.Live)
		t.Logf("round %d: down seen after %v, live again %v later", round, down, back)
		rec.mu.Lock()
		resets := rec.resets
		rec.mu.Unlock()
		if resets != round || f.Resets() != int64(round) {
			t.Fatalf("OnReset ran %d times (Resets %d), want %d", resets, f.Resets(), round)
		}
		key := fmt.Sprintf("r%d", round)
		if _, err := d.db.Write.ExecContext(ctx, "INSERT INTO django_session (session_key, session_data) VALUES ($1, 'x')", key); err != nil {
			t.Fatal(err)
		}
		if _, err := d.db.Write.ExecContext(ctx, "UPDATE django_session SET session_data = 'y' WHERE session_key = $1", key); err != nil {
			t.Fatal(err)
		}
		rec.wait(t, changefeed.Event{Kind: changefeed.Session, Key: key}, 2*time.Second)
	}
	if err := f.Close(); err != nil || f.Live() {
		t.Fatalf("Close: %v, Live %v", err, f.Live())
	}
}

// A failing poll turns Live false; the next successful one resets and
// turns it true again.
func TestPollFailure(t *testing.T) {
	for _, dialect := range []string{"sqlite", "mysql"} {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			d := open(t, dialect)
			rec := newRecorder()
			f := start(t, d, rec.options())
			rename := func(from, to string) {
				t.Helper()
				if _, err := d.db.Write.ExecContext(ctx, "ALTER TABLE "+from+" RENAME TO "+to); err != nil {
					t.Fatal(err)
				}
			}
			rename(changefeed.ChangelogTable, "dmr_cache_changelog_away")
			down := waitFor(t, "Live false after a failed poll", 2*time.Second, func() bool { return !f.Live() })
			rename("dmr_cache_changelog_away", changefeed.ChangelogTable)
			back := waitFor(t, "Live again", 2*time.Second, f.Live)
			t.Logf("down seen after %v, live again %v after the table came back", down, back)
			if f.Resets() != 1 {
				t.Fatalf("Resets %d, want 1", f.Resets())
			}
			if _, err := d.db.Write.ExecContext(ctx, "UPDATE django_session SET session_data = 'q' WHERE session_key = 'k1'"); err != nil {
				t.Fatal(err)
			}
			rec.wait(t, changefeed.Event{Kind: changefeed.Session, Key: "k1"}, 2*time.Second)
		})
	}
}

// Old rows are pruned by the poller.
func TestPollPrunes(t *testing.T) {
	ctx := context.Background()
	d := open(t, "sqlite")
	rec := newRecorder()
	opts := rec.options()
	opts.Retention = 2 * time.Second // the smallest accepted
	f := start(t, d, opts)
	if _, err := d.db.Write.ExecContext(ctx, "INSERT INTO "+changefeed.ChangelogTable+" (kind, k, at) VALUES ('s', 'old', 1)"); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, changefeed.Event{Kind: changefeed.Session, Key: "old"}, 2*time.Second)
	waitFor(t, "old row pruned", 3*time.Second, func() bool {
		var n int
		if err := d.db.Read.QueryRowContext(ctx, "SELECT count(*) FROM "+changefeed.ChangelogTable+" WHERE k = 'old'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 0
	})
	if !f.Live() {
		t.Fatal("not live")
	}
}

// MySQL hands out auto-increment ids at insert time, not at commit: a
// transaction that took an id earlier can commit after a later one. The
// poller must not skip its row.
func TestPollLateCommit(t *testing.T) {
	ctx := context.Background()
	d := open(t, "mysql")
	rec := newRecorder()
	start(t, d, rec.options())
	early, err := d.db.Write.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer early.Rollback()
	if _, err := early.ExecContext(ctx, "UPDATE django_session SET session_data = 'e' WHERE session_key = 'k1'"); err != nil {
		t.Fatal(err)
	}
	// A later transaction commits first, and is delivered.
	if _, err := d.db.Write.ExecContext(ctx, "UPDATE django_session SET session_data = 'l' WHERE session_key = 'k2'"); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, changefeed.Event{Kind: changefeed.Session, Key: "k2"}, 2*time.Second)
	time.Sleep(200 * time.Millisecond) // several polls past the hole
	select {
	case e := <-rec.ch:
		t.Fatalf("event %v delivered before the early transaction committed", e)
	default:
	}
	if err := early.Commit(); err != nil {
		t.Fatal(err)
	}
	took := rec.wait(t, changefeed.Event{Kind: changefeed.Session, Key: "k1"}, 2*time.Second)
	t.Logf("the early transaction's change, committed late, delivered %v after its commit", took)
}

// A silent LISTEN connection is pinged every Heartbeat; the wait timing out
// leaves the connection usable, so the feed stays live and delivers.
func TestListenHeartbeat(t *testing.T) {
	ctx := context.Background()
	d := open(t, "postgres")
	rec := newRecorder()
	opts := rec.options()
	opts.Heartbeat = 20 * time.Millisecond
	f := start(t, d, opts)
	time.Sleep(300 * time.Millisecond) // about fifteen heartbeats
	if !f.Live() || f.Resets() != 0 {
		t.Fatalf("after heartbeats: Live %v, Resets %d", f.Live(), f.Resets())
	}
	if _, err := d.db.Write.ExecContext(ctx, "DELETE FROM django_session WHERE session_key = 'k1'"); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, changefeed.Event{Kind: changefeed.Session, Key: "k1"}, 2*time.Second)
	if f.Resets() != 0 {
		t.Fatalf("Resets %d", f.Resets())
	}
}
