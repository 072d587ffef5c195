package auth

import (
	"context"
	"errors"
	"net/http"
	"sync"

	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/internal/reqstate"
	"github.com/dmr-go/dmr/sessions"
)

// ErrNoMiddleware: CurrentUser was called on a context the auth middleware
// (or WithUser) did not prepare.
var ErrNoMiddleware = errors.New("auth: no auth state in the request context (install Auth.Middleware)")

// userState is one request's current user, loaded on first use.
type userState struct {
	a    *Auth
	mu   sync.Mutex
	done bool
	user *User
	err  error

	// The current user's permissions, loaded at most once (reset when the
	// user changes through Login or Logout).
	permsDone bool
	perms     PermissionSet
	permsErr  error
}

func stateFrom(ctx context.Context) *userState {
	st, _ := reqstate.Get(ctx, reqstate.Auth).(*userState)
	return st
}

func (st *userState) get(ctx context.Context) (*User, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.done {
		st.user, st.err = st.a.GetUser(ctx)
		st.done = true
		if st.err != nil {
			st.a.logLoadFailure(ctx, "user", st.err)
		}
	}
	return st.user, st.err
}

// peek returns the current user if it was loaded or set.
func (st *userState) peek() (*User, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.user, st.done && st.err == nil
}

func (st *userState) set(u *User) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.user, st.err, st.done = u, nil, true
	st.permsDone, st.perms, st.permsErr = false, PermissionSet{}, nil
}

// permissions returns u's permissions (u is the current user), loading
// them on the first call of the request.
func (st *userState) permissions(ctx context.Context, u *User) (PermissionSet, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.permsDone || st.user != u {
		st.perms, st.permsErr = st.a.UserPermissions(ctx, u)
		st.permsDone = st.user == u
		if st.permsErr != nil {
			st.a.logLoadFailure(ctx, "permissions", st.permsErr)
		}
	}
	return st.perms, st.permsErr
}

// WithUser returns ctx prepared for the current user, as Middleware does:
// the user is loaded from ctx's session on first use. Use it outside
// net/http; ctx must carry the session (sessions.NewContext).
func (a *Auth) WithUser(ctx context.Context) context.Context {
	return reqstate.With(ctx, reqstate.Auth, &userState{a: a})
}

// Middleware is Django's AuthenticationMiddleware: the request's context
// carries the current user, loaded from the session (GetUser) the first time
// a handler asks for it with UserFromContext or CurrentUser. It must run
// inside the session middleware; a request without a session is answered
// with 500, as Django refuses this configuration.
func (a *Auth) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sessions.FromContext(r.Context()) == nil {
			a.log.ErrorContext(r.Context(), ErrNoSession.Error())
			apierror.Write(w, apierror.Internal())
			return
		}
		next.ServeHTTP(w, reqstate.Set(r, reqstate.Auth, &userState{a: a}))
	})
}

// UserFromContext returns the request's current user, never nil: the
// anonymous user when nobody is logged in, when the auth middleware is not
// installed, or when loading the user failed (CurrentUser returns that
// error; it is also logged).
func UserFromContext(ctx context.Context) *User {
	u, err := CurrentUser(ctx)
	if err != nil || u == nil {
		return AnonymousUser()
	}
	return u
}

// CurrentUser returns the request's current user (the anonymous user when
// nobody is logged in), or the error that kept it from loading:
// ErrNoMiddleware, or a session or user store failure.
func CurrentUser(ctx context.Context) (*User, error) {
	st := stateFrom(ctx)
	if st == nil {
		return nil, ErrNoMiddleware
	}
	return st.get(ctx)
}
