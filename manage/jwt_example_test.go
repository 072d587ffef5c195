package manage_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/manage"
	"github.com/dmr-go/dmr/security"
	"github.com/dmr-go/dmr/security/jwtauth"
)

// The JWT auth from the DMR_JWT_* variables: Env.JWTAuth builds it on the
// environment's users (and its token_blacklist tables, which migrate
// creates), Register adds SimpleJWT's endpoints with the login throttle.
func ExampleEnv_JWTAuth() {
	dir, _ := os.MkdirTemp("", "manage-example-")
	defer os.RemoveAll(dir)
	app := manage.App{
		Name: "notes",
		API: func(env *manage.Env) (*dmr.API, error) {
			j, err := env.JWTAuth(jwtauth.Options{})
			if err != nil {
				return nil, err
			}
			api := dmr.New(dmr.Config{Title: "Notes", Prefix: "/api"})
			j.Register(api, jwtauth.EndpointOptions{Obtain: jwtauth.ObtainOptions[jwtauth.TokenObtainPayload]{Throttle: env.LoginThrottle}})
			c := api.Controller(dmr.ControllerConfig{Name: "Notes", Path: "/notes/", Auth: []security.Auth{j}})
			dmr.Get(c, dmr.Operation{}, func(ctx context.Context, _ *struct{}) (*string, error) {
				s := "notes"
				return &s, nil
			})
			return api, nil
		},
	}
	env := map[string]string{
		"DMR_DATABASE_URL": "sqlite:" + filepath.Join(dir, "db.sqlite3"), "DMR_SECRET_KEY": "k",
		"DMR_JWT_ROTATE_REFRESH": "1", "DMR_JWT_BLACKLIST_AFTER_ROTATION": "1", "DMR_JWT_ACCESS_LIFETIME": "10m",
	}
	var out, errs strings.Builder
	code := app.Run(context.Background(), manage.Invocation{
		Args:      []string{"openapi"},
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Stdout:    &out, Stderr: &errs,
	})
	fmt.Println(code, strings.Contains(out.String(), `"bearerFormat":"JWT"`), strings.Contains(out.String(), `"/api/token/refresh/"`))
	// Output:
	// 0 true true
}
