package redisstore_test

import (
	"fmt"
	"log"

	"github.com/redis/go-redis/v9"

	"github.com/dmr-go/dmr/sessions/redisstore"
)

// Sessions shared with a Django site that uses django-redis:
//
//	SESSION_ENGINE = "django.contrib.sessions.backends.cache"
//	CACHES = {"default": {
//	    "BACKEND": "django_redis.cache.RedisCache",
//	    "LOCATION": "redis://127.0.0.1:6379/0",
//	    "OPTIONS": {"COMPRESSOR": "django_redis.compressors.zlib.ZlibCompressor"},
//	}}
func ExampleFormat() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	store, err := redisstore.NewCache(rdb, redisstore.Options{
		Format:     redisstore.FormatDjangoRedis,
		Compressor: redisstore.CompressorZlib, // leave out without "COMPRESSOR"
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(store.RedisKey("abc")) // django-redis uses Django's key function
	// Output: :1:django.contrib.sessions.cacheabc
}
