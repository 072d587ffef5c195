package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dmr-go/dmr/internal/lograte"
	"github.com/dmr-go/dmr/pyjson"
	"github.com/dmr-go/dmr/sessions"
	"github.com/dmr-go/dmr/sessions/dbstore"
)

// Version prefixes of CachedDB records: "d" + session_data text when loaded
// from the database, "c" + cached bytes when loaded from the cache.
const (
	versionDB    = "d"
	versionCache = "c"
)

// CachedDB is Django's cached_db session backend: a dbstore.Store that is
// authoritative plus a pickled copy in Redis (see the package doc). It is
// safe for concurrent use.
type CachedDB struct {
	common
	db       *dbstore.Store
	br       *breaker
	failures lograte.Limiter // Redis failures: one record per interval
}

var _ sessions.Store = (*CachedDB)(nil)

// NewCachedDB returns a CachedDB on db and c.
func NewCachedDB(db *dbstore.Store, c redis.UniversalClient, opts Options) (*CachedDB, error) {
	if db == nil {
		return nil, errors.New("redisstore: nil dbstore.Store")
	}
	cm, err := newCommon(c, CachedDBPrefix, opts)
	if err != nil {
		return nil, err
	}
	cd := opts.CacheCooldown
	if cd <= 0 {
		cd = DefaultCacheCooldown
	}
	return &CachedDB{common: cm, db: db, br: &breaker{cooldown: cd, now: cm.now}}, nil
}

// DB returns the underlying database store.
func (s *CachedDB) DB() *dbstore.Store { return s.db }

// Load returns the session from the cache, or from the database (refilling
// the cache). Cache errors and undecodable cached values fall back to the
// database with a warning; while Redis is failing (see the package doc's
// circuit breaker) the database is read directly.
func (s *CachedDB) Load(ctx context.Context, key string) (sessions.Record, error) {
	if key == "" || len(key) > dbstore.MaxKeyLength {
		return sessions.Record{}, sessions.ErrNotFound
	}
	rkey := s.RedisKey(key)
	var val []byte
	var expiry time.Time
	found, err := false, error(nil)
	if s.cacheUsable(ctx) {
		val, expiry, found, err = s.get(ctx, rkey)
	}
	switch {
	case err != nil:
		s.br.failed()
		s.cacheFailed(ctx, "load", err)
	case found:
		o, err := s.unpickle(val)
		if err == nil {
			// The cached bytes are the Version (see decode), copied once
			// with their prefix.
			return sessions.Record{Key: key, Data: o, Expiry: expiry, Version: versionCache + string(val)}, nil
		}
		s.log.WarnContext(ctx, "cached session unusable", "store", "cached_db", "error", err)
	}
	// dbstore's Version is the row's session_data text.
	r, err := s.db.Load(ctx, key)
	if err != nil {
		return sessions.Record{}, err
	}
	s.refresh(ctx, rkey, r.Data, r.Expiry)
	r.Version = versionDB + r.Version
	return r, nil
}

// refresh sets the cache entry under the Redis key rkey (RedisKey);
// failures are logged, not returned (the database already has the data), as
// Django 5.1+ does, and the entry is deleted so that it cannot go stale.
func (s *CachedDB) refresh(ctx context.Context, rkey string, o *pyjson.Object, expiry time.Time) {
	if s.br.markDirty(rkey) {
		return // Redis is being skipped: its copy is deleted on recovery
	}
	ttl, live := s.ttl(expiry)
	if !live {
		s.forget(ctx, rkey)
		return
	}
	val, err := s.encode(o)
	if err == nil {
		err = s.c.Set(ctx, rkey, val, ttl).Err()
	}
	if err != nil {
		s.cacheFailed(ctx, "set", err)
		s.forget(ctx, rkey)
	}
}

// forget deletes the cache entry under the Redis key rkey, logging
// failures. While Redis is failing, the key is remembered and its entry
// deleted on recovery instead.
func (s *CachedDB) forget(ctx context.Context, rkey string) {
	if s.br.markDirty(rkey) {
		return
	}
	if err := s.c.Del(ctx, rkey).Err(); err != nil {
		s.br.failed(rkey)
		s.cacheFailed(ctx, "delete", err)
	}
}

// Create inserts the row, then caches the dict.
func (s *CachedDB) Create(ctx context.Context, r sessions.Record) (string, error) {
	data, err := s.db.Create(ctx, r)
	if err != nil {
		return "", err
	}
	s.refresh(ctx, s.RedisKey(r.Key), r.Data, r.Expiry)
	return versionDB + data, nil
}

// Save writes the row with compare-and-swap (see the package doc), then
// refreshes the cache; on failure it deletes the cache entry.
func (s *CachedDB) Save(ctx context.Context, r sessions.Record) (string, error) {
	if r.Key == "" || len(r.Key) > dbstore.MaxKeyLength {
		return "", sessions.ErrNotFound
	}
	var expect string
	var err error
	switch {
	case r.Version == "":
	case strings.HasPrefix(r.Version, versionDB):
		expect = r.Version[len(versionDB):]
	case strings.HasPrefix(r.Version, versionCache):
		expect, err = s.rowMatchingCache(ctx, r.Key, r.Version[len(versionCache):])
		if err != nil {
			s.forget(ctx, s.RedisKey(r.Key))
			return "", err
		}
	default:
		return "", fmt.Errorf("redisstore: save: version was not made by this store")
	}
	data, err := s.db.Save(ctx, sessions.Record{Key: r.Key, Data: r.Data, Expiry: r.Expiry, Version: expect})
	if err != nil {
		s.forget(ctx, s.RedisKey(r.Key))
		return "", err
	}
	s.refresh(ctx, s.RedisKey(r.Key), r.Data, r.Expiry)
	return versionDB + data, nil
}

// rowMatchingCache returns the row's session_data if the row holds the dict
// that was cached as cached; ErrConflict if it holds another one,
// ErrNotFound if there is no live row.
func (s *CachedDB) rowMatchingCache(ctx context.Context, key, cached string) (string, error) {
	row, err := s.db.Load(ctx, key)
	if err != nil {
		return "", err
	}
	fromCache, err := s.unpickle([]byte(cached))
	if err != nil || !pyEqual(fromCache, row.Data) {
		return "", sessions.ErrConflict
	}
	return row.Version, nil // dbstore's Version: the row's session_data
}

// Delete removes the row, then the cache entry. When Redis fails, the
// entry is remembered and deleted before Redis is used again (see the
// package doc's circuit breaker), so a logout succeeds at database speed and
// the stale copy is never served.
func (s *CachedDB) Delete(ctx context.Context, key string) error {
	if err := s.db.Delete(ctx, key); err != nil {
		return err
	}
	if key == "" {
		return nil
	}
	s.forget(ctx, s.RedisKey(key))
	return nil
}

// Exists reports whether the key is cached or has a row (Django's
// cached_db.exists).
func (s *CachedDB) Exists(ctx context.Context, key string) (bool, error) {
	if key == "" || len(key) > dbstore.MaxKeyLength {
		return false, nil
	}
	if s.cacheUsable(ctx) {
		n, err := s.c.Exists(ctx, s.RedisKey(key)).Result()
		if err == nil && n > 0 {
			return true, nil
		}
		if err != nil {
			s.br.failed()
			s.cacheFailed(ctx, "exists", err)
		}
	}
	return s.db.Exists(ctx, key)
}

// ClearExpired deletes expired rows; Redis expires cache entries itself.
func (s *CachedDB) ClearExpired(ctx context.Context) error { return s.db.ClearExpired(ctx) }

// DeleteUserSessions deletes all sessions of the user userID except keep,
// from the database and the cache (see dbstore.Store.DeleteUserSessions for
// the cost).
func (s *CachedDB) DeleteUserSessions(ctx context.Context, userID, keep string) ([]string, error) {
	keys, err := s.db.DeleteUserSessions(ctx, userID, keep)
	if err != nil {
		return nil, err
	}
	for i := 0; i < len(keys); i += 500 {
		batch := keys[i:min(i+500, len(keys))]
		rkeys := make([]string, len(batch))
		for j, k := range batch {
			rkeys[j] = s.RedisKey(k)
		}
		if s.br.markDirty(rkeys...) {
			continue
		}
		if err := s.c.Del(ctx, rkeys...).Err(); err != nil {
			s.br.failed(rkeys...)
			s.cacheFailed(ctx, "delete", err)
		}
	}
	return keys, nil
}

// pyEqual compares two decoded session values as Python's == would (dict
// order ignored, 1 == 1.0 == True).
func pyEqual(a, b any) bool {
	if an, ok := number(a); ok {
		bn, ok := number(b)
		return ok && an.Cmp(bn) == 0
	}
	switch a := a.(type) {
	case nil:
		return b == nil
	case string:
		bs, ok := b.(string)
		return ok && a == bs
	case []any:
		bl, ok := b.([]any)
		if !ok || len(a) != len(bl) {
			return false
		}
		for i := range a {
			if !pyEqual(a[i], bl[i]) {
				return false
			}
		}
		return true
	case *pyjson.Object:
		bo, ok := b.(*pyjson.Object)
		if !ok || a.Len() != bo.Len() {
			return false
		}
		for _, k := range a.Keys() {
			av, _ := a.Get(k)
			bv, ok := bo.Get(k)
			if !ok || !pyEqual(av, bv) {
				return false
			}
		}
		return true
	}
	return false
}

// number returns a numeric value (bool counts, as in Python) as a big.Float;
// NaN is not equal to anything.
func number(v any) (*big.Float, bool) {
	switch v := v.(type) {
	case bool:
		if v {
			return big.NewFloat(1), true
		}
		return big.NewFloat(0), true
	case int64:
		return new(big.Float).SetInt64(v), true
	case float64:
		if math.IsNaN(v) {
			return nil, false
		}
		return big.NewFloat(v), true
	case json.Number:
		f, _, err := big.ParseFloat(string(v), 10, 4096, big.ToNearestEven)
		return f, err == nil
	}
	return nil, false
}
