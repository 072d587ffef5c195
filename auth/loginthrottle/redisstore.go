package loginthrottle

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultRedisPrefix starts every key of a [RedisStore].
const DefaultRedisPrefix = "dmr:loginfail:"

// RedisOptions configures a [RedisStore].
type RedisOptions struct {
	// KeyPrefix is put before DefaultRedisPrefix (like Django's cache
	// KEY_PREFIX).
	KeyPrefix string
}

// RedisStore keeps each counter in one Redis key that Redis expires itself.
// A failure increments the key and sets its expiry in one Lua script, so
// instances sharing the Redis never lose a count or leave a key without an
// expiry.
type RedisStore struct {
	c      redis.UniversalClient
	prefix string
}

// addScript is INCR then PEXPIRE, atomically; a decrement (ARGV[2] < 0)
// only applies to a positive counter and keeps its expiry (DECR does).
var addScript = redis.NewScript(`if tonumber(ARGV[2]) < 0 then
  local n = tonumber(redis.call('GET', KEYS[1]) or '0')
  if n <= 0 then return 0 end
  return redis.call('DECR', KEYS[1])
end
local n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return n`)

// NewRedisStore returns a RedisStore using c.
func NewRedisStore(c redis.UniversalClient, o RedisOptions) (*RedisStore, error) {
	if c == nil {
		return nil, errors.New("loginthrottle: nil Redis client")
	}
	return &RedisStore{c: c, prefix: o.KeyPrefix + DefaultRedisPrefix}, nil
}

// Add implements Store.
func (s *RedisStore) Add(ctx context.Context, key string, delta int64, ttl time.Duration) (int64, error) {
	if delta != 1 && delta != -1 {
		return 0, fmt.Errorf("loginthrottle: delta %d: want 1 or -1", delta)
	}
	ms := max(ttl.Milliseconds(), 1)
	n, err := addScript.Run(ctx, s.c, []string{s.prefix + key}, ms, delta).Int64()
	if err != nil {
		return 0, fmt.Errorf("loginthrottle: redis: %w", err)
	}
	return n, nil
}

// Count implements Store: GET and PTTL in one round trip.
func (s *RedisStore) Count(ctx context.Context, key string) (int64, time.Duration, error) {
	k := s.prefix + key
	var get *redis.StringCmd
	var pttl *redis.DurationCmd
	_, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		get = p.Get(ctx, k)
		pttl = p.PTTL(ctx, k)
		return nil
	})
	if errors.Is(err, redis.Nil) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("loginthrottle: redis: %w", err)
	}
	n, err := get.Int64()
	if err != nil {
		return 0, 0, fmt.Errorf("loginthrottle: redis: counter %q: %w", key, err)
	}
	ttl := pttl.Val()
	if n <= 0 || ttl <= 0 { // expired between the two commands, or no expiry (not ours)
		return 0, 0, nil
	}
	return n, ttl, nil
}

// Reset implements Store.
func (s *RedisStore) Reset(ctx context.Context, key string) error {
	if err := s.c.Del(ctx, s.prefix+key).Err(); err != nil {
		return fmt.Errorf("loginthrottle: redis: %w", err)
	}
	return nil
}
