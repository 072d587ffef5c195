package redisstore_test

import (
	"context"
	"log"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dmr-go/dmr/sessions"
	"github.com/dmr-go/dmr/sessions/redisstore"
)

// A session cache in this process's memory that Redis keeps current: a
// logout made by Django (or another replica) deletes the session key, Redis
// pushes the key to the tracker, and the cached session is dropped within
// about a millisecond rather than after the TTL.
func ExampleTrack() {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	store, err := redisstore.NewCache(rdb, redisstore.Options{})
	if err != nil {
		log.Fatal(err)
	}
	// The cache is bypassed until the tracker is live, and whenever it is
	// not; the TTL is only a safety net.
	var live atomic.Bool
	cache, err := sessions.NewLocalCache(store, sessions.LocalCacheOptions{TTL: time.Minute, Live: live.Load})
	if err != nil {
		log.Fatal(err)
	}
	tracker, err := redisstore.Track(ctx, store, redisstore.TrackingOptions{Target: cache, LiveFlag: &live})
	if err != nil {
		// errors.Is(err, redisstore.ErrTrackingUnavailable): the server
		// refuses CLIENT TRACKING; use a LocalCache without Live, whose
		// TTL bounds staleness.
		log.Fatal(err)
	}
	defer tracker.Close()
	if _, err := sessions.NewMiddleware(sessions.Options{Store: cache}); err != nil {
		log.Fatal(err)
	}
}
