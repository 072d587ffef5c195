package redisstore_test

import (
	"context"
	"log"
	"net/http"

	"github.com/redis/go-redis/v9"

	"github.com/dmr-go/dmr/sessions"
	"github.com/dmr-go/dmr/sessions/dbstore"
	"github.com/dmr-go/dmr/sessions/redisstore"
)

// Sessions shared with a Django site whose settings say
// SESSION_ENGINE = "django.contrib.sessions.backends.cache" and
// CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:6379"}}.
func ExampleNewCache() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	store, err := redisstore.NewCache(rdb, redisstore.Options{}) // KEY_PREFIX "", VERSION 1
	if err != nil {
		log.Fatal(err)
	}
	mw, err := sessions.NewMiddleware(sessions.Options{Store: store})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", mw.Handler(http.NotFoundHandler()))
}

// Django's cached_db backend: the django_session table is authoritative,
// Redis holds a copy.
func ExampleNewCachedDB() {
	ctx := context.Background()
	codec, err := sessions.NewCodec(sessions.CodecOptions{SecretKey: []byte("the Django project's SECRET_KEY")})
	if err != nil {
		log.Fatal(err)
	}
	db, err := dbstore.Open(ctx, "postgres://app@127.0.0.1/app", dbstore.Options{Codec: codec})
	if err != nil {
		log.Fatal(err)
	}
	store, err := redisstore.NewCachedDB(db, redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"}), redisstore.Options{})
	if err != nil {
		log.Fatal(err)
	}
	// Log user 42 out everywhere: rows and cache entries.
	if _, err := store.DeleteUserSessions(ctx, "42", ""); err != nil {
		log.Fatal(err)
	}
}
