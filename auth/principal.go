package auth

import (
	"context"
	"fmt"

	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/internal/reqstate"
)

// This file serves auths that identify a user on every request without a
// session (HTTP Basic, API keys, tokens): they look the user up, then make it
// the request's current user.

// UserByID returns the user with primary key id from the user store (under
// Options.StoreTimeout), whether active or not, or an error wrapping
// ErrUserNotFound. Infrastructure failures are marked
// apierror.ErrUnavailable (503 with Retry-After).
func (a *Auth) UserByID(ctx context.Context, id string) (*User, error) {
	if a.storeUsers == nil {
		return nil, fmt.Errorf("auth: no user store")
	}
	u, err := a.storeUsers.UserByID(ctx, id)
	if err != nil {
		return nil, apierror.MarkUnavailable(err)
	}
	return u, nil
}

// BackendUser returns the user with primary key id as the backend named
// path (its Backend.GetUser: ModelBackend gives nil for a missing or
// inactive user), with Backend set, or nil, nil when the backend gives
// none or path names no configured backend (Django's get_user). Errors are
// marked as UserByID's are.
func (a *Auth) BackendUser(ctx context.Context, path, id string) (*User, error) {
	b, ok := a.byPath[path]
	if !ok {
		return nil, nil
	}
	u, err := b.GetUser(ctx, id)
	if err != nil {
		return nil, apierror.MarkUnavailable(err)
	}
	if u != nil {
		u.Backend = path
	}
	return u, nil
}

// WithAuthenticatedUser returns a context derived from ctx whose current
// user (CurrentUser, UserFromContext, HasPerm…) is u, without a session: for
// auths that authenticate each request by itself (DRF's
// request.user for BasicAuthentication or TokenAuthentication). Nothing
// is written to any session and Login is not called. Permissions are loaded
// through a's Options.Permissions, at most once per request, as for a
// session user.
func (a *Auth) WithAuthenticatedUser(ctx context.Context, u *User) context.Context {
	return reqstate.With(ctx, reqstate.Auth, &userState{a: a, done: true, user: u})
}
