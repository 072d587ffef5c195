package auth

import (
	"context"
	"reflect"
)

// LoadedUser is a user row that a session store loaded in the same query as
// the session, carried up in sessions.Record.Attachment (userdb.SessionJoin
// attaches one). GetUser hands it to the backend's user lookup through the
// context; the user store it came from returns it from UserByID
// (LoadedUserFor) instead of querying. Everything else GetUser does with the
// user (the backend's checks such as is_active, the session auth hash) is
// unchanged.
type LoadedUser struct {
	// Store is the user store that read the row (a pointer, or another
	// comparable value): only that store hands it out, so a backend on
	// another store still queries its own.
	Store any
	// ID is the session's _auth_user_id the row was loaded for, as stored
	// in the session.
	ID string
	// User is the row as the store's UserByID would return it; nil with
	// Missing set.
	User *User
	// Missing reports that the store looked for the user ID in the same
	// query and found no row (the user was deleted while the session
	// lived): UserByID reports ErrUserNotFound without querying again.
	Missing bool
}

type loadedUserKey struct{}

// LoadedUserFor returns a copy of the user row the session's store loaded
// with the session, when ctx carries one (GetUser's lookup of the session's
// user) that store loaded for the user id id. A nil user with ok true means
// the store found no such row (LoadedUser.Missing): the caller reports
// ErrUserNotFound. A user store that a session store loads rows for calls it
// first in UserByID, passing itself.
func LoadedUserFor(ctx context.Context, store any, id string) (u *User, ok bool) {
	l, found := ctx.Value(loadedUserKey{}).(*LoadedUser)
	if !found || !l.usable() || l.ID != id || !sameStore(l.Store, store) {
		return nil, false
	}
	if l.Missing {
		return nil, true
	}
	return l.User.Clone(), true
}

// usable reports whether l says something: a row, or that there is none.
func (l *LoadedUser) usable() bool { return (l.User != nil) != l.Missing }

// withLoadedUser returns ctx carrying the row the session's store attached,
// if it is a *LoadedUser for id.
func withLoadedUser(ctx context.Context, attachment any, id string) context.Context {
	l, ok := attachment.(*LoadedUser)
	if !ok || !l.usable() || l.ID != id {
		return ctx
	}
	return context.WithValue(ctx, loadedUserKey{}, l)
}

// sameStore reports whether a and b are the same store; values of a type
// that cannot be compared never are (== would panic).
func sameStore(a, b any) bool {
	if t := reflect.TypeOf(a); t == nil || !t.Comparable() {
		return false
	}
	return a == b
}
