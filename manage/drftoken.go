package manage

import (
	"context"
	"errors"
	"fmt"

	"github.com/dmr-go/dmr/auth/drftoken"
	"github.com/dmr-go/dmr/security/tokenauth"
)

// EnvDRFTokenKeyword is read by ConfigFromEnv (Config.DRFTokenKeyword).
const EnvDRFTokenKeyword = "DMR_DRF_TOKEN_KEYWORD"

func validateDRFTokenKeyword(k string) error {
	if k == "" {
		return nil
	}
	if !tokenauth.ValidKeyword(k) {
		return fmt.Errorf("%s=%q: want one word of letters, digits and !#$%%&'*+-.^_`|~, such as Token or Bearer", EnvDRFTokenKeyword, k)
	}
	return nil
}

// openDRFTokens builds the authtoken_token store on the user table (no
// I/O: migrate creates the table).
func (e *Env) openDRFTokens(opts Options) error {
	s, err := drftoken.New(e.SQL, e.UserTable, drftoken.Options{})
	if err != nil {
		return err
	}
	e.DRFTokens = s
	e.drfTokenCacheTTL = e.authCacheTTL(opts)
	return nil
}

// TokenAuth returns DRF token authentication (package security/tokenauth)
// on this environment: o's Auth and Tokens are Env.Auth and Env.DRFTokens,
// an empty Keyword is DMR_DRF_TOKEN_KEYWORD's (default "Token"), and a zero
// CacheTTL follows DMR_AUTH_CACHE_TTL like the session and user caches: a
// positive value keeps checked tokens that long (the bound on how late a
// token deleted by Django stops working here), zero (the default) turns the
// token cache off. Other fields (Checks, SchemeName…) pass through:
//
//	ta, err := env.TokenAuth(tokenauth.Options{})
//	api.Controller(dmr.ControllerConfig{…, Auth: []security.Auth{sessionAuth, ta}})
func (e *Env) TokenAuth(o tokenauth.Options) (*tokenauth.Auth, error) {
	if e.Auth == nil || e.DRFTokens == nil {
		return nil, errors.New("manage: TokenAuth: the environment is not open")
	}
	o.Auth, o.Tokens = e.Auth, e.DRFTokens
	if o.Keyword == "" {
		o.Keyword = e.Config.DRFTokenKeyword
	}
	if o.CacheTTL == 0 {
		o.CacheTTL = e.drfTokenCacheTTL
		if o.CacheTTL <= 0 {
			o.CacheTTL = -1
		}
	}
	return tokenauth.New(o)
}

type createTokenFlags struct {
	username string
	reset    bool
}

// createToken is DRF's drf_create_token: the user's token, created when
// missing (get_or_create), or replaced with --reset; the key is printed.
func (c *cli) createToken(ctx context.Context, o createTokenFlags) error {
	if o.username == "" {
		return errors.New("createtoken: --username is required")
	}
	env, u, err := c.openUser(ctx, "createtoken", o.username,
		fmt.Errorf("createtoken: Cannot create the Token: user %s does not exist", o.username))
	if err != nil {
		return err
	}
	defer env.Close()
	t, _, err := env.DRFTokens.Create(ctx, u.ID, o.reset)
	if err != nil {
		return fmt.Errorf("createtoken: %w", err)
	}
	fmt.Fprintln(c.inv.Stdout, t.Key)
	return nil
}
