package manage_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/internal/testenv"
	"github.com/dmr-go/dmr/manage"
	"github.com/dmr-go/dmr/pyjson"
	"github.com/dmr-go/dmr/sessions"
	"github.com/dmr-go/dmr/sqldb"
)

func TestAuthCacheModeFromEnv(t *testing.T) {
	sqlite := "sqlite:" + filepath.Join(t.TempDir(), "db.sqlite3")
	pg := "postgres://u@127.0.0.1/db"
	for _, tc := range []struct {
		name     string
		env      map[string]string
		wantMode manage.AuthCacheMode
		wantPoll time.Duration
		wantErr  string // a variable the one-line error must name
	}{
		{"unset: today's behaviour", nil, manage.AuthCacheDefault, 0, ""},
		{"ttl", map[string]string{manage.EnvAuthCache: "ttl"}, manage.AuthCacheTTL, 0, ""},
		{"off", map[string]string{manage.EnvAuthCache: "off"}, manage.AuthCacheOff, 0, ""},
		{"changelog on SQLite", map[string]string{manage.EnvAuthCache: "changelog"}, manage.AuthCacheChangelog, 0, ""},
		{"changelog with poll", map[string]string{manage.EnvAuthCache: "changelog", manage.EnvAuthCachePoll: "20ms"}, manage.AuthCacheChangelog, 20 * time.Millisecond, ""},
		{"notify on PostgreSQL", map[string]string{manage.EnvAuthCache: "notify", manage.EnvDatabaseURL: pg}, manage.AuthCacheNotify, 0, ""},
		{"unknown mode", map[string]string{manage.EnvAuthCache: "redis"}, "", 0, manage.EnvAuthCache},
		{"notify on SQLite", map[string]string{manage.EnvAuthCache: "notify"}, "", 0, manage.EnvAuthCache},
		{"changelog on PostgreSQL", map[string]string{manage.EnvAuthCache: "changelog", manage.EnvDatabaseURL: pg}, "", 0, manage.EnvAuthCache},
		{"poll without changelog", map[string]string{manage.EnvAuthCachePoll: "50ms"}, "", 0, manage.EnvAuthCachePoll},
		{"poll not a duration", map[string]string{manage.EnvAuthCache: "changelog", manage.EnvAuthCachePoll: "fast"}, "", 0, manage.EnvAuthCachePoll},
		{"poll zero", map[string]string{manage.EnvAuthCache: "changelog", manage.EnvAuthCachePoll: "0"}, "", 0, manage.EnvAuthCachePoll},
		{"poll too long", map[string]string{manage.EnvAuthCache: "changelog", manage.EnvAuthCachePoll: "2m"}, "", 0, manage.EnvAuthCachePoll},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{manage.EnvDatabaseURL: sqlite, manage.EnvSecretKey: "k"}
			for k, v := range tc.env {
				env[k] = v
			}
			cfg, err := manage.ConfigFromEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("error %v, want one line naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.AuthCache != tc.wantMode || cfg.AuthCachePoll != tc.wantPoll {
				t.Fatalf("mode %q poll %v, want %q %v", cfg.AuthCache, cfg.AuthCachePoll, tc.wantMode, tc.wantPoll)
			}
		})
	}
}

// DMR_AUTH_CACHE=off turns both caches off whatever the TTL says; ttl is
// today's behaviour.
func TestAuthCacheModeWiring(t *testing.T) {
	for _, tc := range []struct {
		mode      manage.AuthCacheMode
		wantCache bool
	}{{manage.AuthCacheDefault, true}, {manage.AuthCacheTTL, true}, {manage.AuthCacheOff, false}} {
		t.Run(string(tc.mode), func(t *testing.T) {
			cfg := manage.Config{DatabaseURL: "sqlite:" + filepath.Join(t.TempDir(), "db.sqlite3"), SecretKey: "k", AuthCache: tc.mode}
			env, err := manage.Open(context.Background(), cfg, manage.Options{AuthCacheTTL: time.Second, Logger: quiet()})
			if err != nil {
				t.Fatal(err)
			}
			defer env.Close()
			_, sc := env.Store.(*sessions.LocalCache)
			_, uc := env.Users.(*auth.UserCache)
			if sc != tc.wantCache || uc != tc.wantCache || env.AuthCacheFeed() != nil {
				t.Fatalf("session cache %v, user cache %v, feed %v; want caches %v and no feed", sc, uc, env.AuthCacheFeed(), tc.wantCache)
			}
		})
	}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// The whole path on each database: serve refuses to start without the
// triggers, installtriggers and removetriggers are idempotent, and with the
// triggers a logout or a deactivation made by plain SQL on another
// connection reaches this process's caches within the feed's bound.
func TestAuthCacheFeed(t *testing.T) {
	for _, tc := range []struct {
		dialect, mode string
		bound         time.Duration // asserted; the measured time is logged
	}{
		{"sqlite", "changelog", time.Second},
		{"postgres", "notify", time.Second},
		{"mysql", "changelog", time.Second},
	} {
		t.Run(tc.dialect, func(t *testing.T) {
			ctx := context.Background()
			var url string
			switch tc.dialect {
			case "sqlite":
				url = "sqlite:" + filepath.Join(t.TempDir(), "db.sqlite3")
			case "postgres":
				url = testenv.PostgresURL(t)
			case "mysql":
				url = testenv.MySQLURL(t)
			}
			vars := map[string]string{manage.EnvDatabaseURL: url, manage.EnvSecretKey: "0123456789012345678901234567890123456789012345678901",
				manage.EnvAuthCache: tc.mode}
			app := whoami()
			r := runApp(t, app, vars, "", "serve", "--addr", "127.0.0.1:0")
			if r.code != 1 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "installtriggers") || !strings.Contains(r.stderr, manage.EnvAuthCache) {
				t.Fatalf("serve without triggers: %+v, want one line naming installtriggers", r)
			}
			t.Logf("refusal: %s", strings.TrimSpace(r.stderr))
			for _, cmd := range []string{"installtriggers", "installtriggers", "removetriggers", "removetriggers", "installtriggers"} {
				if r := runApp(t, app, vars, "", cmd); r.code != 0 || !strings.Contains(r.stdout, "triggers") {
					t.Fatalf("%s: %+v", cmd, r)
				}
			}
			cfg, err := manage.ConfigFromEnv(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
			if err != nil {
				t.Fatal(err)
			}
			env, err := manage.Open(ctx, cfg, manage.Options{Logger: quiet()})
			if err != nil {
				t.Fatal(err)
			}
			defer env.Close()
			feed := env.AuthCacheFeed()
			if feed == nil || !feed.Live() {
				t.Fatal("no live feed")
			}
			// Another process: its own pool.
			other, err := sqldb.Open(ctx, url, sqldb.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()

			// A session, cached.
			key := "feedtest0123456789abcdefghijklmn"
			if _, err := env.Store.Create(ctx, sessions.Record{Key: key, Data: pyjson.NewObject(0), Expiry: time.Now().Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			if _, err := env.Store.Load(ctx, key); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			if _, err := other.Write.ExecContext(ctx, "DELETE FROM django_session WHERE session_key = '"+key+"'"); err != nil {
				t.Fatal(err)
			}
			took := eventually(t, tc.bound, func() bool {
				_, err := env.Store.Load(ctx, key)
				return errors.Is(err, sessions.ErrNotFound)
			}, start)
			t.Logf("%s %s: session deleted by another connection, gone from the cache after %v", tc.dialect, tc.mode, took)

			// A user, cached, deactivated elsewhere.
			u := &auth.User{Username: "ann", IsActive: true}
			if err := env.Users.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			if got, err := env.Users.UserByID(ctx, u.ID); err != nil || !got.IsActive {
				t.Fatalf("UserByID: %+v %v", got, err)
			}
			start = time.Now()
			if _, err := other.Write.ExecContext(ctx, "UPDATE auth_user SET is_active = FALSE WHERE username = 'ann'"); err != nil {
				t.Fatal(err)
			}
			took = eventually(t, tc.bound, func() bool {
				got, err := env.Users.UserByID(ctx, u.ID)
				return err == nil && !got.IsActive
			}, start)
			t.Logf("%s %s: user deactivated by another connection, seen after %v", tc.dialect, tc.mode, took)

			if tc.dialect != "postgres" {
				// A failing poll (the change log renamed away): the cache is
				// bypassed, a change made meanwhile shows at once, and the
				// next successful poll flushes.
				if _, err := other.Write.ExecContext(ctx, "UPDATE auth_user SET is_active = TRUE WHERE username = 'ann'"); err != nil {
					t.Fatal(err)
				}
				eventually(t, tc.bound, func() bool {
					got, err := env.Users.UserByID(ctx, u.ID)
					return err == nil && got.IsActive
				}, time.Now())
				if _, err := other.Write.ExecContext(ctx, "ALTER TABLE dmr_cache_changelog RENAME TO dmr_cache_changelog_away"); err != nil {
					t.Fatal(err)
				}
				eventually(t, tc.bound, func() bool { return !feed.Live() }, time.Now())
				if tc.dialect == "sqlite" {
					// (SQLite's RENAME rewrote the triggers to the new name,
					// so writes still work; on MySQL they would fail.)
					if _, err := other.Write.ExecContext(ctx, "UPDATE auth_user SET is_active = FALSE WHERE username = 'ann'"); err != nil {
						t.Fatal(err)
					}
					if got, err := env.Users.UserByID(ctx, u.ID); err != nil || got.IsActive {
						t.Fatalf("poller down, cache not bypassed: %+v %v", got, err)
					}
				}
				if _, err := other.Write.ExecContext(ctx, "ALTER TABLE dmr_cache_changelog_away RENAME TO dmr_cache_changelog"); err != nil {
					t.Fatal(err)
				}
				eventually(t, tc.bound, feed.Live, time.Now())
				if feed.Resets() != 1 {
					t.Fatalf("Resets %d, want 1", feed.Resets())
				}
				if got, err := env.Users.UserByID(ctx, u.ID); err != nil || got.IsActive != (tc.dialect != "sqlite") {
					t.Fatalf("after the poller came back: %+v %v", got, err)
				}
				return
			}
			// The LISTEN connection killed: a change made meanwhile is
			// missed by the feed, but the cache was bypassed and is flushed
			// on reconnection.
			if _, err := other.Write.ExecContext(ctx, "UPDATE auth_user SET is_active = TRUE WHERE username = 'ann'"); err != nil {
				t.Fatal(err)
			}
			eventually(t, tc.bound, func() bool {
				got, err := env.Users.UserByID(ctx, u.ID)
				return err == nil && got.IsActive
			}, time.Now())
			var n int
			if err := other.Write.QueryRowContext(ctx, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN dmr_cache'").Scan(&n); err != nil || n != 1 {
				t.Fatalf("pg_terminate_backend: %d %v", n, err)
			}
			eventually(t, tc.bound, func() bool { return !feed.Live() }, time.Now())
			if _, err := other.Write.ExecContext(ctx, "UPDATE auth_user SET is_active = FALSE WHERE username = 'ann'"); err != nil {
				t.Fatal(err)
			}
			if !feed.Live() {
				// Down: the cache is bypassed, the change shows at once.
				if got, err := env.Users.UserByID(ctx, u.ID); err != nil || got.IsActive {
					t.Fatalf("feed down, cache not bypassed: %+v %v", got, err)
				}
			}
			eventually(t, 10*time.Second, feed.Live, time.Now())
			if feed.Resets() != 1 {
				t.Fatalf("Resets %d, want 1", feed.Resets())
			}
			if got, err := env.Users.UserByID(ctx, u.ID); err != nil || got.IsActive {
				t.Fatalf("after reconnection the cache still serves the old row: %+v %v", got, err)
			}
		})
	}
}

// eventually polls cond every millisecond until it holds, failing after
// limit; it returns the time from start.
func eventually(t *testing.T, limit time.Duration, cond func() bool, start time.Time) time.Duration {
	t.Helper()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("not within %v", limit)
		}
		time.Sleep(time.Millisecond)
	}
	return time.Since(start)
}

// --help lists the auth cache variables and the trigger commands.
func TestAuthCacheHelp(t *testing.T) {
	help := runApp(t, whoami(), nil, "", "--help").stdout
	for _, want := range []string{manage.EnvAuthCache, manage.EnvAuthCachePoll, "installtriggers", "removetriggers"} {
		if !strings.Contains(help, want) {
			t.Errorf("--help does not list %s", want)
		}
	}
}
