package auth

import (
	"context"
	"errors"
	"maps"
	"time"
)

// User is one row of Django's user table (auth_user, or the table of the
// project's AUTH_USER_MODEL). The zero User (ID "") is the anonymous user.
type User struct {
	// ID is Django's str(user.pk), as sessions store it in _auth_user_id:
	// "42" for an integer key, the hyphenated lower-case form for a UUID
	// key, the string itself for a string key. "" is the anonymous user.
	ID          string
	Password    string // the encoded hash (see package hashers)
	LastLogin   *time.Time
	IsSuperuser bool
	Username    string
	FirstName   string
	LastName    string
	Email       string
	IsStaff     bool
	IsActive    bool
	DateJoined  time.Time

	// Backend is the path of the backend that authenticated the user
	// (Django's user.backend), set by Authenticate and read by Login. It is
	// not stored in auth_user.
	Backend string

	// Extra holds the user table's columns that are not fields of Django's
	// AbstractUser (a custom model's display_name, say), by column name, as
	// the user store read them: string for text, int64, float64, bool,
	// time.Time (UTC), or nil for NULL. Nil for the stock model.
	Extra map[string]any
}

// AnonymousUser returns a new anonymous user: no ID, empty username, every
// flag false (Django's AnonymousUser). Each call returns a fresh value, so a
// handler that changes it affects nobody else.
func AnonymousUser() *User { return &User{} }

// IsAuthenticated reports whether u is a real user (Django's
// is_authenticated). It is false for nil and for the anonymous user.
func (u *User) IsAuthenticated() bool { return u != nil && u.ID != "" }

// IsAnonymous is the negation of IsAuthenticated.
func (u *User) IsAnonymous() bool { return !u.IsAuthenticated() }

// String returns the username, or "AnonymousUser".
func (u *User) String() string {
	if u.IsAnonymous() {
		return "AnonymousUser"
	}
	return u.Username
}

// ErrUserNotFound is returned by UserStore lookups that find no user.
var ErrUserNotFound = errors.New("auth: user not found")

// ErrUsernameTaken is returned by UserStore.CreateUser for a username that
// exists.
var ErrUsernameTaken = errors.New("auth: username already taken")

// UserStore keeps users. Implementations must be safe for concurrent use.
// The auth/userdb package implements it on Django's auth_user table;
// MemoryUsers keeps users in memory.
type UserStore interface {
	// UserByID returns the user with the primary key id, or ErrUserNotFound.
	UserByID(ctx context.Context, id string) (*User, error)
	// UserByUsername returns the user whose username equals username exactly
	// (case-sensitive, no normalisation), or ErrUserNotFound.
	UserByUsername(ctx context.Context, username string) (*User, error)
	// CreateUser stores u (every column but ID) and sets u.ID. It returns
	// ErrUsernameTaken when the username exists.
	CreateUser(ctx context.Context, u *User) error
	// SetPassword replaces the stored password hash of user id.
	SetPassword(ctx context.Context, id string, encoded string) error
	// UpdateLastLogin sets last_login of user id.
	UpdateLastLogin(ctx context.Context, id string, t time.Time) error
}

// Clone returns a copy of u that shares no memory with it (LastLogin and
// Extra are copied too): what a cache hands out, so that a caller changing
// its user changes nobody else's.
func (u *User) Clone() *User {
	c := *u
	if c.LastLogin != nil {
		t := *c.LastLogin
		c.LastLogin = &t
	}
	if c.Extra != nil {
		c.Extra = maps.Clone(c.Extra)
	}
	return &c
}
