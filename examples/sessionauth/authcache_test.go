package main

import (
	"context"
	"testing"
	"time"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/manage"
	"github.com/dmr-go/dmr/sessions"
)

// The example keeps loaded sessions and users in memory for a short time.
// Changes made through this server are immediate (TestSeedRunResult's logout
// runs with the cache on); a logout, password change or deactivation written
// straight to the database, as Django or another replica would, is honoured
// once the TTL has passed. The test polls with a deadline instead of
// asserting any timing.
func TestCacheStalenessBound(t *testing.T) {
	if App().Options.AuthCacheTTL != time.Second {
		t.Fatalf("the example's cache TTL is %v; the guide documents 1s", App().Options.AuthCacheTTL)
	}
	for _, setup := range storeSetups {
		if !setup.revocable {
			continue
		}
		t.Run(setup.name, func(t *testing.T) {
			srv := startServer(t, setup.config(t), manage.Options{})
			if _, ok := srv.env.Store.(*sessions.LocalCache); !ok {
				t.Fatalf("session store %T is not cached", srv.env.Store)
			}
			if _, ok := srv.env.Users.(*auth.UserCache); !ok {
				t.Fatalf("user store %T is not cached", srv.env.Users)
			}
			ctx := context.Background()
			db := srv.env.SQL.Write
			ph := func(q string) string { return q }
			if srv.env.SQL.Dialect.String() == "postgres" {
				ph = func(q string) string { return numbered(q) }
			}
			for i, tc := range []struct {
				name   string
				change func(t *testing.T, sid string, uid string)
			}{
				{"session deleted in the database", func(t *testing.T, sid string, _ string) {
					switch setup.name {
					case "redis", "cached_db":
						// Another process deleting the Redis key (and row): the
						// wrapped store's Delete, which bypasses this cache.
						if err := srv.env.Store.(*sessions.LocalCache).Unwrap().Delete(ctx, sid); err != nil {
							t.Fatal(err)
						}
					default:
						if _, err := db.ExecContext(ctx, ph(`DELETE FROM django_session WHERE session_key = ?`), sid); err != nil {
							t.Fatal(err)
						}
					}
				}},
				{"user deactivated in the database", func(t *testing.T, _ string, uid string) {
					if _, err := db.ExecContext(ctx, ph(`UPDATE auth_user SET is_active = false WHERE id = ?`), uid); err != nil {
						t.Fatal(err)
					}
				}},
				{"password changed in the database", func(t *testing.T, _ string, uid string) {
					if _, err := db.ExecContext(ctx, ph(`UPDATE auth_user SET password = ? WHERE id = ?`), "pbkdf2_sha256$2$salt$changed=", uid); err != nil {
						t.Fatal(err)
					}
				}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					name := "user" + string(rune('a'+i))
					u := srv.createUser(t, auth.NewUser{Username: name, Password: "password"})
					login := srv.do(t, "POST", "/api/auth/", `{"username":"`+name+`","password":"password"}`, jsonHeader)
					login.want(t, 200, "")
					sid := login.cookie("sessionid")
					srv.do(t, "GET", "/api/apicontroller/", "", nil, sid).want(t, 200, `"`+name+`"`) // now cached
					tc.change(t, sid.Value, u.ID)
					deadline := time.Now().Add(20 * time.Second)
					for {
						e := srv.do(t, "GET", "/api/apicontroller/", "", nil, sid)
						if e.res.StatusCode == 401 {
							e.want(t, 401, notAuthenticated)
							break
						}
						e.want(t, 200, `"`+name+`"`)
						if time.Now().After(deadline) {
							t.Fatal("the change made behind the cache was never honoured")
						}
						time.Sleep(50 * time.Millisecond)
					}
				})
			}
		})
	}
}

// numbered turns ? placeholders into $1, $2… for PostgreSQL.
func numbered(q string) string {
	out := make([]byte, 0, len(q)+4)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			out = append(out, '$', byte('0'+n))
			continue
		}
		out = append(out, q[i])
	}
	return string(out)
}
