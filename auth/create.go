package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/dmr-go/dmr/auth/hashers"
)

// NewUser describes a user to create.
type NewUser struct {
	Username string
	// Password is hashed with the preferred hasher (an empty password is
	// hashed too, as Django does), unless NoPassword is set.
	Password string
	// NoPassword gives the user an unusable password (Django's
	// create_user(password=None)): only other backends can log them in.
	NoPassword           bool
	Email                string
	FirstName, LastName  string
	IsStaff, IsSuperuser bool
	// Inactive creates the user with is_active false.
	Inactive bool
}

// CreateUser creates a user as Django's UserManager.create_user does: the
// username is NFKC-normalised, the email's domain lower-cased, the password
// hashed, is_active set (unless Inactive) and date_joined set to now.
func (a *Auth) CreateUser(ctx context.Context, nu NewUser) (*User, error) {
	if a.users == nil {
		return nil, errors.New("auth: no user store")
	}
	if nu.Username == "" {
		return nil, errors.New("auth: the given username must be set")
	}
	u := &User{
		Username:    norm.NFKC.String(nu.Username),
		Email:       NormalizeEmail(nu.Email),
		FirstName:   nu.FirstName,
		LastName:    nu.LastName,
		IsStaff:     nu.IsStaff,
		IsSuperuser: nu.IsSuperuser,
		IsActive:    !nu.Inactive,
		DateJoined:  a.now(),
	}
	if nu.NoPassword {
		u.Password = hashers.MakeUnusable()
	} else {
		enc, err := a.hashers.Make(ctx, nu.Password)
		if err != nil {
			return nil, err
		}
		u.Password = enc
	}
	if err := a.storeUsers.CreateUser(ctx, u); err != nil {
		return nil, fmt.Errorf("auth: create user: %w", err)
	}
	return u, nil
}

// NormalizeEmail lower-cases the domain part of an email address (Django's
// BaseUserManager.normalize_email); other input is returned unchanged.
func NormalizeEmail(email string) string {
	s := strings.TrimSpace(email)
	i := strings.LastIndexByte(s, '@')
	if i < 0 {
		return email
	}
	return s[:i+1] + strings.ToLower(s[i+1:])
}
