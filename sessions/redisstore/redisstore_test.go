package redisstore_test

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dmr-go/dmr/internal/testenv"
	"github.com/dmr-go/dmr/pyjson"
	"github.com/dmr-go/dmr/sessions"
	"github.com/dmr-go/dmr/sessions/dbstore"
	"github.com/dmr-go/dmr/sessions/redisstore"
	"github.com/dmr-go/dmr/sessions/redisstore/pickle"
	"github.com/dmr-go/dmr/sessions/sessionstest"
	"github.com/redis/go-redis/v9"
)

const secretKey = "django-insecure-test-secret-key-0123456789abcdefghijklmnopqrstuv"

func codec(t testing.TB) *sessions.DjangoCodec {
	t.Helper()
	c, err := sessions.NewCodec(sessions.CodecOptions{SecretKey: []byte(secretKey)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func obj(kv ...any) *pyjson.Object {
	o := pyjson.NewObject(len(kv) / 2)
	for i := 0; i < len(kv); i += 2 {
		o.Set(kv[i].(string), kv[i+1])
	}
	return o
}

func dump(o *pyjson.Object) string {
	var b strings.Builder
	for _, k := range o.Keys() {
		v, _ := o.Get(k)
		fmt.Fprintf(&b, "%s=%v;", k, v)
	}
	return b.String()
}

func newCache(t *testing.T) (*redisstore.Cache, *redis.Client, string) {
	t.Helper()
	c, prefix := testenv.Redis(t)
	s, err := redisstore.NewCache(c, redisstore.Options{KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	return s, c, prefix
}

func sqliteStore(t *testing.T) *dbstore.Store { return sqliteStoreAt(t, nil) }

func sqliteStoreAt(t *testing.T, now func() time.Time) *dbstore.Store {
	t.Helper()
	s, err := dbstore.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "db.sqlite3"), dbstore.Options{Codec: codec(t), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.CreateTables(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func pgStore(t *testing.T) *dbstore.Store { return pgStoreAt(t, nil) }

func pgStoreAt(t *testing.T, now func() time.Time) *dbstore.Store {
	t.Helper()
	s, err := dbstore.Open(context.Background(), testenv.PostgresURL(t), dbstore.Options{Codec: codec(t), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.CreateTables(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

type cachedDBEnv struct {
	store  *redisstore.CachedDB
	db     *dbstore.Store
	rdb    *redis.Client
	prefix string
}

func newCachedDB(t *testing.T, db *dbstore.Store) cachedDBEnv {
	t.Helper()
	c, prefix := testenv.Redis(t)
	s, err := redisstore.NewCachedDB(db, c, redisstore.Options{KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	return cachedDBEnv{s, db, c, prefix}
}

func TestKeysAndValuesAsDjangoWritesThem(t *testing.T) {
	ctx := context.Background()
	s, c, prefix := newCache(t)
	key := "abcdefghijklmnopqrstuvwxyz012345"
	if got, want := s.RedisKey(key), prefix+":1:django.contrib.sessions.cache"+key; got != want {
		t.Errorf("RedisKey = %q, want %q", got, want)
	}
	data := obj("_auth_user_id", "1", "_auth_user_backend", "django.contrib.auth.backends.ModelBackend", "_auth_user_hash", strings.Repeat("0", 64))
	exp := time.Now().Add(300 * time.Second)
	if _, err := s.Create(ctx, sessions.Record{Key: key, Data: data, Expiry: exp}); err != nil {
		t.Fatal(err)
	}
	raw, err := c.Get(ctx, s.RedisKey(key)).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	// pickle.dumps(that dict, 5) from CPython 3.11.
	want := "800595af000000000000007d94288c0d5f617574685f757365725f6964948c0131948c125f617574685f757365725f6261636b656e64948c29646a616e676f2e636f6e747269622e617574682e6261636b656e64732e4d6f64656c4261636b656e64948c0f5f617574685f757365725f68617368948c403030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303094752e"
	if hex.EncodeToString(raw) != want {
		t.Errorf("stored %x\nwant   %s", raw, want)
	}
	ttl := c.PTTL(ctx, s.RedisKey(key)).Val()
	if ttl <= 295*time.Second || ttl > 300*time.Second {
		t.Errorf("TTL %v, want about 300s", ttl)
	}

	// Django's KEY_PREFIX / VERSION and a custom KEY_FUNCTION.
	v2, _ := redisstore.NewCache(c, redisstore.Options{KeyPrefix: prefix + "site", Version: 2})
	if got := v2.RedisKey("k"); got != prefix+"site:2:django.contrib.sessions.cachek" {
		t.Errorf("versioned key %q", got)
	}
	kf, _ := redisstore.NewCache(c, redisstore.Options{KeyFunc: func(k string) string { return prefix + "custom/" + k }})
	if got := kf.RedisKey("k"); got != prefix+"custom/django.contrib.sessions.cachek" {
		t.Errorf("KeyFunc key %q", got)
	}
	cdb := newCachedDB(t, sqliteStore(t))
	if got := cdb.store.RedisKey("k"); got != cdb.prefix+":1:django.contrib.sessions.cached_dbk" {
		t.Errorf("cached_db key %q", got)
	}
}

// TestConformance runs the sessions.Store contract suite on the cache store
// and on cached_db over SQLite and PostgreSQL. Expiry is Redis's TTL here, so
// the suite waits for it in real time.
func TestConformance(t *testing.T) {
	t.Run("cache", func(t *testing.T) {
		sessionstest.Run(t, func(t *testing.T, now func() time.Time) sessions.Store {
			c, prefix := testenv.Redis(t)
			s, err := redisstore.NewCache(c, redisstore.Options{KeyPrefix: prefix, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			return s
		})
	})
	for name, mk := range map[string]func(*testing.T, func() time.Time) *dbstore.Store{"sqlite": sqliteStoreAt, "postgres": pgStoreAt} {
		t.Run("cached_db/"+name, func(t *testing.T) {
			sessionstest.Run(t, func(t *testing.T, now func() time.Time) sessions.Store {
				c, prefix := testenv.Redis(t)
				s, err := redisstore.NewCachedDB(mk(t, now), c, redisstore.Options{KeyPrefix: prefix, Now: now})
				if err != nil {
					t.Fatal(err)
				}
				return s
			})
		})
	}
}

// TestCacheTTL checks what is particular to the cache store: the Redis TTL
// follows Expiry, an expired record is not stored at all, and Exists.
func TestCacheTTL(t *testing.T) {
	ctx := context.Background()
	s, c, _ := newCache(t)
	key := "lifecyclelifecyclelifecycle00001"
	if _, err := s.Create(ctx, sessions.Record{Key: key, Data: obj("a", int64(1)), Expiry: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Exists(ctx, key); !ok {
		t.Error("Exists = false")
	}
	r, err := s.Load(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	r.Expiry = time.Now().Add(10 * time.Second)
	if _, err := s.Save(ctx, r); err != nil {
		t.Fatal(err)
	}
	if ttl := c.PTTL(ctx, s.RedisKey(key)).Val(); ttl > 10*time.Second || ttl < 5*time.Second {
		t.Errorf("TTL after Save %v", ttl)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Exists(ctx, key); ok {
		t.Error("Exists after Delete")
	}
	// Expired records are not stored.
	if v, err := s.Create(ctx, sessions.Record{Key: key, Data: obj(), Expiry: time.Now().Add(-time.Second)}); err != nil || v != "" {
		t.Errorf("Create(expired) = %q, %v", v, err)
	}
	if n := c.Exists(ctx, s.RedisKey(key)).Val(); n != 0 {
		t.Error("expired record stored")
	}
}

// TestHostileCachedValues: whatever is in Redis under a session key, Load
// never runs it and treats what it cannot read as no session.
func TestHostileCachedValues(t *testing.T) {
	ctx := context.Background()
	var logs strings.Builder
	c, prefix := testenv.Redis(t)
	s, _ := redisstore.NewCache(c, redisstore.Options{KeyPrefix: prefix, MaxValueSize: 4096,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	key := "hostilehostilehostilehostile0001"
	for name, val := range map[string][]byte{
		"os.system":  []byte("cos\nsystem\n(S'echo pwned'\ntR."),
		"not pickle": []byte("hello"),
		"list":       {0x80, 5, ']', 0x94, '.'},
		"too big":    append([]byte{0x80, 5, 'X', 0, 0x20, 0, 0}, make([]byte, 8192)...),
		"integer":    []byte("42"), // Django's RedisSerializer stores plain ints unpickled
	} {
		if err := c.Set(ctx, s.RedisKey(key), val, time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Load(ctx, key); !errors.Is(err, sessions.ErrNotFound) {
			t.Errorf("%s: Load = %v, want ErrNotFound", name, err)
		}
	}
	if !strings.Contains(logs.String(), "level=WARN") {
		t.Error("no warning logged")
	}
}

// TestDjangoWrittenValue: a value as Django's RedisCache stores it, with the
// memo references CPython writes for repeated strings.
func TestDjangoWrittenValue(t *testing.T) {
	ctx := context.Background()
	s, c, _ := newCache(t)
	key := "fromdjangofromdjangofromdjango01"
	// pickle.dumps({"a": s, "b": s}, 5) with s = "shared-14": the second
	// value is BINGET 2.
	raw, _ := hex.DecodeString("8005951b000000000000007d94288c0161948c097368617265642d3134948c0162946802752e")
	if err := c.Set(ctx, s.RedisKey(key), raw, time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	r, err := s.Load(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if dump(r.Data) != "a=shared-14;b=shared-14;" {
		t.Errorf("loaded %q", dump(r.Data))
	}
	r.Data.Set("c", true)
	if _, err := s.Save(ctx, r); err != nil {
		t.Fatalf("Save over Django's bytes: %v", err)
	}
}

func TestCachedDB(t *testing.T) {
	for name, mk := range map[string]func(*testing.T) *dbstore.Store{"sqlite": sqliteStore, "postgres": pgStore} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			e := newCachedDB(t, mk(t))
			s := e.store
			key := "cacheddbcacheddbcacheddbcached01"
			exp := time.Now().Add(time.Hour)
			if _, err := s.Create(ctx, sessions.Record{Key: key, Data: obj("a", int64(1)), Expiry: exp}); err != nil {
				t.Fatal(err)
			}
			// Both copies written: the row (signed JSON) and the pickled dict.
			if r, err := e.db.Load(ctx, key); err != nil || dump(r.Data) != "a=1;" {
				t.Fatalf("row: %q %v", dump(r.Data), err)
			}
			raw, err := e.rdb.Get(ctx, s.RedisKey(key)).Bytes()
			if err != nil {
				t.Fatal(err)
			}
			if o, err := pickle.Unmarshal(raw); err != nil || dump(o) != "a=1;" {
				t.Fatalf("cache: %v %v", o, err)
			}

			// A cache hit; saving it compares with the row and succeeds.
			r, err := s.Load(ctx, key)
			if err != nil || !strings.HasPrefix(r.Version, "c") {
				t.Fatalf("Load = %q, %v", r.Version, err)
			}
			r.Data.Set("b", int64(2))
			v, err := s.Save(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(v, "d") {
				t.Errorf("version after Save %q", v[:1])
			}
			if r, _ := e.db.Load(ctx, key); dump(r.Data) != "a=1;b=2;" {
				t.Fatalf("row after Save: %q", dump(r.Data))
			}
			raw, _ = e.rdb.Get(ctx, s.RedisKey(key)).Bytes()
			if o, _ := pickle.Unmarshal(raw); dump(o) != "a=1;b=2;" {
				t.Fatalf("cache after Save: %q", dump(o))
			}

			// The cache is lost: Load reads the row and refills the cache.
			e.rdb.Del(ctx, s.RedisKey(key))
			r, err = s.Load(ctx, key)
			if err != nil || !strings.HasPrefix(r.Version, "d") || dump(r.Data) != "a=1;b=2;" {
				t.Fatalf("Load from DB = %q %v", dump(r.Data), err)
			}
			if n := e.rdb.Exists(ctx, s.RedisKey(key)).Val(); n != 1 {
				t.Fatal("cache not refilled")
			}
			if ttl := e.rdb.PTTL(ctx, s.RedisKey(key)).Val(); ttl < 59*time.Minute || ttl > time.Hour {
				t.Errorf("refilled TTL %v, want the row's remaining hour", ttl)
			}

			// Stale cache (someone — Django — updated the row without
			// refreshing the cache): a save from the stale copy conflicts, the
			// cache entry is dropped and the reload reads the row.
			stale, _ := s.Load(ctx, key)
			row, _ := e.db.Load(ctx, key)
			row.Data.Set("django", "wrote this")
			if _, err := e.db.Save(ctx, row); err != nil {
				t.Fatal(err)
			}
			stale.Data.Set("mine", true)
			if _, err := s.Save(ctx, stale); !errors.Is(err, sessions.ErrConflict) {
				t.Fatalf("Save from stale cache = %v, want ErrConflict", err)
			}
			if n := e.rdb.Exists(ctx, s.RedisKey(key)).Val(); n != 0 {
				t.Error("stale cache entry kept after conflict")
			}
			fresh, _ := s.Load(ctx, key)
			if dump(fresh.Data) != "a=1;b=2;django=wrote this;" {
				t.Fatalf("reload %q", dump(fresh.Data))
			}

			// Exists: cache or row.
			if ok, _ := s.Exists(ctx, key); !ok {
				t.Error("Exists = false")
			}
			// Delete removes both.
			if err := s.Delete(ctx, key); err != nil {
				t.Fatal(err)
			}
			if _, err := e.db.Load(ctx, key); !errors.Is(err, sessions.ErrNotFound) {
				t.Error("row survived Delete")
			}
			if n := e.rdb.Exists(ctx, s.RedisKey(key)).Val(); n != 0 {
				t.Error("cache entry survived Delete")
			}
			if _, err := s.Save(ctx, fresh); !errors.Is(err, sessions.ErrNotFound) {
				t.Fatalf("Save after Delete = %v", err)
			}
			if ok, _ := s.Exists(ctx, key); ok {
				t.Error("Exists after Delete")
			}
			if err := s.ClearExpired(ctx); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestCachedDBDeleteUserSessions(t *testing.T) {
	ctx := context.Background()
	e := newCachedDB(t, sqliteStore(t))
	exp := time.Now().Add(time.Hour)
	for i := range 6 {
		key := fmt.Sprintf("usersessions%020d", i)
		if _, err := e.store.Create(ctx, sessions.Record{Key: key, Data: obj("_auth_user_id", fmt.Sprint(i%2)), Expiry: exp}); err != nil {
			t.Fatal(err)
		}
	}
	keys, err := e.store.DeleteUserSessions(ctx, "1", "")
	if err != nil || len(keys) != 3 {
		t.Fatalf("deleted %v, %v", keys, err)
	}
	for _, k := range keys {
		if e.rdb.Exists(ctx, e.store.RedisKey(k)).Val() != 0 {
			t.Errorf("cache entry of %s kept", k)
		}
		if _, err := e.store.Load(ctx, k); !errors.Is(err, sessions.ErrNotFound) {
			t.Errorf("%s still loads: %v", k, err)
		}
	}
	if _, err := e.store.Load(ctx, "usersessions00000000000000000000"); err != nil {
		t.Errorf("other user's session: %v", err)
	}
}

func TestNewValidates(t *testing.T) {
	if _, err := redisstore.NewCache(nil, redisstore.Options{}); err == nil {
		t.Error("nil client accepted")
	}
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	if _, err := redisstore.NewCache(c, redisstore.Options{Version: -1}); err == nil {
		t.Error("negative version accepted")
	}
	if _, err := redisstore.NewCachedDB(nil, c, redisstore.Options{}); err == nil {
		t.Error("nil db accepted")
	}
}

// TestCachedDBWithoutRedis: the database keeps working when Redis is down.
func TestCachedDBWithoutRedis(t *testing.T) {
	ctx := context.Background()
	db := sqliteStore(t)
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	defer c.Close()
	var logs strings.Builder
	s, err := redisstore.NewCachedDB(db, c, redisstore.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	key := "noredisnoredisnoredisnoredis0001"
	if _, err := s.Create(ctx, sessions.Record{Key: key, Data: obj("x", int64(1)), Expiry: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	r, err := s.Load(ctx, key)
	if err != nil || dump(r.Data) != "x=1;" {
		t.Fatalf("Load = %q, %v", dump(r.Data), err)
	}
	r.Data.Set("y", int64(2))
	if _, err := s.Save(ctx, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "level=WARN") {
		t.Error("cache failures not logged")
	}
}
