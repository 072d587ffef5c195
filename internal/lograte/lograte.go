package lograte

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// DefaultInterval is the interval of a zero Limiter.
const DefaultInterval = 10 * time.Second

// maxKeys bounds the entries a Limiter keeps; keys are messages written in
// the code, so this is never reached in practice, but it keeps the memory
// bounded whatever the callers pass.
const maxKeys = 1024

// Limiter writes at most one record per key and interval. The zero value
// is ready to use (DefaultInterval, time.Now) and safe for concurrent use.
type Limiter struct {
	// Interval between two records of one key; zero means DefaultInterval.
	Interval time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time

	mu      sync.Mutex
	entries map[string]*entry
}

type entry struct {
	last       time.Time // when a record was last written
	suppressed int       // occurrences held back since
}

// Log writes msg with attrs at level to logger, unless a record with the
// same msg went out less than Interval ago; then it only counts it. The
// first record after a quiet interval carries "suppressed", the number of
// occurrences held back since the previous record. It reports whether a
// record was written.
func (l *Limiter) Log(ctx context.Context, logger *slog.Logger, level slog.Level, msg string, attrs ...any) bool {
	if logger == nil {
		logger = slog.Default()
	}
	if !logger.Enabled(ctx, level) {
		return false
	}
	now := l.now()
	iv := l.Interval
	if iv <= 0 {
		iv = DefaultInterval
	}
	l.mu.Lock()
	if l.entries == nil {
		l.entries = make(map[string]*entry)
	}
	e := l.entries[msg]
	if e != nil && now.Sub(e.last) < iv {
		e.suppressed++
		l.mu.Unlock()
		return false
	}
	suppressed := 0
	if e == nil {
		if len(l.entries) >= maxKeys {
			l.evict(now, iv)
		}
		e = &entry{}
		l.entries[msg] = e
	} else {
		suppressed = e.suppressed
	}
	e.last, e.suppressed = now, 0
	l.mu.Unlock()
	if suppressed > 0 {
		attrs = append(attrs, slog.Int("suppressed", suppressed), slog.String("suppressed_over", iv.String()))
	}
	logger.Log(ctx, level, msg, attrs...)
	return true
}

// evict drops entries that are past their interval (their held-back count
// is lost); if none is, it drops them all. l.mu is held.
func (l *Limiter) evict(now time.Time, iv time.Duration) {
	for k, e := range l.entries {
		if now.Sub(e.last) >= iv {
			delete(l.entries, k)
		}
	}
	if len(l.entries) >= maxKeys {
		clear(l.entries)
	}
}

func (l *Limiter) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}
