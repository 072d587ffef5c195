package interop_test

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/dmr-go/dmr/internal/djangotest"
	"github.com/dmr-go/dmr/internal/testenv"
)

// The example application over HTTP with its caches evicted by the database
// (DMR_AUTH_CACHE=notify on PostgreSQL, changelog on SQLite and MariaDB,
// after its installtriggers command), sharing the database with Django 5.2:
// each change Django makes to a cached session, user or permission turns the
// example's next answers from 200 into 401 or 403. The time from Django's
// command returning to the first such answer is logged; the bound asserted
// is loose (the feed's own bound is the poll interval, 50 ms, or one
// notification).
func TestExampleAuthCacheFeedDjango(t *testing.T) {
	bin := testenv.BuildBinary(t, "github.com/dmr-go/dmr/examples/sessionauth")
	for _, kind := range sessionDatabases {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			db := newDatabase(t, kind)
			dj := djangotest.New(t, "5.2", djangotest.Config{DB: db.URL})
			dj.Migrate(false) // Django first: on SQLite its ALTERs remake auth's tables
			mode := "changelog"
			if kind == "postgres" {
				mode = "notify"
			}
			secret := dj.Config().SecretKey
			install := exec.Command(bin, "installtriggers")
			install.Dir = t.TempDir()
			install.Env = append(os.Environ(), "DMR_DATABASE_URL="+db.URL, "DMR_SECRET_KEY="+secret, "DMR_AUTH_CACHE="+mode)
			if out, err := install.CombinedOutput(); err != nil {
				t.Fatalf("installtriggers: %v\n%s", err, out)
			}
			base := startExample(t, bin, db.URL, secret, "DMR_AUTH_CACHE="+mode)

			const perm = "auth.view_user"
			dj.CreateUserWith("ann", "pw", nil)
			dj.GrantPerm("ann", perm, "")
			login := func(password string) string {
				t.Helper()
				r := dj.Login("ann", password)
				if !r.OK {
					t.Fatalf("Django login: %+v", r)
				}
				return r.SessionID
			}
			// get asks path with session and wants code.
			get := func(path, session string, code int) {
				t.Helper()
				if got, body := exampleGet(t, base+path, session); got != code {
					t.Fatalf("GET %s: %d %s, want %d", path, got, body, code)
				}
			}
			// answers waits until path answers code, the change having been
			// made by Django just before.
			answers := func(what, path, session string, code int) {
				t.Helper()
				start := time.Now()
				for {
					got, _ := exampleGet(t, base+path, session)
					if got == code {
						break
					}
					if time.Since(start) > 5*time.Second {
						t.Fatalf("%s: GET %s still answers %d after %v, want %d", what, path, got, time.Since(start), code)
					}
					time.Sleep(time.Millisecond) // polling, not a timed assertion
				}
				t.Logf("%s %s: %s: GET %s answered %d %v after Django's command returned", kind, mode, what, path, code, time.Since(start).Round(100*time.Microsecond))
			}

			sid := login("pw")
			get("/api/users/", sid, 200) // the session, user and permissions now cached
			get("/api/apicontroller/", sid, 200)
			dj.RevokePerm("ann", perm, "")
			answers("a permission revoked", "/api/users/", sid, 403)
			get("/api/apicontroller/", sid, 200) // the session itself still stands

			dj.SetPassword("ann", "pw2")
			answers("a password change", "/api/apicontroller/", sid, 401)

			sid = login("pw2")
			get("/api/apicontroller/", sid, 200)
			dj.Run("set-active", map[string]any{"username": "ann", "is_active": false}, nil)
			answers("a deactivation", "/api/apicontroller/", sid, 401)
			dj.Run("set-active", map[string]any{"username": "ann", "is_active": true}, nil)
			answers("a reactivation", "/api/apicontroller/", sid, 200)

			dj.Run("session-delete", map[string]any{"key": sid}, nil)
			answers("a logout (session row deleted)", "/api/apicontroller/", sid, 401)
		})
	}
}
