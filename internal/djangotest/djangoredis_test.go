package djangotest

import (
	"slices"
	"testing"
)

func TestConfigDjangoRedis(t *testing.T) {
	c := Config{RedisPrefix: "p1", SessionEngine: "cached_db", CacheBackend: "django_redis", CacheCompressor: "zlib"}.withDefaults(t)
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	env := c.Env()
	for _, want := range []string{"DMR_CACHE_BACKEND=django_redis", "DMR_CACHE_COMPRESSOR=zlib", "DMR_CACHE_KEY_PREFIX=p1"} {
		if !slices.Contains(env, want) {
			t.Errorf("Env() lacks %s: %v", want, env)
		}
	}
	for _, bad := range []Config{
		{SessionEngine: "db", CacheBackend: "memcached"},
		{SessionEngine: "db", CacheCompressor: "zlib"},
		{SessionEngine: "db", CacheBackend: "django", CacheCompressor: "zlib"},
		{SessionEngine: "db", CacheBackend: "django_redis", CacheCompressor: "lz4"},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	if _, err := DjangoRedisPath("2.2"); err == nil {
		t.Error("DjangoRedisPath accepted an unknown version")
	}
}
