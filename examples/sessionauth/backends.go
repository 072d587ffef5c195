package main

import (
	"context"
	"errors"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/userdb"
	"github.com/dmr-go/dmr/manage"
)

// EmailBackendPath is the Django path of the example's email backend: list
// it in DMR_AUTHENTICATION_BACKENDS (and the same path in the Django
// project's AUTHENTICATION_BACKENDS, where a Python class of that name looks
// users up by email) to log in with an email address in the "username" of
// the login body.
const EmailBackendPath = "accounts.backends.EmailBackend"

// emailBackend is Django's ModelBackend with the user looked up by email,
// without regard to case (email__iexact), as the usual email backend does.
func emailBackend(env *manage.Env) (auth.Backend, error) {
	return &auth.ModelBackend{Name: EmailBackendPath, Users: byEmail{env.Users, env.UserTable}, Hashers: env.Hashers}, nil
}

// byEmail is the user store with UserByUsername looking up the email
// column; everything else (UserByID through the user cache, password
// upgrades) is the store's own.
type byEmail struct {
	auth.UserStore
	table *userdb.Store
}

func (b byEmail) UserByUsername(ctx context.Context, email string) (*auth.User, error) {
	u, err := b.table.UserByEmail(ctx, email)
	if errors.Is(err, userdb.ErrMultipleUsers) {
		return nil, auth.ErrUserNotFound // ambiguous: nobody logs in with it
	}
	return u, err
}
