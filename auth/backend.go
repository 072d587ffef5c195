package auth

import (
	"context"
	"errors"
	"net/http"

	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/auth/hashers"
)

// DefaultBackendPath is Django's ModelBackend path. Sessions store it in
// _auth_user_backend, and Django treats a path it does not have in
// AUTHENTICATION_BACKENDS as anonymous, so a Go service sharing sessions
// with Django keeps this name.
const DefaultBackendPath = "django.contrib.auth.backends.ModelBackend"

// Credentials are what a login form submitted, by name (Django's
// **credentials): ModelBackend reads "username" and "password". A missing
// key is Django's None; an empty string is a value.
type Credentials map[string]string

// Backend is one authentication backend (an entry of Django's
// AUTHENTICATION_BACKENDS).
type Backend interface {
	// Path names the backend in sessions (_auth_user_backend).
	Path() string
	// Authenticate returns the user the credentials identify, or nil, nil
	// when they are not for this backend or do not match. An error wrapping
	// ErrPermissionDenied stops the chain: no later backend is asked.
	Authenticate(ctx context.Context, creds Credentials) (*User, error)
	// GetUser returns the user with primary key id, or nil, nil when there
	// is none or it may not log in (then the session is anonymous).
	GetUser(ctx context.Context, id string) (*User, error)
}

// ErrPermissionDenied is Django's PermissionDenied raised by a backend.
var ErrPermissionDenied = errors.New("auth: permission denied")

// PermissionDeniedError is a backend's refusal that stops the backend chain.
// It answers 403.
type PermissionDeniedError struct {
	// Msg is shown to the client; empty means "Permission denied".
	Msg string
}

func (e *PermissionDeniedError) Error() string { return "auth: permission denied: " + e.msg() }

func (e *PermissionDeniedError) msg() string {
	if e.Msg == "" {
		return "Permission denied"
	}
	return e.Msg
}

// Is makes errors.Is(err, ErrPermissionDenied) true.
func (e *PermissionDeniedError) Is(target error) bool { return target == ErrPermissionDenied }

// APIError implements apierror.Coder.
func (e *PermissionDeniedError) APIError() *apierror.Error {
	ae := apierror.New(http.StatusForbidden, e.msg(), apierror.TypeSecurity)
	ae.Err = e
	return ae
}

// ModelBackend is Django's ModelBackend: username and password against a
// UserStore.
//
// Timing: a request without both credentials costs nothing; an unknown
// username costs one hash of the given password with the preferred hasher,
// as a real check would; a known one costs the check (and, after a
// successful check of an outdated hash, a rehash that is stored, as
// Django's check_password does).
type ModelBackend struct {
	// Users is required (Options fills it in when nil).
	Users UserStore
	// Hashers checks passwords (Options fills it in when nil).
	Hashers *hashers.Hashers
	// Name is the backend's path; empty means DefaultBackendPath.
	Name string
	// AllowInactive lets inactive users authenticate and stay logged in
	// (Django's AllowAllUsersModelBackend).
	AllowInactive bool
}

// Path returns Name or DefaultBackendPath.
func (b *ModelBackend) Path() string {
	if b.Name == "" {
		return DefaultBackendPath
	}
	return b.Name
}

func (b *ModelBackend) canAuthenticate(u *User) bool { return b.AllowInactive || u.IsActive }

// Authenticate implements Backend.
func (b *ModelBackend) Authenticate(ctx context.Context, creds Credentials) (*User, error) {
	username, ok1 := creds["username"]
	password, ok2 := creds["password"]
	if !ok1 || !ok2 {
		return nil, nil
	}
	u, err := b.Users.UserByUsername(ctx, username)
	if errors.Is(err, ErrUserNotFound) {
		// Run the default hasher once so that timing does not reveal
		// whether the username exists (Django #20760).
		if _, err := b.Hashers.Make(ctx, password); err != nil {
			return nil, err
		}
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ok, mustUpdate, err := b.Hashers.Check(ctx, password, u.Password)
	if err != nil {
		return nil, err
	}
	if ok && mustUpdate {
		enc, err := b.Hashers.Make(ctx, password)
		if err != nil {
			return nil, err
		}
		if err := b.Users.SetPassword(ctx, u.ID, enc); err != nil {
			return nil, err
		}
		u.Password = enc
	}
	if ok && b.canAuthenticate(u) {
		return u, nil
	}
	return nil, nil
}

// GetUser implements Backend: nil for a missing or inactive user.
func (b *ModelBackend) GetUser(ctx context.Context, id string) (*User, error) {
	u, err := b.Users.UserByID(ctx, id)
	if errors.Is(err, ErrUserNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !b.canAuthenticate(u) {
		return nil, nil
	}
	return u, nil
}
