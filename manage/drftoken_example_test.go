package manage_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/manage"
	"github.com/dmr-go/dmr/security"
	"github.com/dmr-go/dmr/security/tokenauth"
)

// An application's endpoint behind DRF tokens: Env.TokenAuth is the auth,
// the createtoken command (or Env.DRFTokens) makes the tokens.
func ExampleEnv_TokenAuth() {
	dir, _ := os.MkdirTemp("", "manage-example-")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	cfg := manage.Config{DatabaseURL: "sqlite:" + filepath.Join(dir, "db.sqlite3"), SecretKey: "k"}
	app := manage.App{
		API: func(env *manage.Env) (*dmr.API, error) {
			ta, err := env.TokenAuth(tokenauth.Options{})
			if err != nil {
				return nil, err
			}
			api := dmr.New(dmr.Config{Title: "Me", Prefix: "/api"})
			c := api.Controller(dmr.ControllerConfig{Name: "Me", Path: "/me/", Auth: []security.Auth{ta}})
			dmr.Get(c, dmr.Operation{}, func(ctx context.Context, _ *struct{}) (*string, error) {
				s := auth.UserFromContext(ctx).Username
				return &s, nil
			})
			return api, nil
		},
	}
	env, err := manage.Open(ctx, cfg, manage.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer env.Close()
	if err := app.MigrateAll(ctx, env); err != nil { // creates authtoken_token too
		fmt.Println(err)
		return
	}
	u, _ := env.Auth.CreateUser(ctx, auth.NewUser{Username: "ann", NoPassword: true})
	tok, _, _ := env.DRFTokens.Create(ctx, u.ID, false) // what `createtoken --username ann` prints

	h, _, err := app.Handler(env)
	if err != nil {
		fmt.Println(err)
		return
	}
	r := httptest.NewRequest("GET", "/api/me/", nil)
	r.Header.Set("Authorization", "Token "+tok.Key)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code, strings.TrimSpace(w.Body.String()))
	// Output:
	// 200 "ann"
}
