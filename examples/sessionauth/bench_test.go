package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/manage"
)

// BenchmarkAPIController is the session-authenticated GET /api/apicontroller/
// on SQLite (db session store) in process: the handler stack scripts/bench-wrk.sh
// measures over HTTP, without the network, for profiling. "uncached" reads
// the session and user rows on every request (DMR_AUTH_CACHE_TTL=0);
// "cached" is the example's default (1 s session and user cache).
func BenchmarkAPIController(b *testing.B) {
	b.Run("uncached", func(b *testing.B) { benchAPIController(b, 0) })
	b.Run("cached", func(b *testing.B) { benchAPIController(b, App().Options.AuthCacheTTL) })
}

func benchAPIController(b *testing.B, ttl time.Duration) {
	ctx := context.Background()
	cfg := manage.Config{DatabaseURL: "sqlite:" + b.TempDir() + "/dmr.sqlite3", SecretKey: testSecretKey, AuthCacheTTL: &ttl}
	env, err := manage.Open(ctx, cfg, manage.Options{Hashers: fastHashers(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	defer env.Close()
	app := App()
	if err := app.MigrateAll(ctx, env); err != nil {
		b.Fatal(err)
	}
	h, _, err := app.Handler(env)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := env.Auth.CreateUser(ctx, auth.NewUser{Username: "test_user", Password: "password"}); err != nil {
		b.Fatal(err)
	}
	login := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/api/auth/", strings.NewReader(seedLoginBody))
	req.Header.Set("Content-Type", "application/json")
	h.ServeHTTP(login, req)
	var sid *http.Cookie
	for _, c := range login.Result().Cookies() {
		if c.Name == "sessionid" {
			sid = c
		}
	}
	if sid == nil {
		b.Fatalf("login: %d %s", login.Code, login.Body)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest("GET", "/api/apicontroller/", nil)
			r.AddCookie(&http.Cookie{Name: "sessionid", Value: sid.Value})
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != 200 {
				b.Errorf("status %d: %s", w.Code, w.Body)
				return
			}
		}
	})
}
