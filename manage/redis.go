package manage

import (
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis client defaults: a Redis that is down or frozen must cost a request
// at most about RedisTimeout, not go-redis's defaults (5 s dial, 3 s reads,
// five dials 100 ms apart per connection and 3 command retries with
// back-off: about 1 s per command against a stopped server).
// Sessions are small and Redis answers in well under a millisecond, so
// 100 ms is generous for one command on a healthy server. The URL's own
// parameters (dial_timeout, read_timeout, write_timeout, pool_timeout,
// max_retries) take precedence.
const (
	// RedisTimeout is the dial, read and write timeout.
	RedisTimeout = 100 * time.Millisecond
	// RedisPoolTimeout is how long a command waits for a free connection
	// when all of the pool's are busy.
	RedisPoolTimeout = 200 * time.Millisecond
)

// redisDefaults applies the fail-fast defaults to what redis.ParseURL left
// unset: the timeouts above, one dial per connection attempt and no command
// retries (a retry against a down server only multiplies the wait; the
// session layer answers 503 or, for cached_db, falls back to the database).
func redisDefaults(o *redis.Options) {
	if o.DialTimeout == 0 {
		o.DialTimeout = RedisTimeout
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = RedisTimeout
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = RedisTimeout
	}
	if o.PoolTimeout == 0 {
		o.PoolTimeout = RedisPoolTimeout
	}
	if o.DialerRetries == 0 {
		o.DialerRetries = 1 // one dial per attempt: go-redis dials 5 times, 100 ms apart, by default
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = -1 // go-redis: 0 means its default of 3; -1 disables retries
	}
}
