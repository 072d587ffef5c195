package manage

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/dmr-go/dmr/sessions/redisstore"
)

// redisTracking is the session side of DMR_AUTH_CACHE=notify or changelog
// with DMR_SESSION_STORE=redis: the database's triggers do not see
// sessions kept in Redis, so Redis itself reports their changes
// (redisstore.Track, server-assisted client-side caching). Users and
// permissions still come from the database's feed.
type redisTracking struct {
	live    atomic.Bool // the tracker's LiveFlag
	tracker atomic.Pointer[redisstore.Tracker]
}

// sessionsLive returns the Live of the session cache in a feed mode: the
// Redis tracker's for sessions in Redis, else the database feed's.
func (a *authFeed) sessionsLive(store StoreKind) func() bool {
	if store == StoreRedis {
		return a.redis.live.Load
	}
	return a.live.Load
}

// startRedisTracking starts the Redis tracker of the session cache, when
// the sessions are in Redis; StartAuthCacheFeed calls it.
func (e *Env) startRedisTracking(ctx context.Context) error {
	a := e.authFeed
	if e.Config.SessionStore != StoreRedis || a == nil || a.sessions == nil || a.redis.tracker.Load() != nil {
		return nil
	}
	store, ok := a.sessions.Unwrap().(*redisstore.Cache)
	if !ok {
		return fmt.Errorf("manage: the Redis session cache wraps a %T", a.sessions.Unwrap())
	}
	t, err := redisstore.Track(ctx, store, redisstore.TrackingOptions{Target: a.sessions, LiveFlag: &a.redis.live, Logger: e.Logger})
	if errors.Is(err, redisstore.ErrTrackingUnavailable) {
		return fmt.Errorf("%s=%s with %s=redis needs Redis 6+ client-side caching: %w; set %s=ttl instead (cached sessions are then trusted for %s)",
			EnvAuthCache, e.Config.AuthCache, EnvSessionStore, err, EnvAuthCache, EnvAuthCacheTTL)
	}
	if err != nil {
		return fmt.Errorf("%s=%s with %s=redis: %w", EnvAuthCache, e.Config.AuthCache, EnvSessionStore, err)
	}
	a.redis.tracker.Store(t)
	e.closers = append(e.closers, t.Close)
	e.Logger.Info("sessions in Redis evicted by Redis client-side caching (CLIENT TRACKING)",
		"env", EnvAuthCache, "client_id", t.ClientID(), "safety_ttl", FeedSafetyTTL.String())
	return nil
}

// SessionTracker returns the Redis tracker that evicts cached sessions
// (DMR_SESSION_STORE=redis with DMR_AUTH_CACHE=notify or changelog), or
// nil.
func (e *Env) SessionTracker() *redisstore.Tracker {
	if e.authFeed == nil {
		return nil
	}
	return e.authFeed.redis.tracker.Load()
}
