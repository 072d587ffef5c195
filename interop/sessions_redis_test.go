package interop_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/dmr-go/dmr/internal/djangotest"
	"github.com/dmr-go/dmr/internal/testenv"
	"github.com/dmr-go/dmr/sessions"
	"github.com/dmr-go/dmr/sessions/redisstore"
)

// Django's cache and cached_db session backends on Django's RedisCache
// (Django 4.0+, so 4.2 and 5.2) and Go's redisstore share sessions: pickled
// dicts under Django's cache keys, each side reading, changing and deleting
// what the other wrote.
func TestSessionsRedis(t *testing.T) {
	for _, v := range []string{"4.2", "5.2"} {
		for _, engine := range []string{"cache", "cached_db/sqlite", "cached_db/postgres"} {
			t.Run(v+"/"+engine, func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				client, prefix := testenv.Redis(t)
				opts := redisstore.Options{KeyPrefix: prefix, Logger: quietLogger}
				var dj *djangotest.Django
				var store sessions.Store
				if engine == "cache" {
					dj = djangotest.New(t, v, djangotest.Config{SessionEngine: "cache", RedisPrefix: prefix})
					c, err := redisstore.NewCache(client, opts)
					if err != nil {
						t.Fatal(err)
					}
					store = c
				} else {
					db := newDatabase(t, engine[len("cached_db/"):])
					st := newSessionStack(t, v, db, djangotest.Config{SessionEngine: "cached_db", RedisPrefix: prefix})
					c, err := redisstore.NewCachedDB(st.store, client, opts)
					if err != nil {
						t.Fatal(err)
					}
					dj, store = st.dj, c
				}
				for _, text := range testValues {
					want := canonical(t, []byte(text))
					ds := dj.SessionWrite(json.RawMessage(text))
					rec, err := store.Load(ctx, ds.Key)
					if err != nil {
						t.Fatalf("Go cannot load Django's session: %v", err)
					}
					if got := canonicalValue(t, rec.Data); got != want {
						t.Errorf("Django wrote %s, Go read %s", want, got)
					}
					key := sessions.NewKey()
					if _, err := store.Create(ctx, sessions.Record{Key: key, Data: object(t, text), Expiry: time.Now().Add(time.Hour)}); err != nil {
						t.Fatal(err)
					}
					got := dj.SessionRead(key)
					if got.Key != key || canonical(t, got.Data) != want {
						t.Errorf("Go wrote %s, Django read %+v", want, got)
					}
				}
				// The pickled value really is in Redis under Django's key.
				ds := dj.SessionWrite(map[string]any{"a": 1})
				backend := "django.contrib.sessions.cache"
				if engine != "cache" {
					backend = "django.contrib.sessions.cached_db"
				}
				if n, err := client.Exists(ctx, prefix+":1:"+backend+ds.Key).Result(); err != nil || n != 1 {
					t.Errorf("no Redis entry %s: %v %v", prefix+":1:"+backend+ds.Key, n, err)
				}
				deleteBothWays(t, dj, store, ds.Key)
				sessionCookieRoundTrip(t, dj, goSessionApp(t, sessions.Options{Store: store}))
			})
		}
	}
}
