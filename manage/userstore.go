package manage

import (
	"context"
	"errors"
	"fmt"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/hashers"
	"github.com/dmr-go/dmr/auth/permdb"
	"github.com/dmr-go/dmr/auth/userdb"
)

// BackendFunc builds an application's Go authentication backend once the
// environment is open (its user store and hashers are ready). It is
// registered under a Django dotted path in Options.Backends.
type BackendFunc func(env *Env) (auth.Backend, error)

// openUsers opens the user table of the configured model and Django's auth
// on it. The stock auth.User table may be missing (migrate creates it); a
// custom model's table must exist, with a schema that fits.
func (e *Env) openUsers(ctx context.Context, opts Options) error {
	m := e.Config.UserModel()
	var (
		store *userdb.Store
		err   error
	)
	switch {
	case e.offline:
		// Nothing is contacted: the queries are never run.
		store, err = userdb.New(e.SQL)
		if err == nil {
			e.UserModel, err = userdb.Describe(m)
		}
	default:
		store, err = userdb.Open(ctx, e.SQL, m)
		if errors.Is(err, userdb.ErrNoTable) && m.IsStock() {
			store, err = userdb.New(e.SQL) // migrate creates it
		} else if errors.Is(err, userdb.ErrNoTable) {
			return fmt.Errorf("user table %s of %s=%s does not exist: run Django's migrate first (dmr creates no table of a custom user model)",
				tableOf(m), EnvAuthUserModel, e.Config.AuthUserModel)
		}
		if err == nil {
			e.UserModel = store.Info()
		}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", EnvAuthUserModel, err)
	}
	e.UserTable = store
	e.closers = append(e.closers, store.Close) // its prepared statements
	e.Users = store
	// The store reads on e.SQL's Read pool (SQLite: apart from its one
	// writer, so loading the current user never queues behind a write).
	// Groups and permissions (ModelBackend's rules) from Django's tables,
	// for the model's m2m tables; a model without PermissionsMixin has none.
	var perms auth.PermissionSource
	if e.UserModel.HasPermissions {
		loader, err := permdb.New(e.SQL.Read, permdb.Options{
			Dialect:         e.SQL.Dialect,
			UserGroupsTable: e.UserModel.GroupsTable, UserGroupsColumn: e.UserModel.GroupsColumn,
			UserPermissionsTable: e.UserModel.UserPermissionsTable, UserPermissionsColumn: e.UserModel.UserPermissionsColumn,
			UserID: store.PKArg,
		})
		if err != nil {
			return fmt.Errorf("%s: %w", EnvAuthUserModel, err)
		}
		e.closers = append(e.closers, loader.Close)
		e.Permissions, perms = loader, loader
	}
	var cache auth.UserCacheOptions
	if e.authFeed != nil {
		// The feed evicts users and permissions (authcache_feed.go).
		cache = auth.UserCacheOptions{TTL: FeedSafetyTTL, Live: e.authFeed.live.Load}
	} else {
		cache.TTL = e.authCacheTTL(opts)
	}
	if cache.TTL > 0 {
		uc, err := auth.NewUserCache(store, cache)
		if err != nil {
			return err
		}
		e.Users = uc
		if perms != nil {
			perms = uc.CachePermissions(perms) // the same bound as user rows
		}
		if e.authFeed != nil {
			e.authFeed.users, e.authFeed.userKey = uc, func(k string) string {
				if s, err := store.PKString(k); err == nil {
					return s
				}
				return k
			}
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
	if hs == nil {
		hs = &hashers.Hashers{}
	}
	e.Hashers = hs
	var backends []auth.Backend
	for _, path := range e.Config.AuthenticationBackends {
		if f, ok := opts.Backends[path]; ok {
			b, err := f(e)
			if err != nil {
				return fmt.Errorf("%s: %s: %w", EnvAuthenticationBackends, path, err)
			}
			if b.Path() != path {
				return fmt.Errorf("%s: the backend registered as %s names itself %s", EnvAuthenticationBackends, path, b.Path())
			}
			backends = append(backends, b)
			continue
		}
		// Django's ModelBackend and its subclasses (allauth's
		// AuthenticationBackend, AllowAllUsersModelBackend's stricter
		// siblings…): the same lookups here, under the configured name.
		backends = append(backends, &auth.ModelBackend{Name: path})
	}
	e.Auth, err = auth.New(auth.Options{
		SecretKey:    e.SecretKey,
		FallbackKeys: e.FallbackKeys,
		Users:        e.Users,
		Hashers:      hs,
		Backends:     backends,
		Permissions:  perms,
		Logger:       e.Logger,
		StoreTimeout: e.Config.StoreTimeout(),
	})
	return err
}

func tableOf(m userdb.Model) string {
	info, err := userdb.Describe(m)
	if err != nil {
		return "?"
	}
	return info.Table
}

// customUserModel reports whether the configured model is not Django's
// stock auth.User: Django's migrations then own the user tables and
// django_session.
func (e *Env) customUserModel() bool { return !e.Config.UserModel().IsStock() }

func (e *Env) createUserTables(ctx context.Context) error {
	return e.UserTable.CreateTables(ctx)
}
