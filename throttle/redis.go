package throttle

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dmr-go/dmr/internal/redisfail"
)

// DefaultRedisPrefix starts every key of a [RedisStore].
const DefaultRedisPrefix = "dmr:throttle:"

// RedisOptions configures a [RedisStore].
type RedisOptions struct {
	// KeyPrefix is put before DefaultRedisPrefix (like Django's cache
	// KEY_PREFIX).
	KeyPrefix string
}

// RedisStore counts in Redis, shared by every instance using that Redis.
// Each decision is one round trip: an EVALSHA of the algorithm's Lua
// script (go-redis falls back to EVAL once when the server does not know
// the script yet), which reads, updates and expires the key atomically.
// Time is Redis's own (the key's expiry, or TIME for the token bucket), so
// instances with skewed clocks agree. Keys expire when their window ends or
// their bucket is full again, so idle clients leave nothing behind.
type RedisStore struct {
	c      redis.UniversalClient
	prefix string
}

// fixedWindowScript counts in a key that expires at the end of the window
// its first request opened. ARGV[1] is the period in milliseconds. It
// returns the count and the milliseconds left in the window.
var fixedWindowScript = redis.NewScript(`local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}`)

// tokenBucketScript is GCRA on Redis's clock, in microseconds: the key holds
// the theoretical arrival time and expires when the bucket is full again.
// ARGV[1] is the emission interval and ARGV[2] the burst. It returns
// {allowed, remaining, reset, retry after}.
var tokenBucketScript = redis.NewScript(`local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local iv = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if tat < now then tat = now end
local nxt = tat + iv
local allow_at = nxt - iv * burst
if now < allow_at then
  return {0, 0, tat - now, allow_at - now}
end
redis.call('SET', KEYS[1], string.format('%.0f', nxt), 'PX', math.ceil((nxt - now) / 1000))
return {1, math.floor((now - allow_at) / iv), nxt - now, 0}`)

// NewRedisStore returns a RedisStore using c.
func NewRedisStore(c redis.UniversalClient, o RedisOptions) (*RedisStore, error) {
	if c == nil {
		return nil, errors.New("throttle: nil Redis client")
	}
	return &RedisStore{c: c, prefix: o.KeyPrefix + DefaultRedisPrefix}, nil
}

// RedisKey is the Redis key a Key is counted under (without the store's
// prefix): scope, then "ip:" and the address, or the ID.
func RedisKey(k Key) string {
	if k.ID != "" {
		return k.Scope + ":" + k.ID
	}
	return k.Scope + ":ip:" + k.IP.String()
}

// Take implements Store.
func (s *RedisStore) Take(ctx context.Context, key Key, rule Rule) (Decision, error) {
	k := []string{s.prefix + RedisKey(key)}
	quota := rule.quota()
	if quota <= 0 {
		return Decision{Reset: rule.Period, RetryAfter: rule.Period}, nil
	}
	if rule.Algorithm == TokenBucket {
		iv := rule.interval(time.Microsecond).Microseconds()
		v, err := tokenBucketScript.Run(ctx, s.c, k, iv, quota).Int64Slice()
		if err != nil {
			return Decision{}, markRedis(err)
		}
		if len(v) != 4 {
			return Decision{}, fmt.Errorf("throttle: redis: unexpected reply %v", v)
		}
		return Decision{Allowed: v[0] == 1, Quota: quota, Remaining: v[1],
			Reset: time.Duration(v[2]) * time.Microsecond, RetryAfter: time.Duration(v[3]) * time.Microsecond}, nil
	}
	v, err := fixedWindowScript.Run(ctx, s.c, k, max(rule.Period.Milliseconds(), 1)).Int64Slice()
	if err != nil {
		return Decision{}, markRedis(err)
	}
	if len(v) != 2 {
		return Decision{}, fmt.Errorf("throttle: redis: unexpected reply %v", v)
	}
	n, reset := v[0], time.Duration(v[1])*time.Millisecond
	d := Decision{Quota: quota, Reset: reset}
	if n <= quota {
		d.Allowed, d.Remaining = true, quota-n
	} else {
		d.RetryAfter = reset
	}
	return d, nil
}

// markRedis wraps a Redis failure, marking it apierror.ErrUnavailable when
// it says Redis is down, unreachable, too slow or not ready
// (internal/redisfail).
func markRedis(err error) error {
	return redisfail.Mark(fmt.Errorf("throttle: redis: %w", err))
}
