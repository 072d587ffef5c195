package manage

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/security/apikey"
)

// API keys (package security/apikey): the dmr_apikey table on the
// application's database, created by migrate, and the createapikey,
// revokeapikey and listapikeys commands.

// apiKeyState memoises Env.APIKeys.
type apiKeyState struct {
	once  sync.Once
	store *apikey.Store
	err   error
}

// APIKeys returns the dmr_apikey store on the application's database (the
// same one on every call; it is closed with the Env). Build the API key
// auth on it:
//
//	keys, err := env.APIKeys()
//	ak, err := apikey.New(apikey.Options{Store: keys, Auth: env.Auth})
//
// Keys revoked through another process (the revokeapikey command) stop
// working here within apikey.DefaultCacheTTL.
func (e *Env) APIKeys() (*apikey.Store, error) {
	e.apiKeys.once.Do(func() {
		e.apiKeys.store, e.apiKeys.err = apikey.NewStore(e.SQL, apikey.StoreOptions{})
		if e.apiKeys.err == nil {
			e.closers = append(e.closers, e.apiKeys.store.Close)
		}
	})
	return e.apiKeys.store, e.apiKeys.err
}

// migrateAPIKeys creates dmr_apikey where it is missing.
func (e *Env) migrateAPIKeys(ctx context.Context) error {
	s, err := e.APIKeys()
	if err != nil {
		return err
	}
	return s.CreateTables(ctx)
}

// apiKeyCommand returns the run function of an API key command, its flags
// registered on fs; ok is false for other commands.
func (c *cli) apiKeyCommand(cmd string, fs *flag.FlagSet) (run func(context.Context) error, ok bool) {
	switch cmd {
	case "createapikey":
		username := fs.String("username", "", "")
		name := fs.String("name", "", "")
		expires := fs.Duration("expires", 0, "")
		return func(ctx context.Context) error { return c.createAPIKey(ctx, *username, *name, *expires) }, true
	case "revokeapikey":
		return func(ctx context.Context) error { return c.revokeAPIKey(ctx, fs.Args()) }, true
	case "listapikeys":
		return c.listAPIKeys, true
	}
	return nil, false
}

func (c *cli) createAPIKey(ctx context.Context, username, name string, expires time.Duration) error {
	if username == "" {
		return errors.New("createapikey: --username is required")
	}
	if expires < 0 {
		return fmt.Errorf("createapikey: --expires %v: want a positive duration (or none: never expires)", expires)
	}
	env, u, err := c.openUser(ctx, "createapikey", username,
		fmt.Errorf("createapikey: user %q does not exist", username))
	if err != nil {
		return err
	}
	defer env.Close()
	if !u.IsActive {
		return fmt.Errorf("createapikey: user %q is inactive", username)
	}
	store, err := env.APIKeys()
	if err != nil {
		return fmt.Errorf("createapikey: %w", err)
	}
	var exp *time.Time
	until := "never expires"
	if expires > 0 {
		t := time.Now().Add(expires).UTC()
		exp = &t
		until = "expires " + t.Format(time.RFC3339)
	}
	key, k, err := store.Create(ctx, u.ID, name, exp)
	if err != nil {
		return fmt.Errorf("createapikey: %w", err)
	}
	fmt.Fprintf(c.inv.Stdout, "API key %s created for %q (%s). It is shown only this once:\n%s\n", k.Prefix, u.Username, until, key)
	return nil
}

func (c *cli) revokeAPIKey(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return errors.New("revokeapikey: give the key's prefix (as listapikeys shows it), and nothing else")
	}
	prefix := strings.TrimPrefix(args[0], apikey.KeyPrefix)
	if !apikey.ValidPrefix(prefix) {
		p, err := apikey.ParseKey(args[0])
		if err != nil {
			return fmt.Errorf("revokeapikey: %q is not a key prefix (%d lower-case hex digits) nor a key", args[0], apikey.PrefixLength)
		}
		prefix = p
	}
	env, store, err := c.openAPIKeys(ctx, "revokeapikey")
	if err != nil {
		return err
	}
	defer env.Close()
	if err := store.Revoke(ctx, prefix); errors.Is(err, apikey.ErrNotFound) {
		return fmt.Errorf("revokeapikey: no API key has the prefix %s", prefix)
	} else if err != nil {
		return fmt.Errorf("revokeapikey: %w", err)
	}
	fmt.Fprintf(c.inv.Stdout, "API key %s revoked (running servers stop accepting it within %v).\n", prefix, apikey.DefaultCacheTTL)
	return nil
}

func (c *cli) listAPIKeys(ctx context.Context) error {
	env, store, err := c.openAPIKeys(ctx, "listapikeys")
	if err != nil {
		return err
	}
	defer env.Close()
	keys, err := store.List(ctx)
	if err != nil {
		return fmt.Errorf("listapikeys: %w", err)
	}
	tw := tabwriter.NewWriter(c.inv.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PREFIX\tUSER\tNAME\tCREATED\tEXPIRES\tSTATUS")
	names := map[string]string{}
	now := time.Now()
	for _, k := range keys {
		who, ok := names[k.UserID]
		if !ok {
			who = "(id " + k.UserID + ", deleted)"
			if u, err := env.Users.UserByID(ctx, k.UserID); err == nil {
				who = u.Username
			} else if !errors.Is(err, auth.ErrUserNotFound) {
				return fmt.Errorf("listapikeys: %w", err)
			}
			names[k.UserID] = who
		}
		exp, status := "never", "active"
		if k.Expires != nil {
			exp = k.Expires.Format(time.RFC3339)
			if !now.Before(*k.Expires) {
				status = "expired"
			}
		}
		if k.Revoked != nil {
			status = "revoked " + k.Revoked.Format(time.RFC3339)
		}
		name := k.Name
		if name == "" {
			name = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.Prefix, who, name, k.Created.Format(time.RFC3339), exp, status)
	}
	return tw.Flush()
}

// openAPIKeys opens the environment and its API key store for the command
// cmd; the caller closes the Env.
func (c *cli) openAPIKeys(ctx context.Context, cmd string) (*Env, *apikey.Store, error) {
	env, err := c.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	store, err := env.APIKeys()
	if err != nil {
		env.Close()
		return nil, nil, fmt.Errorf("%s: %w", cmd, err)
	}
	return env, store, nil
}
