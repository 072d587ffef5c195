package redisstore

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// DefaultCacheCooldown is CachedDB's default Options.CacheCooldown.
const DefaultCacheCooldown = time.Second

// maxDirty bounds the keys a CachedDB remembers while it skips Redis; past
// it, the whole cached_db key space of this store is cleared on recovery.
const maxDirty = 10000

// breaker is CachedDB's circuit breaker around Redis.
//
// Closed: every operation uses Redis. The first failed Redis operation opens
// it: for the cool-down, nothing touches Redis (loads read the database,
// writes go to the database only) and the session keys written or deleted
// meanwhile are remembered as dirty, since their cached copies may be stale.
// After the cool-down, one operation probes: it deletes the dirty entries
// (or pings Redis when there are none); success closes the breaker, failure
// opens it for another cool-down. The cached copy of a session that changed
// while Redis was skipped is therefore never served again.
type breaker struct {
	cooldown time.Duration
	now      func() time.Time

	mu        sync.Mutex
	open      bool
	openUntil time.Time
	probing   bool
	dirty     map[string]struct{} // Redis keys whose cached copy may be stale
	overflow  bool                // more than maxDirty keys: clear them all
}

// allow reports whether Redis may be used now; probe is true for the one
// caller that must first clean up (dirty, overflow) and then report
// succeeded or failed.
func (b *breaker) allow() (ok, probe bool, dirty []string, overflow bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.open {
		return true, false, nil, false
	}
	if b.probing || b.now().Before(b.openUntil) {
		return false, false, nil, false
	}
	b.probing = true
	dirty = make([]string, 0, len(b.dirty))
	for k := range b.dirty {
		dirty = append(dirty, k)
	}
	return true, true, dirty, b.overflow
}

// failed opens the breaker for a cool-down, remembering keys as dirty.
func (b *breaker) failed(keys ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.open, b.probing, b.openUntil = true, false, b.now().Add(b.cooldown)
	b.addDirtyLocked(keys)
}

// markDirty remembers keys written while the breaker is open; it reports
// false when the breaker is closed (the caller must use Redis).
func (b *breaker) markDirty(keys ...string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.open {
		return false
	}
	b.addDirtyLocked(keys)
	return true
}

func (b *breaker) addDirtyLocked(keys []string) {
	if b.dirty == nil {
		b.dirty = make(map[string]struct{})
	}
	for _, k := range keys {
		if len(b.dirty) >= maxDirty {
			b.overflow = true
			return
		}
		b.dirty[k] = struct{}{}
	}
}

// succeeded closes the breaker after a probe that cleaned up cleaned (and
// everything, with overflow).
func (b *breaker) succeeded(cleaned []string, overflow bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, k := range cleaned {
		delete(b.dirty, k)
	}
	if overflow {
		b.overflow = false
	}
	b.probing = false
	if len(b.dirty) == 0 && !b.overflow {
		b.open = false
		return
	}
	// Keys dirtied during the probe: probe again at once.
	b.openUntil = time.Time{}
}

// cacheUsable reports whether this operation may use Redis, running the
// probe when it is this operation's turn.
func (s *CachedDB) cacheUsable(ctx context.Context) bool {
	ok, probe, dirty, overflow := s.br.allow()
	if !ok || !probe {
		return ok
	}
	err := s.cleanDirty(ctx, dirty, overflow)
	if err != nil {
		s.br.failed()
		s.cacheFailed(ctx, "probe", err)
		return false
	}
	s.br.succeeded(dirty, overflow)
	s.failures.Log(ctx, s.log, slog.LevelInfo, "session cache available again", "store", "cached_db", "stale_entries_deleted", len(dirty))
	return s.cacheUsable(ctx)
}

// cleanDirty deletes the cached copies that may be stale, or pings Redis
// when there are none.
func (s *CachedDB) cleanDirty(ctx context.Context, dirty []string, overflow bool) error {
	if overflow {
		return s.clearAll(ctx)
	}
	if len(dirty) == 0 {
		return s.c.Ping(ctx).Err()
	}
	for i := 0; i < len(dirty); i += 500 {
		if err := s.c.Del(ctx, dirty[i:min(i+500, len(dirty))]...).Err(); err != nil {
			return err
		}
	}
	return nil
}

// clearAll deletes every cached_db entry of this store (SCAN on the key
// prefix), for when too many keys changed while Redis was skipped to
// remember them one by one. The database keeps every session; the cache
// refills as sessions are loaded.
func (s *CachedDB) clearAll(ctx context.Context) error {
	pattern := globEscape(s.RedisKey("")) + "*"
	iter := s.c.Scan(ctx, 0, pattern, 1000).Iterator()
	var batch []string
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 500 {
			if err := s.c.Del(ctx, batch...).Err(); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if err := iter.Err(); err != nil {
		return err
	}
	if len(batch) > 0 {
		return s.c.Del(ctx, batch...).Err()
	}
	return nil
}

func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// cacheFailed logs a Redis failure of cached_db, at most once per interval.
func (s *CachedDB) cacheFailed(ctx context.Context, op string, err error) {
	s.failures.Log(ctx, s.log, slog.LevelWarn, "session cache unavailable; using the database only",
		"store", "cached_db", "op", op, "cooldown", s.br.cooldown.String(), "error", err)
}
