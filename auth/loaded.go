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
	// User is the row as the store's UserByID would return it.
	User *User
}

type loadedUserKey struct{}

// LoadedUserFor returns a copy of the user row the session's store loaded
// with the session, when ctx carries one (GetUser's lookup of the session's
// user) that store loaded for the user id id. A user store that a session
// store loads rows for calls it first in UserByID, passing itself.
func LoadedUserFor(ctx context.Context, store any, id string) (*User, bool) {
	l, ok := ctx.Value(loadedUserKey{}).(*LoadedUser)
	if !ok || l.User == nil || l.ID != id || !sameStore(l.Store, store) {
		return nil, false
	}
	return l.User.Clone(), true
}

// withLoadedUser returns ctx carrying the row the session's store attached,
// if it is a *LoadedUser for id.
func withLoadedUser(ctx context.Context, attachment any, id string) context.Context {
	l, ok := attachment.(*LoadedUser)
	if !ok || l.User == nil || l.ID != id {
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
