package auth

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/dmr-go/dmr/apierror"
)

// BoundedUserLoader is implemented by user stores whose UserByID already
// runs under a deadline of their own (userdb.Store: sqldb's per-operation
// deadline, or busy_timeout on SQLite). Options.StoreTimeout then starts no
// timer for it: loading the current user is the one store call of every
// uncached request, and a timer context cost it about 1 µs.
type BoundedUserLoader interface {
	UserByIDBounded() bool
}

// storeTimeout is Options.StoreTimeout: the deadline each store operation
// Auth makes gets.
type storeTimeout time.Duration

func (t storeTimeout) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if t <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, time.Duration(t))
}

// boundUsers wraps u in a boundedUsers; a UserCache is wrapped below its
// cache (a copy sharing the same entries), so a hit, which does no I/O, pays
// for no deadline.
func boundUsers(u UserStore, t storeTimeout) UserStore {
	if c, ok := u.(*UserCache); ok {
		cc := *c
		cc.next = newBoundedUsers(c.next, t)
		return &cc
	}
	return newBoundedUsers(u, t)
}

func newBoundedUsers(u UserStore, t storeTimeout) boundedUsers {
	bl, ok := u.(BoundedUserLoader)
	return boundedUsers{next: u, storeTimeout: t, ownUserByID: ok && bl.UserByIDBounded()}
}

// boundPerms is boundUsers for a PermissionSource: below the permission
// cache of UserCache.CachePermissions.
func boundPerms(p PermissionSource, t storeTimeout) PermissionSource {
	if pc, ok := p.(*permCache); ok {
		return &permCache{c: pc.c, next: boundedPerms{next: pc.next, storeTimeout: t}}
	}
	return boundedPerms{next: p, storeTimeout: t}
}

// boundedUsers is the UserStore Auth calls: each operation gets its own
// deadline (Options.StoreTimeout) and infrastructure failures
// (apierror.IsUnavailable) are marked apierror.ErrUnavailable, so they answer
// 503 with Retry-After instead of 500.
type boundedUsers struct {
	next UserStore
	storeTimeout
	ownUserByID bool // next is a BoundedUserLoader that bounds UserByID itself
}

// boundedPerms is the PermissionSource Auth calls, bounded and marked the
// same way.
type boundedPerms struct {
	next PermissionSource
	storeTimeout
}

func (b boundedPerms) UserPermissions(ctx context.Context, id string) (PermissionSet, error) {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	s, err := b.next.UserPermissions(ctx, id)
	return s, apierror.MarkUnavailableCtx(ctx, err)
}

func (b boundedPerms) AllPermissions(ctx context.Context) (PermissionSet, error) {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	s, err := b.next.AllPermissions(ctx)
	return s, apierror.MarkUnavailableCtx(ctx, err)
}

func (b boundedUsers) UserByID(ctx context.Context, id string) (*User, error) {
	if b.ownUserByID {
		u, err := b.next.UserByID(ctx, id) // no timer: the store has its own deadline
		return u, apierror.MarkUnavailable(err)
	}
	ctx, cancel := b.bound(ctx)
	defer cancel()
	u, err := b.next.UserByID(ctx, id)
	return u, apierror.MarkUnavailableCtx(ctx, err)
}

func (b boundedUsers) UserByUsername(ctx context.Context, username string) (*User, error) {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	u, err := b.next.UserByUsername(ctx, username)
	return u, apierror.MarkUnavailableCtx(ctx, err)
}

func (b boundedUsers) CreateUser(ctx context.Context, u *User) error {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	return apierror.MarkUnavailableCtx(ctx, b.next.CreateUser(ctx, u))
}

func (b boundedUsers) SetPassword(ctx context.Context, id string, encoded string) error {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	return apierror.MarkUnavailableCtx(ctx, b.next.SetPassword(ctx, id, encoded))
}

func (b boundedUsers) UpdateLastLogin(ctx context.Context, id string, t time.Time) error {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	return apierror.MarkUnavailableCtx(ctx, b.next.UpdateLastLogin(ctx, id, t))
}

// logLoadFailure logs a failed load of the current user (what = "user") or
// of its permissions (what = "permissions"): an unavailable store at most
// once per interval (with the count held back), anything else every time.
func (a *Auth) logLoadFailure(ctx context.Context, what string, err error) {
	if errors.Is(err, apierror.ErrUnavailable) {
		msg := "auth: user or session store unavailable"
		if what == "permissions" {
			msg = "auth: permission store unavailable"
		}
		a.failures.Log(ctx, a.log, slog.LevelError, msg, "error", err)
		return
	}
	if what == "permissions" {
		a.log.ErrorContext(ctx, "auth: loading the current user's permissions failed", "err", err)
		return
	}
	a.log.ErrorContext(ctx, "auth: loading the current user failed", "err", err)
}
