package manage

import (
	"context"
	"errors"

	"github.com/dmr-go/dmr/auth"
)

func (e *Env) openUsers(opts Options) error {
	return errors.New("manage: auth_user store not wired yet")
}

func (e *Env) createUserTables(ctx context.Context) error {
	return errors.New("manage: auth_user store not wired yet")
}

var _ auth.UserStore
