package sessions

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/dmr-go/dmr/apierror"
)

// BoundedLoader is implemented by stores whose Load already runs under a
// deadline of their own (dbstore.Store: sqldb's per-operation deadline, or
// busy_timeout on SQLite). Options.StoreTimeout then starts no timer for
// their Load, which every uncached request calls once: a timer context cost
// it about 1 µs.
type BoundedLoader interface {
	LoadBounded() bool
}

// boundedStore is the Store the middleware calls: each operation gets its
// own deadline (Options.StoreTimeout) and every infrastructure failure
// (apierror.IsUnavailable: a refused connection, a lock, the deadline
// itself) is marked apierror.ErrUnavailable, so it answers 503 with
// Retry-After instead of 500.
type boundedStore struct {
	next    Store
	timeout time.Duration
	ownLoad bool // next is a BoundedLoader that bounds its Load itself
}

// boundStore wraps s in a boundedStore. A LocalCache is wrapped below its
// cache (a copy sharing the same entries), so a hit, which does no I/O, pays
// for no deadline.
func boundStore(s Store, timeout time.Duration) Store {
	if lc, ok := s.(*LocalCache); ok {
		c := *lc
		c.next = newBoundedStore(lc.next, timeout)
		return &c
	}
	return newBoundedStore(s, timeout)
}

func newBoundedStore(s Store, timeout time.Duration) boundedStore {
	bl, ok := s.(BoundedLoader)
	return boundedStore{next: s, timeout: timeout, ownLoad: ok && bl.LoadBounded()}
}

func (b boundedStore) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if b.timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, b.timeout)
}

func (b boundedStore) Load(ctx context.Context, key string) (Record, error) {
	if b.ownLoad {
		r, err := b.next.Load(ctx, key) // no timer: the store has its own deadline
		return r, apierror.MarkUnavailable(err)
	}
	ctx, cancel := b.bound(ctx)
	defer cancel()
	r, err := b.next.Load(ctx, key)
	return r, apierror.MarkUnavailableCtx(ctx, err)
}

func (b boundedStore) Create(ctx context.Context, r Record) (string, error) {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	v, err := b.next.Create(ctx, r)
	return v, apierror.MarkUnavailableCtx(ctx, err)
}

func (b boundedStore) Save(ctx context.Context, r Record) (string, error) {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	v, err := b.next.Save(ctx, r)
	return v, apierror.MarkUnavailableCtx(ctx, err)
}

func (b boundedStore) Delete(ctx context.Context, key string) error {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	return apierror.MarkUnavailableCtx(ctx, b.next.Delete(ctx, key))
}

func (b boundedStore) ClearExpired(ctx context.Context) error {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	return apierror.MarkUnavailableCtx(ctx, b.next.ClearExpired(ctx))
}

// logStoreFailure logs a failed store operation: at error level, and for an
// unavailable store at most once per interval per operation with the
// number of failures held back (a down database fails every request the same
// way).
func (m *Middleware) logStoreFailure(ctx context.Context, op string, err error) {
	if errors.Is(err, apierror.ErrUnavailable) {
		m.failures.Log(ctx, m.log, slog.LevelError, "session store unavailable", "op", op, "error", err)
		return
	}
	m.log.ErrorContext(ctx, "session store failed", "op", op, "error", err)
}
