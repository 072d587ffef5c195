package manage_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/internal/fakeredis"
	"github.com/dmr-go/dmr/internal/testenv"
	"github.com/dmr-go/dmr/manage"
	"github.com/dmr-go/dmr/sessions"
	"github.com/dmr-go/dmr/sessions/redisstore"
)

// Sessions in Redis with DMR_AUTH_CACHE=changelog: users come from the
// database's change log, sessions are evicted by Redis tracking, so a
// logout made by another Redis client (Django deleting the session key)
// answers 401 on the next request.
func TestAuthCacheRedisTracking(t *testing.T) {
	_, prefix := testenv.Redis(t)
	ctx := context.Background()
	vars := map[string]string{
		manage.EnvDatabaseURL: "sqlite:" + filepath.Join(t.TempDir(), "db.sqlite3"), manage.EnvSecretKey: "0123456789012345678901234567890123456789012345678901",
		manage.EnvSessionStore: "redis", manage.EnvRedisURL: "redis://" + testenv.RedisAddr() + "/0", manage.EnvAuthCache: "changelog",
	}
	app := whoami()
	if r := runApp(t, app, vars, "", "installtriggers"); r.code != 0 {
		t.Fatalf("installtriggers: %+v", r)
	}
	cfg, err := manage.ConfigFromEnv(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	cfg.RedisKeyPrefix = prefix
	env, err := manage.Open(ctx, cfg, manage.Options{Logger: quiet(), Hashers: app.Options.Hashers})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	lc, ok := env.Store.(*sessions.LocalCache)
	if !ok {
		t.Fatalf("session store %T, want a LocalCache", env.Store)
	}
	store := lc.Unwrap().(*redisstore.Cache)
	tr := env.SessionTracker()
	if tr == nil || !tr.Live() || env.AuthCacheFeed() == nil || !env.AuthCacheFeed().Live() {
		t.Fatalf("tracker %v, feed %v: want both live", tr, env.AuthCacheFeed())
	}
	u, err := env.Auth.CreateUser(ctx, auth.NewUser{Username: "ann", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if err := env.Auth.Login(r.Context(), u); err != nil {
			http.Error(w, err.Error(), 500)
		}
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		if !auth.UserFromContext(r.Context()).IsAuthenticated() {
			http.Error(w, "not authenticated", http.StatusUnauthorized)
			return
		}
		w.Write([]byte(auth.UserFromContext(r.Context()).Username))
	})
	h := env.Middleware(mux)
	do := func(method, path string, c *http.Cookie) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, nil)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		if c != nil {
			req.AddCookie(c)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	login := do("POST", "/login", nil)
	var sid *http.Cookie
	for _, c := range login.Result().Cookies() {
		if c.Name == "sessionid" {
			sid = c
		}
	}
	if login.Code != 200 || sid == nil {
		t.Fatalf("login: %d %s, cookie %v", login.Code, login.Body, sid)
	}
	// Our own write is announced too: wait for it before caching.
	for start := time.Now(); tr.Events() == 0; {
		if time.Since(start) > 2*time.Second {
			t.Fatal("no invalidation for the login's write")
		}
		time.Sleep(time.Millisecond)
	}
	if w := do("GET", "/me", sid); w.Code != 200 || w.Body.String() != "ann" {
		t.Fatalf("/me: %d %s", w.Code, w.Body)
	}
	eventually(t, time.Second, func() bool { r, err := lc.Load(ctx, sid.Value); return err == nil && r.Shared }, time.Now()) // cached
	// Django's logout on another client: the key is deleted.
	other := redis.NewClient(&redis.Options{Addr: testenv.RedisAddr()})
	defer other.Close()
	start := time.Now()
	if n, err := other.Del(ctx, store.RedisKey(sid.Value)).Result(); err != nil || n != 1 {
		t.Fatalf("DEL: %d %v", n, err)
	}
	took := eventually(t, time.Second, func() bool { return do("GET", "/me", sid).Code == http.StatusUnauthorized }, start)
	t.Logf("session deleted in Redis by another client: 401 after %v", took)
}

// A Redis that refuses CLIENT TRACKING stops serve with one line naming
// the TTL mode.
func TestAuthCacheRedisTrackingRefused(t *testing.T) {
	addr := fakeRedisNoTracking(t)
	vars := map[string]string{
		manage.EnvDatabaseURL: "sqlite:" + filepath.Join(t.TempDir(), "db.sqlite3"), manage.EnvSecretKey: "0123456789012345678901234567890123456789012345678901",
		manage.EnvSessionStore: "redis", manage.EnvRedisURL: "redis://" + addr + "/0", manage.EnvAuthCache: "changelog",
	}
	app := whoami()
	if r := runApp(t, app, vars, "", "installtriggers"); r.code != 0 {
		t.Fatalf("installtriggers: %+v", r)
	}
	r := runApp(t, app, vars, "", "serve", "--addr", "127.0.0.1:0")
	if r.code != 1 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, manage.EnvAuthCache+"=ttl") || !strings.Contains(r.stderr, "TRACKING") {
		t.Fatalf("serve: %+v, want one line naming %s=ttl", r, manage.EnvAuthCache)
	}
	t.Logf("refusal: %s", strings.TrimSpace(r.stderr))
}

// fakeRedisNoTracking is a RESP2 server that answers like Redis 5: no HELLO,
// no CLIENT TRACKING; every other command succeeds.
func fakeRedisNoTracking(t *testing.T) string {
	t.Helper()
	reply := func(args []string) string {
		switch cmd := strings.ToUpper(strings.Join(args[:min(2, len(args))], " ")); {
		case cmd == "CLIENT ID":
			return ":7\r\n"
		case cmd == "CLIENT TRACKING":
			return "-ERR Unknown subcommand or wrong number of arguments for 'TRACKING'. Try CLIENT HELP\r\n"
		case strings.HasPrefix(cmd, "HELLO"):
			return "-ERR unknown command 'HELLO'\r\n"
		case strings.HasPrefix(cmd, "PING"):
			return "+PONG\r\n"
		}
		return "+OK\r\n"
	}
	return fakeredis.Serve(t, reply)
}
