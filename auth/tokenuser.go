package auth

import (
	"context"
	"errors"
)

// ErrNoUserStore: a lookup was asked of an Auth configured without
// Options.Users.
var ErrNoUserStore = errors.New("auth: no user store (Options.Users)")

// UserByID loads the user with primary key id (Django's str(pk)) from
// Options.Users, with Options.StoreTimeout, for auths that carry a user id
// in a credential (a token) rather than in a session. A missing user is
// ErrUserNotFound; infrastructure failures are marked
// apierror.ErrUnavailable (503 with Retry-After), as for the session's user.
// No backend is asked and is_active is not checked: that is the caller's
// rule.
func (a *Auth) UserByID(ctx context.Context, id string) (*User, error) {
	if a.storeUsers == nil {
		return nil, ErrNoUserStore
	}
	return a.storeUsers.UserByID(ctx, id)
}

// UserByUsername is UserByID by USERNAME_FIELD.
func (a *Auth) UserByUsername(ctx context.Context, username string) (*User, error) {
	if a.storeUsers == nil {
		return nil, ErrNoUserStore
	}
	return a.storeUsers.UserByUsername(ctx, username)
}

// WithAuthenticatedUser returns ctx whose current user (CurrentUser,
// UserFromContext, HasPerm…) is u, already loaded: what an auth that
// authenticates a request by a credential of its own (a bearer token, an
// API key) sets, like DRF setting request.user. It neither reads nor
// writes a session; a session middleware's current user in ctx is shadowed
// for the code that receives the returned context.
func (a *Auth) WithAuthenticatedUser(ctx context.Context, u *User) context.Context {
	return context.WithValue(ctx, ctxKey{}, &userState{a: a, done: true, user: u})
}
