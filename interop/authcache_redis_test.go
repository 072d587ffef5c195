package interop_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dmr-go/dmr/internal/djangotest"
	"github.com/dmr-go/dmr/internal/testenv"
	"github.com/dmr-go/dmr/manage"
	"github.com/dmr-go/dmr/sessions"
)

// Sessions in Redis written by Django 5.2 (django-redis, the cache engine),
// users in the database; Go runs with DMR_SESSION_STORE=redis and
// DMR_AUTH_CACHE=changelog, so its session cache is evicted by Redis
// CLIENT TRACKING. Django changing a session and Django logging it out are
// seen by Go's cache; the time is logged.
func TestAuthCacheRedisTrackingDjango(t *testing.T) {
	ctx := context.Background()
	client, prefix := testenv.Redis(t)
	db := newDatabase(t, "sqlite")
	dj := djangotest.New(t, "5.2", djangotest.Config{DB: db.URL, SessionEngine: "cache", RedisPrefix: prefix, CacheBackend: "django_redis"})
	dj.Migrate(false)
	vars := map[string]string{
		manage.EnvDatabaseURL: db.URL, manage.EnvSecretKey: dj.Config().SecretKey, manage.EnvAuthCache: "changelog",
		manage.EnvSessionStore: "redis", manage.EnvRedisURL: "redis://" + testenv.RedisAddr() + "/0",
		manage.EnvRedisBackend: "django_redis",
	}
	lookup := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	var out, errb bytes.Buffer
	if code := (manage.App{Name: "interop"}).Run(ctx, manage.Invocation{Args: []string{"installtriggers"}, LookupEnv: lookup, Stdout: &out, Stderr: &errb}); code != 0 {
		t.Fatalf("installtriggers: %s", errb.String())
	}
	cfg, err := manage.ConfigFromEnv(lookup)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RedisKeyPrefix = prefix
	env, err := manage.Open(ctx, cfg, manage.Options{Logger: quietLogger})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	tr := env.SessionTracker()
	if _, ok := env.Store.(*sessions.LocalCache); !ok || tr == nil || !tr.Live() {
		t.Fatalf("session store %T, tracker %v: want a LocalCache evicted by a live tracker", env.Store, tr)
	}

	dj.CreateUserWith("ann", "pw", nil)
	login := dj.Login("ann", "pw")
	if !login.OK {
		t.Fatalf("Django login: %+v", login)
	}
	keys, err := client.Keys(ctx, prefix+"*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("Django's session is not in Redis under %q: %v %v", prefix, keys, err)
	}
	load := func() (sessions.Record, error) { return env.Store.Load(ctx, login.SessionID) }
	r, err := load()
	if err != nil {
		t.Fatalf("Go load of Django's session: %v", err)
	}
	if id, _ := r.Data.Get("_auth_user_id"); id == nil {
		t.Fatalf("Django's session has no user: %v", r.Data.Keys())
	}
	seen := func(what string, cond func() bool) {
		t.Helper()
		start := time.Now()
		for !cond() {
			if time.Since(start) > time.Second {
				t.Fatalf("%s: Go's cache did not see it within 1 s", what)
			}
			time.Sleep(100 * time.Microsecond)
		}
		t.Logf("redis changelog: %s seen by Go %v after Django's command returned", what, time.Since(start).Round(10*time.Microsecond))
	}
	// Cached now: a second load is served from memory until Redis says
	// otherwise.
	if _, err := load(); err != nil {
		t.Fatal(err)
	}
	events := tr.Events()
	dj.SessionUpdate(login.SessionID, map[string]any{"cart": "3 items"}, nil)
	seen("a session changed", func() bool {
		r, err := load()
		v, _ := r.Data.Get("cart")
		return err == nil && v == "3 items"
	})
	if tr.Events() == events {
		t.Fatal("Redis announced no change for Django's update")
	}
	events = tr.Events()
	dj.Run("session-delete", map[string]any{"key": login.SessionID}, nil)
	seen("a logout (session key deleted)", func() bool {
		_, err := load()
		return errors.Is(err, sessions.ErrNotFound)
	})
	if tr.Events() == events {
		t.Fatal("Redis announced no change for Django's logout")
	}
	if !tr.Live() || tr.Resets() != 0 {
		t.Fatalf("tracker live %v, %d resets: want live with none over the run", tr.Live(), tr.Resets())
	}
}
