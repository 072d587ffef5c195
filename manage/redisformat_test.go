package manage

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dmr-go/dmr/internal/testenv"
	"github.com/dmr-go/dmr/pyjson"
	"github.com/dmr-go/dmr/sessions"
	"github.com/dmr-go/dmr/sessions/redisstore"
)

func TestRedisFormatFromEnv(t *testing.T) {
	for _, tc := range []struct {
		backend, compressor string
		format              redisstore.Format
		comp                redisstore.Compressor
		wantErr             string
	}{
		{"", "", redisstore.FormatDjango, redisstore.CompressorNone, ""},
		{"django", "none", redisstore.FormatDjango, redisstore.CompressorNone, ""},
		{"django.core.cache.backends.redis.RedisCache", "", redisstore.FormatDjango, redisstore.CompressorNone, ""},
		{"django_redis", "", redisstore.FormatDjangoRedis, redisstore.CompressorNone, ""},
		{"django_redis.cache.RedisCache", "zlib", redisstore.FormatDjangoRedis, redisstore.CompressorZlib, ""},
		{"django_redis", "django_redis.compressors.zlib.ZlibCompressor", redisstore.FormatDjangoRedis, redisstore.CompressorZlib, ""},
		{"memcached", "", 0, 0, `DMR_REDIS_BACKEND="memcached": want django or django_redis`},
		{"django_redis", "lz4", 0, 0, `DMR_REDIS_COMPRESSOR="lz4": want zlib or none`},
		{"django", "zlib", 0, 0, "DMR_REDIS_COMPRESSOR=zlib needs DMR_REDIS_BACKEND=django_redis"},
		{"", "zlib", 0, 0, "DMR_REDIS_COMPRESSOR=zlib needs DMR_REDIS_BACKEND=django_redis"},
	} {
		env := map[string]string{EnvSessionStore: "redis", EnvRedisBackend: tc.backend, EnvRedisCompressor: tc.compressor}
		got, err := ConfigFromEnv(lookupMap(env))
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q/%q: err = %v, want %q", tc.backend, tc.compressor, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q/%q: %v", tc.backend, tc.compressor, err)
			continue
		}
		if got.RedisFormat != tc.format || got.RedisCompressor != tc.comp {
			t.Errorf("%q/%q: got %v/%v, want %v/%v", tc.backend, tc.compressor, got.RedisFormat, got.RedisCompressor, tc.format, tc.comp)
		}
	}
	if !strings.Contains(Commands, EnvRedisBackend) || !strings.Contains(Commands, EnvRedisCompressor) {
		t.Error("--help does not list DMR_REDIS_BACKEND and DMR_REDIS_COMPRESSOR")
	}
}

// Open passes the format to the Redis stores: a session saved through the
// environment is stored as django-redis with ZlibCompressor stores it.
func TestRedisFormatWiring(t *testing.T) {
	ctx := context.Background()
	client, prefix := testenv.Redis(t)
	for _, store := range []StoreKind{StoreRedis, StoreCachedDB} {
		t.Run(string(store), func(t *testing.T) {
			cfg := Config{DatabaseURL: "sqlite:" + filepath.Join(t.TempDir(), "db.sqlite3"), SecretKey: "k",
				SessionStore: store, RedisURL: "redis://" + testenv.RedisAddr() + "/0", RedisKeyPrefix: prefix,
				RedisFormat: redisstore.FormatDjangoRedis, RedisCompressor: redisstore.CompressorZlib}
			env, err := Open(ctx, cfg, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				t.Fatal(err)
			}
			defer env.Close()
			if err := env.SessionTable.CreateTables(ctx); err != nil {
				t.Fatal(err)
			}
			o := pyjson.NewObject(1)
			o.Set("_auth_user_id", "1")
			key := sessions.NewKey()
			if _, err := env.Store.Create(ctx, sessions.Record{Key: key, Data: o, Expiry: time.Now().Add(time.Minute)}); err != nil {
				t.Fatal(err)
			}
			backend := "django.contrib.sessions.cache"
			if store == StoreCachedDB {
				backend = "django.contrib.sessions.cached_db"
			}
			raw, err := client.Get(ctx, prefix+":1:"+backend+key).Bytes()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(raw, []byte{0x78, 0x9c}) {
				t.Errorf("stored %x, want a zlib stream", raw)
			}
		})
	}
}
