package manage

import (
	"context"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/hashers"
	"github.com/dmr-go/dmr/auth/userdb"
)

// openUsers builds the auth_user store and Django's auth on it.
func (e *Env) openUsers(opts Options) error {
	store, err := userdb.New(e.DB, e.Dialect)
	if err != nil {
		return err
	}
	e.userTable = store
	e.closers = append(e.closers, store.Close) // its prepared statements
	e.Users = store
	if ttl := e.authCacheTTL(opts); ttl > 0 {
		if e.Users, err = auth.NewUserCache(store, auth.UserCacheOptions{TTL: ttl}); err != nil {
			return err
		}
	}
	hs := opts.Hashers
	if hs == nil && e.Config.DjangoVersion != "" {
		v, err := hashers.ParseVersion(e.Config.DjangoVersion)
		if err != nil {
			return err
		}
		hs = &hashers.Hashers{List: hashers.DjangoDefaults(v)}
	}
	e.Auth, err = auth.New(auth.Options{
		SecretKey:    e.SecretKey,
		FallbackKeys: e.FallbackKeys,
		Users:        e.Users,
		Hashers:      hs,
		Logger:       e.Logger,
		StoreTimeout: e.Config.StoreTimeout(),
	})
	return err
}

func (e *Env) createUserTables(ctx context.Context) error {
	return e.userTable.CreateTables(ctx)
}
