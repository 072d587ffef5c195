package manage_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/manage"
)

func ExampleConfigFromEnv() {
	env := map[string]string{
		"DMR_DATABASE_URL":         "postgres://app@db.internal/app",
		"DMR_SECRET_KEY":           "a-long-random-secret",
		"DMR_SESSION_STORE":        "cached_db",
		"DMR_CSRF_TRUSTED_ORIGINS": "https://*.example.com",
	}
	cfg, err := manage.ConfigFromEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	fmt.Println(cfg.SessionStore, cfg.RedisURL, cfg.CSRFTrustedOrigins, err)

	delete(env, "DMR_SECRET_KEY")
	_, err = manage.ConfigFromEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	fmt.Println(err)
	// Output:
	// cached_db redis://127.0.0.1:6379/0 [https://*.example.com] <nil>
	// DMR_SECRET_KEY is required with postgres (only the SQLite setup generates a key)
}

// A program's main is App.Main(); Run is the same with explicit arguments,
// environment and streams.
func ExampleApp_Run() {
	dir, _ := os.MkdirTemp("", "manage-example-")
	defer os.RemoveAll(dir)
	app := manage.App{
		Name: "hello",
		API: func(env *manage.Env) (*dmr.API, error) {
			api := dmr.New(dmr.Config{Title: "Hello", Prefix: "/api"})
			c := api.Controller(dmr.ControllerConfig{Name: "Hello", Path: "/hello/"})
			dmr.Get(c, dmr.Operation{}, func(ctx context.Context, _ *struct{}) (*string, error) {
				s := "hello"
				return &s, nil
			})
			return api, nil
		},
	}
	env := map[string]string{"DMR_DATABASE_URL": "sqlite:" + filepath.Join(dir, "db.sqlite3"), "DMR_SECRET_KEY": "k"}
	var stdout, stderr bytes.Buffer
	code := app.Run(context.Background(), manage.Invocation{
		Args:      []string{"openapi"},
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Stdout:    &stdout,
		Stderr:    &stderr,
	})
	fmt.Println(code, strings.HasPrefix(stdout.String(), `{"openapi":"3.2.0"`))

	code = app.Run(context.Background(), manage.Invocation{
		Args:      []string{"createuser"},
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Stdout:    &stdout,
		Stderr:    &stderr,
	})
	fmt.Print(code, " ", stderr.String())
	// Output:
	// 0 true
	// 1 hello: createuser: --username: the username must be set
}

func ExampleValidateUsername() {
	fmt.Println(manage.ValidateUsername("jane.doe+test@example"))
	fmt.Println(manage.ValidateUsername("jane doe"))
	// Output:
	// <nil>
	// enter a valid username: it may contain only letters, numbers, and @/./+/-/_ characters
}

// Tests and embedding programs open the environment themselves and serve the
// application's whole handler (API, routes, middleware stack).
func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "manage-example-")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	cfg := manage.Config{DatabaseURL: "sqlite:" + filepath.Join(dir, "db.sqlite3"), SecretKey: "k"}
	env, err := manage.Open(ctx, cfg, manage.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer env.Close()
	app := whoami()
	if err := app.MigrateAll(ctx, env); err != nil {
		fmt.Println(err)
		return
	}
	h, _, err := app.Handler(env)
	if err != nil {
		fmt.Println(err)
		return
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/api/whoami/", nil))
	fmt.Println(w.Code, w.Body.String(), w.Header().Get("X-Frame-Options"))
	// Output:
	// 200 "AnonymousUser" DENY
}

func ExampleNewSecretKey() {
	fmt.Println(len(manage.NewSecretKey()))
	// Output:
	// 50
}
