package faults

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" driver, for the lock holder
)

// ackNotes creates n notes and returns them (each acknowledged with 201).
func ackNotes(t *testing.T, c *client, prefix string, n int) []note {
	t.Helper()
	var out []note
	for i := range n {
		nt, r := c.addNote(fmt.Sprintf("%s %d", prefix, i))
		if r.status != 201 {
			t.Fatalf("POST /api/notes/: %d %s %v", r.status, r.body, r.err)
		}
		out = append(out, nt)
	}
	return out
}

// burst sends n protected GETs, checking each is a 503 within the bound.
func burst(t *testing.T, c *client, n int) {
	t.Helper()
	for range n {
		r := c.do("GET", "/api/notes/", "")
		if r.err != nil || r.status != 503 || r.elapsed > bound {
			t.Fatalf("burst: %d %s %v after %v", r.status, r.body, r.err, r.elapsed)
		}
	}
}

// TestPostgres: the example on its own PostgreSQL (db sessions, the CSRF
// secret in the session so that GET /api/csrf/ needs the store too) through
// a freeze (SIGSTOP of the whole cluster), a stop and a restart.
func TestPostgres(t *testing.T) {
	pg := startPostgres(t)
	a := startApp(t, "DMR_DATABASE_URL="+pg.url(), "DMR_SESSION_STORE=db", "DMR_CSRF_USE_SESSIONS=1")
	c := a.client()
	c.mustLogin(t)
	acked := ackNotes(t, c, "before the freeze", 3)

	t.Run("freeze", func(t *testing.T) {
		pg.p.signal(t, syscall.SIGSTOP)
		thawed := false
		defer func() {
			if !thawed {
				pg.p.signal(t, syscall.SIGCONT)
			}
		}()
		checkUnavailable(t, c, endpoints())
		pg.p.signal(t, syscall.SIGCONT)
		thawed = true
		recovers(t, "after SIGCONT", time.Now(), okNotes(c))
		wantNotes(t, c, acked)
		acked = append(acked, ackNotes(t, c, "after the freeze", 1)...)
	})

	t.Run("stop", func(t *testing.T) {
		before := a.logLines("unavailable")
		pg.stop(t)
		checkUnavailable(t, c, endpoints())
		burst(t, c, 40)
		// 46 failed requests: a few rate-limited lines (none at all while
		// the freeze's lines are less than 10 s old), not one per request.
		if n := a.logLines("unavailable") - before; n > 10 || a.logLines("unavailable") == 0 {
			t.Errorf("%d log lines about the unavailable store for 46 failed requests, want at most 10 (and some in all):\n%s", n, a.p.out.String())
		}
		if n := a.logLines("level=ERROR") - a.logLines("unavailable"); n > 0 {
			t.Errorf("%d error lines not rate-limited:\n%s", n, a.p.out.String())
		}
	})

	t.Run("restart", func(t *testing.T) {
		pg.start(t)
		recovers(t, "after the restart", time.Now(), okNotes(c))
		wantNotes(t, c, acked)
		ackNotes(t, c, "after the restart", 1)
		// A fresh login works too.
		d := a.client()
		d.mustLogin(t)
		if r := d.do("POST", "/api/auth/logout/", ""); r.status != 204 {
			t.Fatalf("logout: %d %s", r.status, r.body)
		}
	})
}

// TestRedis: the example with sessions in its own Redis only ("redis"
// store) through a stop, a restart (the append-only file keeps the
// sessions it acknowledged) and a freeze.
func TestRedis(t *testing.T) {
	rs := startRedis(t)
	a := startApp(t, "DMR_SESSION_STORE=redis", "DMR_REDIS_URL=redis://"+rs.addr()+"/0")
	c := a.client()
	c.mustLogin(t)
	acked := ackNotes(t, c, "before the stop", 2)

	t.Run("stop", func(t *testing.T) {
		rs.stop(t)
		// The login must not answer 500 text/plain any more.
		checkUnavailable(t, c, endpoints())
		burst(t, c, 20)
	})

	t.Run("restart", func(t *testing.T) {
		rs.start(t)
		recovers(t, "after the restart", time.Now(), okNotes(c))
		wantNotes(t, c, acked)
		acked = append(acked, ackNotes(t, c, "after the restart", 1)...)
	})

	t.Run("freeze", func(t *testing.T) {
		rs.p.signal(t, syscall.SIGSTOP)
		thawed := false
		defer func() {
			if !thawed {
				rs.p.signal(t, syscall.SIGCONT)
			}
		}()
		checkUnavailable(t, c, endpoints())
		rs.p.signal(t, syscall.SIGCONT)
		thawed = true
		recovers(t, "after SIGCONT", time.Now(), okNotes(c))
		wantNotes(t, c, acked)
	})
}

// TestCachedDB: with cached_db, a Redis outage costs no availability (the
// database answers), and a logout made during it is not undone by the stale
// cached copy once Redis is back.
func TestCachedDB(t *testing.T) {
	rs := startRedis(t)
	a := startApp(t, "DMR_SESSION_STORE=cached_db", "DMR_REDIS_URL=redis://"+rs.addr()+"/0")
	c, leaver := a.client(), a.client()
	c.mustLogin(t)
	leaver.mustLogin(t)
	acked := ackNotes(t, c, "before the stop", 2)
	stale := leaver.clone() // keeps the session cookie the logout ends

	rs.stop(t)
	for _, rq := range []struct {
		name string
		f    func() answer
		want int
	}{
		{"protected GET", func() answer { return c.do("GET", "/api/notes/", "") }, 200},
		{"protected POST", func() answer {
			nt, r := c.addNote("while Redis is down")
			if r.status == 201 {
				acked = append(acked, nt)
			}
			return r
		}, 201},
		{"logout", func() answer { return leaver.do("POST", "/api/auth/logout/", "") }, 204},
		{"login", func() answer { return a.client().login() }, 200},
	} {
		r := rq.f()
		if r.err != nil || r.status != rq.want || r.elapsed > bound {
			t.Errorf("Redis down, %s: %d %s %v after %v; want %d", rq.name, r.status, r.body, r.err, r.elapsed, rq.want)
		}
	}
	if r := stale.do("GET", "/api/notes/", ""); r.status != 401 {
		t.Errorf("the logged-out session answers %d while Redis is down, want 401", r.status)
	}

	rs.start(t)
	back := time.Now()
	// The breaker probes Redis again within its cool-down (1 s); during and
	// after that, the logged-out session must stay logged out.
	for time.Since(back) < recovery {
		if r := stale.do("GET", "/api/notes/", ""); r.status != 401 {
			t.Fatalf("the session logged out while Redis was down answers %d %s after Redis came back, want 401", r.status, r.body)
		}
		if r := c.do("GET", "/api/notes/", ""); r.status != 200 {
			t.Fatalf("GET /api/notes/ after Redis came back: %d %s", r.status, r.body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	wantNotes(t, c, acked)
	if n := a.logLines("session cache available again"); n == 0 {
		t.Errorf("no sign that the cache was used again after Redis came back:\n%s", a.p.out.String())
	}

	// A frozen Redis: the read timeout, then the database, for every
	// request, until it thaws.
	rs.p.signal(t, syscall.SIGSTOP)
	thawed := false
	defer func() {
		if !thawed {
			rs.p.signal(t, syscall.SIGCONT)
		}
	}()
	for i := range 5 {
		nt, r := c.addNote(fmt.Sprint("while Redis is frozen ", i))
		if r.err != nil || r.status != 201 || r.elapsed > bound {
			t.Fatalf("Redis frozen, POST /api/notes/: %d %s %v after %v; want 201 within %v", r.status, r.body, r.err, r.elapsed, bound)
		}
		acked = append(acked, nt)
	}
	if r := stale.do("GET", "/api/notes/", ""); r.status != 401 {
		t.Errorf("the logged-out session answers %d while Redis is frozen, want 401", r.status)
	}
	rs.p.signal(t, syscall.SIGCONT)
	thawed = true
	recovers(t, "after SIGCONT", time.Now(), okNotes(c))
	wantNotes(t, c, acked)
}

// TestSQLiteLock: another connection holds SQLite's write lock. Writes
// answer 503 within the bound, reads still answer (WAL), and everything
// works again once the lock is released.
func TestSQLiteLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "locked.sqlite3")
	a := startApp(t, "DMR_DATABASE_URL=sqlite:"+path)
	c := a.client()
	c.mustLogin(t)
	acked := ackNotes(t, c, "before the lock", 2)

	holder, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	ctx := context.Background()
	conn, err := holder.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	locked := true
	defer func() {
		if locked {
			_, _ = conn.ExecContext(ctx, "ROLLBACK")
		}
	}()

	writes := []request{
		{name: "protected POST", method: "POST", path: "/api/notes/", body: `{"text":"while locked"}`},
		{name: "login", method: "POST", path: "/api/auth/", body: fmt.Sprintf(`{"username":%q,"password":%q}`, username, password), fresh: true},
	}
	checkUnavailable(t, c, writes)
	if r := c.do("GET", "/api/notes/", ""); r.status != 200 || r.elapsed > bound {
		t.Errorf("a read while the write lock is held: %d %s after %v, want 200 within %v", r.status, r.body, r.elapsed, bound)
	}

	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	locked = false
	released := time.Now()
	recovers(t, "after the lock was released", released, func() error {
		_, r := c.addNote("after the lock")
		if r.status != 201 {
			return fmt.Errorf("POST /api/notes/: %d %s", r.status, strings.TrimSpace(string(r.body)))
		}
		return nil
	})
	wantNotes(t, c, acked)
}
