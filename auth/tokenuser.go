package auth

import (
	"context"
	"fmt"

	"github.com/dmr-go/dmr/apierror"
)

// UserByUsername is UserByID by USERNAME_FIELD (UserStore.UserByUsername):
// for token auths whose user-id claim holds the username (SimpleJWT's
// USER_ID_FIELD = USERNAME_FIELD). Errors are marked as UserByID's are.
func (a *Auth) UserByUsername(ctx context.Context, username string) (*User, error) {
	if a.storeUsers == nil {
		return nil, fmt.Errorf("auth: no user store")
	}
	u, err := a.storeUsers.UserByUsername(ctx, username)
	if err != nil {
		return nil, apierror.MarkUnavailable(err)
	}
	return u, nil
}
