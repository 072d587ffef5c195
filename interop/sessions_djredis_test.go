package interop_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/dmr-go/dmr/internal/djangotest"
	"github.com/dmr-go/dmr/internal/testenv"
	"github.com/dmr-go/dmr/sessions"
	"github.com/dmr-go/dmr/sessions/dbstore"
	"github.com/dmr-go/dmr/sessions/redisstore"
)

// djangoRedisPins is the django-redis major.minor install.sh pairs with each
// Django (the Debian suite's own).
var djangoRedisPins = map[string]string{"3.2": "5.2.", "4.2": "5.4.", "5.2": "7.0."}

// Django's cache and cached_db session backends on django-redis
// (django_redis.cache.RedisCache, default client, pickle serializer, with
// and without its ZlibCompressor) and Go's redisstore in FormatDjangoRedis
// share sessions both ways. For cached_db the database row is deleted before
// the other side reads, so the value is provably read from the Redis entry
// (both sides fall back to the row when the cache entry is unusable).
func TestSessionsDjangoRedis(t *testing.T) {
	type run struct{ v, engine, comp string }
	var runs []run
	for _, v := range []string{"3.2", "4.2", "5.2"} {
		for _, comp := range []string{"", "zlib"} {
			for _, engine := range []string{"cache", "cached_db/sqlite"} {
				runs = append(runs, run{v, engine, comp})
			}
		}
		runs = append(runs, run{v, "cached_db/postgres", "zlib"})
	}
	for _, r := range runs {
		name := r.v + "/" + r.engine + "/compressor=" + r.comp
		if r.comp == "" {
			name += "none"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			client, prefix := testenv.Redis(t)
			compressor := redisstore.CompressorNone
			if r.comp == "zlib" {
				compressor = redisstore.CompressorZlib
			}
			opts := redisstore.Options{KeyPrefix: prefix, Format: redisstore.FormatDjangoRedis, Compressor: compressor, Logger: quietLogger}
			cfg := djangotest.Config{SessionEngine: "cache", RedisPrefix: prefix, CacheBackend: "django_redis", CacheCompressor: r.comp}
			var dj *djangotest.Django
			var store sessions.Store
			var rows *dbstore.Store // cached_db only
			backend := "django.contrib.sessions.cache"
			if r.engine == "cache" {
				dj = djangotest.New(t, r.v, cfg)
				c, err := redisstore.NewCache(client, opts)
				if err != nil {
					t.Fatal(err)
				}
				store = c
			} else {
				backend = "django.contrib.sessions.cached_db"
				cfg.SessionEngine = "cached_db"
				st := newSessionStack(t, r.v, newDatabase(t, r.engine[len("cached_db/"):]), cfg)
				c, err := redisstore.NewCachedDB(st.store, client, opts)
				if err != nil {
					t.Fatal(err)
				}
				dj, store, rows = st.dj, c, st.store
			}
			info := dj.Info()
			if info.CacheBackend != "django_redis.cache.RedisCache" || !strings.HasPrefix(info.DjangoRedis, djangoRedisPins[r.v]) {
				t.Fatalf("Django %s runs cache %q, django-redis %q; want django-redis %sx", info.Version, info.CacheBackend, info.DjangoRedis, djangoRedisPins[r.v])
			}
			if wantComp := map[string]string{"zlib": "django_redis.compressors.zlib.ZlibCompressor"}[r.comp]; info.CacheCompressor != wantComp {
				t.Fatalf("COMPRESSOR %q, want %q", info.CacheCompressor, wantComp)
			}
			// checkRaw asserts the shape of a value in Redis: a protocol-4
			// pickle, or a zlib stream when compressed and longer than 15
			// bytes as a pickle.
			checkRaw := func(who, key string) {
				t.Helper()
				raw, err := client.Get(ctx, prefix+":1:"+backend+key).Bytes()
				if err != nil {
					t.Fatalf("%s's entry %s: %v", who, prefix+":1:"+backend+key, err)
				}
				switch {
				case bytes.HasPrefix(raw, []byte{0x80, 4}):
					if r.comp == "zlib" && len(raw) > 15 {
						t.Errorf("%s stored an uncompressed %d-byte pickle with ZlibCompressor", who, len(raw))
					}
				case bytes.HasPrefix(raw, []byte{0x78, 0x9c}):
					if r.comp != "zlib" {
						t.Errorf("%s stored a zlib stream without a compressor", who)
					}
				default:
					t.Errorf("%s stored %.8x…: neither a protocol-4 pickle nor a zlib stream", who, raw)
				}
			}
			dropRow := func(key string) {
				t.Helper()
				if rows != nil {
					if err := rows.Delete(ctx, key); err != nil {
						t.Fatal(err)
					}
				}
			}
			for _, text := range testValues {
				want := canonical(t, []byte(text))
				ds := dj.SessionWrite(json.RawMessage(text))
				checkRaw("Django", ds.Key)
				dropRow(ds.Key)
				rec, err := store.Load(ctx, ds.Key)
				if err != nil {
					t.Fatalf("Go cannot load Django's session %.60s: %v", text, err)
				}
				if got := canonicalValue(t, rec.Data); got != want {
					t.Errorf("Django wrote %.200s, Go read %.200s", want, got)
				}
				key := sessions.NewKey()
				if _, err := store.Create(ctx, sessions.Record{Key: key, Data: object(t, text), Expiry: time.Now().Add(time.Hour)}); err != nil {
					t.Fatal(err)
				}
				checkRaw("Go", key)
				dropRow(key)
				got := dj.SessionRead(key)
				if got.Key != key || canonical(t, got.Data) != want {
					t.Errorf("Go wrote %.200s, Django read %+.200v", want, got)
				}
			}
			// Each side changes what the other wrote.
			ds := dj.SessionWrite(map[string]any{"a": 1})
			rec, err := store.Load(ctx, ds.Key)
			if err != nil {
				t.Fatal(err)
			}
			rec.Data.Set("from_go", strings.Repeat("x", 40))
			if _, err := store.Save(ctx, rec); err != nil {
				t.Fatalf("Go cannot save over Django's session: %v", err)
			}
			if got := canonical(t, dj.SessionRead(ds.Key).Data); got != canonical(t, []byte(`{"a":1,"from_go":"`+strings.Repeat("x", 40)+`"}`)) {
				t.Errorf("Django read %s after Go's save", got)
			}
			dj.SessionUpdate(ds.Key, map[string]any{"from_django": true}, []string{"a"})
			if rec, err = store.Load(ctx, ds.Key); err != nil {
				t.Fatal(err)
			}
			if got := canonicalValue(t, rec.Data); got != canonical(t, []byte(`{"from_go":"`+strings.Repeat("x", 40)+`","from_django":true}`)) {
				t.Errorf("Go read %s after Django's update", got)
			}
			deleteBothWays(t, dj, store, ds.Key)
			sessionCookieRoundTrip(t, dj, goSessionApp(t, sessions.Options{Store: store}))
		})
	}
}

// deleteBothWays deletes key (a session Django wrote) through store and
// checks that Django no longer reads it; then has Django write and delete a
// session and checks that store no longer loads it.
func deleteBothWays(t *testing.T, dj *djangotest.Django, store sessions.Store, key string) {
	t.Helper()
	ctx := context.Background()
	if err := store.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if got := dj.SessionRead(key); got.Key != "" {
		t.Errorf("Django adopted a session Go deleted: %+v", got)
	}
	ds := dj.SessionWrite(map[string]any{"a": 1})
	dj.Run("session-delete", map[string]any{"key": ds.Key}, nil)
	if _, err := store.Load(ctx, ds.Key); err == nil {
		t.Errorf("Go loads a session Django deleted")
	}
}
