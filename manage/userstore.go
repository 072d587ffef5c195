package manage

import (
	"context"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/hashers"
	"github.com/dmr-go/dmr/auth/userdb"
)

// openUsers builds the auth_user store and Django's auth on it.
func (e *Env) openUsers(opts Options) error {
	store, err := userdb.New(e.SQL.Write, e.Dialect)
	if err != nil {
		return err
	}
	e.userTable = store
	e.closers = append(e.closers, store.Close) // its prepared statements
	e.Users = store
	if e.SQL.Read != e.SQL.Write { // SQLite: look users up on the read pool
		reader, err := userdb.New(e.SQL.Read, e.Dialect)
		if err != nil {
			return err
		}
		e.closers = append(e.closers, reader.Close)
		e.Users = splitUsers{UserStore: store, read: reader}
	}
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
	})
	return err
}

func (e *Env) createUserTables(ctx context.Context) error {
	return e.userTable.CreateTables(ctx)
}

// splitUsers sends user lookups to a store on the read pool and writes to
// the one on the write pool, so that on SQLite loading the current user
// never queues behind a session write.
type splitUsers struct {
	auth.UserStore // writes
	read           auth.UserStore
}

func (s splitUsers) UserByID(ctx context.Context, id int64) (*auth.User, error) {
	return s.read.UserByID(ctx, id)
}

func (s splitUsers) UserByUsername(ctx context.Context, username string) (*auth.User, error) {
	return s.read.UserByUsername(ctx, username)
}
