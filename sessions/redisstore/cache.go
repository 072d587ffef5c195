package redisstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dmr-go/dmr/internal/redisfail"
	"github.com/dmr-go/dmr/sessions"
)

// Django's cache key prefixes of the session backends.
const (
	CachePrefix    = "django.contrib.sessions.cache"
	CachedDBPrefix = "django.contrib.sessions.cached_db"
)

// DefaultMaxValueSize is the largest cached value Load decodes.
const DefaultMaxValueSize = 1 << 20

// Options configure the Redis side of Cache and CachedDB. The zero value
// matches Django's defaults.
type Options struct {
	// KeyPrefix is Django's CACHES[…]["KEY_PREFIX"] (default ""). Tests use
	// it to keep their keys apart.
	KeyPrefix string
	// Version is Django's CACHES[…]["VERSION"]; 0 means 1.
	Version int
	// KeyFunc replaces Django's default KEY_FUNCTION
	// (prefix + ":" + version + ":" + key) when the Django project sets its
	// own. It gets the backend key ("django.contrib.sessions.cache<key>").
	KeyFunc func(key string) string
	// MaxValueSize caps the size of a cached value Load accepts, and of
	// its decompressed form; 0 means DefaultMaxValueSize. Larger values are
	// treated as corrupt.
	MaxValueSize int
	// Format is the Django cache backend sharing the sessions: FormatDjango
	// (the zero value, Django's own RedisCache) or FormatDjangoRedis.
	Format Format
	// Compressor is django-redis's OPTIONS["COMPRESSOR"]; only with
	// FormatDjangoRedis.
	Compressor Compressor
	// Logger receives warnings about undecodable values and cache errors;
	// nil means slog.Default().
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// CacheCooldown is how long CachedDB leaves Redis alone after a failed
	// Redis operation (reading and writing the database only) before one
	// operation probes it again; 0 means DefaultCacheCooldown (1 s). Cache
	// ignores it.
	CacheCooldown time.Duration
}

type common struct {
	c          redis.UniversalClient
	prefix     string // backend prefix
	keyFunc    func(string) string
	maxSize    int
	format     Format
	compressor Compressor
	inflaters  *inflaterPool
	deflaters  *deflaterPool
	log        *slog.Logger
	now        func() time.Time
}

func newCommon(c redis.UniversalClient, backendPrefix string, o Options) (common, error) {
	if c == nil {
		return common{}, errors.New("redisstore: nil Redis client")
	}
	if o.Version < 0 {
		return common{}, errors.New("redisstore: negative Version")
	}
	if err := checkFormat(o.Format, o.Compressor); err != nil {
		return common{}, err
	}
	cm := common{c: c, prefix: backendPrefix, keyFunc: o.KeyFunc, maxSize: o.MaxValueSize, log: o.Logger, now: o.Now}
	cm.format, cm.compressor = o.Format, o.Compressor
	cm.inflaters, cm.deflaters = new(inflaterPool), new(deflaterPool)
	if cm.keyFunc == nil {
		version := o.Version
		if version == 0 {
			version = 1
		}
		head := o.KeyPrefix + ":" + strconv.Itoa(version) + ":"
		cm.keyFunc = func(k string) string { return head + k }
	}
	if cm.maxSize == 0 {
		cm.maxSize = DefaultMaxValueSize
	}
	if cm.log == nil {
		cm.log = slog.Default()
	}
	if cm.now == nil {
		cm.now = time.Now
	}
	return cm, nil
}

// RedisKey returns the Redis key of a session key.
func (cm *common) RedisKey(sessionKey string) string { return cm.keyFunc(cm.prefix + sessionKey) }

// SessionKey is the inverse of RedisKey: it returns the session key whose
// Redis key is redisKey, and false when redisKey is not one of this store's
// session keys (another backend, KEY_PREFIX or VERSION, or not a cache key
// at all). With a KeyFunc that does not end its result with the key it was
// given, no key parses.
func (cm *common) SessionKey(redisKey string) (string, bool) {
	head, ok := cm.keyHead()
	if !ok {
		return "", false
	}
	k, ok := strings.CutPrefix(redisKey, head)
	if !ok || k == "" || cm.RedisKey(k) != redisKey {
		return "", false
	}
	return k, true
}

// keyHead returns what every Redis key of a session starts with, the Redis
// key of the empty session key; ok is false when KeyFunc does not end its
// result with the key it was given.
func (cm *common) keyHead() (string, bool) {
	head := cm.keyFunc(cm.prefix)
	const probe = "\x00probe"
	return head, cm.keyFunc(cm.prefix+probe) == head+probe
}

// ttl returns the TTL for expiry; ok is false when the session has already
// expired.
func (cm *common) ttl(expiry time.Time) (time.Duration, bool) {
	d := expiry.Sub(cm.now()).Truncate(time.Millisecond)
	return d, d >= time.Millisecond
}

// get reads a cached value and its remaining TTL in one round trip.
// found is false for a missing key.
func (cm *common) get(ctx context.Context, rkey string) (val []byte, expiry time.Time, found bool, err error) {
	var get *redis.StringCmd
	var pttl *redis.DurationCmd
	_, err = cm.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		get = p.Get(ctx, rkey)
		pttl = p.PTTL(ctx, rkey)
		return nil
	})
	if errors.Is(err, redis.Nil) {
		return nil, time.Time{}, false, nil
	}
	if err != nil {
		return nil, time.Time{}, false, err
	}
	val, err = get.Bytes()
	if err != nil {
		return nil, time.Time{}, false, err
	}
	if d := pttl.Val(); d > 0 {
		expiry = cm.now().Add(d)
	}
	return val, expiry, true, nil
}

// decode unpickles a cached value; the error says why it is unusable.
func (cm *common) decode(val []byte) (sessions.Record, error) {
	o, err := cm.unpickle(val)
	if err != nil {
		return sessions.Record{}, err
	}
	return sessions.Record{Data: o, Version: string(val)}, nil
}

// casScript replaces KEYS[1] with ARGV[2] (TTL ARGV[3] ms) if its value
// equals ARGV[1] (any value when ARGV[1] is empty). Returns 1 on success, 0
// when the key is missing, -1 when the value differs.
var casScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
if ARGV[1] ~= '' and cur ~= ARGV[1] then return -1 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`)

// Cache is Django's cache session backend on Redis (see the package doc).
// It is safe for concurrent use.
type Cache struct{ common }

var _ sessions.Store = (*Cache)(nil)

// NewCache returns a Cache on c.
func NewCache(c redis.UniversalClient, opts Options) (*Cache, error) {
	cm, err := newCommon(c, CachePrefix, opts)
	if err != nil {
		return nil, err
	}
	return &Cache{cm}, nil
}

// Load returns the session under key. Its Expiry is now plus the key's TTL
// (zero if the key has none). A value that does not unpickle is treated as
// missing, with a warning (Django's cache backend does the same).
func (s *Cache) Load(ctx context.Context, key string) (sessions.Record, error) {
	if key == "" {
		return sessions.Record{}, sessions.ErrNotFound
	}
	val, expiry, found, err := s.get(ctx, s.RedisKey(key))
	if err != nil {
		return sessions.Record{}, fmt.Errorf("redisstore: load: %w", redisfail.Mark(err))
	}
	if !found {
		return sessions.Record{}, sessions.ErrNotFound
	}
	r, err := s.decode(val)
	if err != nil {
		s.log.WarnContext(ctx, "cached session unusable", "store", "cache", "error", err)
		return sessions.Record{}, sessions.ErrNotFound
	}
	r.Key, r.Expiry = key, expiry
	return r, nil
}

// Create stores r with SET NX; sessions.ErrKeyExists when the key is taken.
// A record that has already expired is not stored (Django's cache drops
// values with a timeout ≤ 0) and Create returns an empty version.
func (s *Cache) Create(ctx context.Context, r sessions.Record) (string, error) {
	if r.Key == "" {
		return "", errors.New("redisstore: create: empty session key")
	}
	val, err := s.encode(r.Data)
	if err != nil {
		return "", fmt.Errorf("redisstore: encode: %w", err)
	}
	ttl, ok := s.ttl(r.Expiry)
	if !ok {
		return "", nil
	}
	set, err := s.c.SetNX(ctx, s.RedisKey(r.Key), val, ttl).Result()
	if err != nil {
		return "", fmt.Errorf("redisstore: create: %w", redisfail.Mark(err))
	}
	if !set {
		return "", sessions.ErrKeyExists
	}
	return string(val), nil
}

// Save replaces the stored value if it still equals r.Version (see the
// package doc). A record that has already expired is deleted instead.
func (s *Cache) Save(ctx context.Context, r sessions.Record) (string, error) {
	if r.Key == "" {
		return "", sessions.ErrNotFound
	}
	val, err := s.encode(r.Data)
	if err != nil {
		return "", fmt.Errorf("redisstore: encode: %w", err)
	}
	ttl, ok := s.ttl(r.Expiry)
	if !ok {
		return "", s.Delete(ctx, r.Key)
	}
	res, err := casScript.Run(ctx, s.c, []string{s.RedisKey(r.Key)}, r.Version, val, ttl.Milliseconds()).Int()
	if err != nil {
		return "", fmt.Errorf("redisstore: save: %w", redisfail.Mark(err))
	}
	switch res {
	case 1:
		return string(val), nil
	case 0:
		return "", sessions.ErrNotFound
	}
	return "", sessions.ErrConflict
}

// Delete removes the session; a missing key is not an error.
func (s *Cache) Delete(ctx context.Context, key string) error {
	if key == "" {
		return nil
	}
	if err := s.c.Del(ctx, s.RedisKey(key)).Err(); err != nil {
		return fmt.Errorf("redisstore: delete: %w", redisfail.Mark(err))
	}
	return nil
}

// Exists reports whether the key is stored.
func (s *Cache) Exists(ctx context.Context, key string) (bool, error) {
	if key == "" {
		return false, nil
	}
	n, err := s.c.Exists(ctx, s.RedisKey(key)).Result()
	if err != nil {
		return false, fmt.Errorf("redisstore: exists: %w", redisfail.Mark(err))
	}
	return n > 0, nil
}

// ClearExpired does nothing: Redis expires keys itself.
func (s *Cache) ClearExpired(context.Context) error { return nil }
