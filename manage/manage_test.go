package manage_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/hashers"
	"github.com/dmr-go/dmr/manage"
)

// whoami is a minimal application: GET /api/whoami/ answers the current
// user's name (anonymous allowed).
func whoami() manage.App {
	return manage.App{
		Name: "whoami",
		Options: manage.Options{
			Hashers: &hashers.Hashers{List: []hashers.Hasher{&hashers.PBKDF2{Iterations: 1000}}},
		},
		API: func(env *manage.Env) (*dmr.API, error) {
			api := dmr.New(dmr.Config{Title: "whoami", Prefix: "/api"})
			c := api.Controller(dmr.ControllerConfig{Name: "WhoAmI", Path: "/whoami/"})
			dmr.Get(c, dmr.Operation{}, func(ctx context.Context, _ *struct{}) (*string, error) {
				s := auth.UserFromContext(ctx).String()
				return &s, nil
			})
			return api, nil
		},
		AutoMigrate: true,
	}
}

type result struct {
	code           int
	stdout, stderr string
}

func runApp(t *testing.T, app manage.App, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := app.Run(context.Background(), manage.Invocation{
		Args:      args,
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Stdin:     strings.NewReader(stdin),
		Stdout:    &out,
		Stderr:    &errb,
	})
	return result{code, out.String(), errb.String()}
}

func TestRunCommands(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"DMR_DATABASE_URL": "sqlite:" + filepath.Join(dir, "db.sqlite3"), "DMR_SECRET_KEY": "0123456789012345678901234567890123456789012345678901"}
	app := whoami()
	if r := runApp(t, app, env, "", "migrate"); r.code != 0 || r.stdout != "Tables are up to date (sqlite).\n" || r.stderr != "" {
		t.Fatalf("migrate: %+v", r)
	}
	if r := runApp(t, app, env, "", "migrate"); r.code != 0 {
		t.Fatalf("second migrate: %+v", r)
	}
	if r := runApp(t, app, env, "s3cret\n", "createuser", "--username", "ann", "--staff", "--password-stdin"); r.code != 0 || r.stdout != "Staff user \"ann\" created (id 1).\n" {
		t.Fatalf("createuser: %+v", r)
	}
	r := runApp(t, app, env, "s3cret\n", "createuser", "--username", "ann", "--password-stdin")
	if r.code != 1 || r.stderr != "whoami: createuser: user \"ann\" already exists\n" {
		t.Fatalf("createuser twice: %+v", r)
	}
	if r := runApp(t, app, env, "other", "changepassword", "--username", "ann", "--password-stdin"); r.code != 0 || !strings.Contains(r.stdout, "Password changed successfully") {
		t.Fatalf("changepassword: %+v", r)
	}
	if r := runApp(t, app, env, "", "clearsessions"); r.code != 0 {
		t.Fatalf("clearsessions: %+v", r)
	}
	r = runApp(t, app, env, "", "openapi")
	var doc map[string]any
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &doc) != nil || doc["openapi"] != "3.2.0" {
		t.Fatalf("openapi: %+v", r)
	}
	if r := runApp(t, app, env, "", "openapi", "--version", "3.1"); r.code != 0 || !strings.Contains(r.stdout, `"openapi":"3.1.0"`) {
		t.Fatalf("openapi 3.1: %+v", r)
	}
	if r := runApp(t, app, env, "", "help"); r.code != 0 || !strings.Contains(r.stdout, "usage: whoami") {
		t.Fatalf("help: %+v", r)
	}
	help := runApp(t, app, env, "", "--help").stdout
	for _, v := range []string{manage.EnvDatabaseURL, manage.EnvSecretKey, manage.EnvSecretKeyFallbacks, manage.EnvSessionStore,
		manage.EnvRedisURL, manage.EnvCSRFUseSessions, manage.EnvCSRFTrustedOrigins, manage.EnvAuthCacheTTL,
		manage.EnvDjangoVersion, manage.EnvDocsAssets} {
		if !strings.Contains(help, v) {
			t.Errorf("--help does not list %s:\n%s", v, help)
		}
	}
	if r := runApp(t, manage.App{Name: "x"}, env, "", "openapi"); r.code != 1 || !strings.Contains(r.stderr, "App.API is not set") {
		t.Fatalf("no API: %+v", r)
	}
}

// TestServeGraceful serves until the context is cancelled: no arguments means
// serve, the address comes from Ready, and a cancelled context stops it with
// status 0.
func TestServeGraceful(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"DMR_DATABASE_URL": "sqlite:" + filepath.Join(dir, "db.sqlite3")}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan net.Addr, 1)
	var errb bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- whoami().Run(ctx, manage.Invocation{
			Args:      []string{"--addr", "127.0.0.1:0"},
			LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
			Stderr:    &errb,
			Ready:     func(a net.Addr) { ready <- a },
		})
	}()
	var addr net.Addr
	select {
	case addr = <-ready:
	case code := <-done:
		t.Fatalf("serve exited with %d: %s", code, errb.String())
	}
	res, err := http.Get("http://" + addr.String() + "/api/whoami/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("X-Frame-Options") != "DENY" {
		t.Fatalf("GET: %d %v", res.StatusCode, res.Header)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited with %d: %s", code, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	// No secret key was configured: one was generated beside the database.
	if !strings.Contains(errb.String(), "generated a secret key") {
		t.Errorf("log: %s", errb.String())
	}
}

// TestWrongDocsAssets checks that serve, given a DMR_DOCS_ASSETS directory
// without Swagger UI, fails at start-up naming the variable and the script
// that installs the files.
func TestWrongDocsAssets(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{
		"DMR_DATABASE_URL": "sqlite:" + filepath.Join(dir, "db.sqlite3"), "DMR_SECRET_KEY": "0123456789012345678901234567890123456789012345678901",
		manage.EnvDocsAssets: dir,
	}
	app := whoami()
	app.Routes = func(mux *http.ServeMux, env *manage.Env, api *dmr.API) error {
		docs, err := dmr.DocsHandler(dmr.DocsOptions{SpecURL: "/openapi.json", AssetsDir: env.Config.DocsAssetsDir})
		if err != nil {
			return err
		}
		mux.Handle("/docs/", docs)
		return nil
	}
	r := runApp(t, app, env, "", "serve", "--addr", "127.0.0.1:18521")
	if r.code != 1 || !strings.Contains(r.stderr, "DMR_DOCS_ASSETS=\""+dir) || !strings.Contains(r.stderr, "scripts/docs-assets.sh") {
		t.Fatalf("serve with a wrong DMR_DOCS_ASSETS: %+v", r)
	}
}

// TestUnreachableDatabaseMessage checks that a PostgreSQL connection error
// reaches the user whole: the address and the reason, not only a first line.
func TestUnreachableDatabaseMessage(t *testing.T) {
	env := map[string]string{
		"DMR_DATABASE_URL": "postgres://postgres@127.0.0.1:18522/test?connect_timeout=5",
		"DMR_SECRET_KEY":   "0123456789012345678901234567890123456789012345678901",
	}
	r := runApp(t, whoami(), env, "", "migrate")
	if r.code != 1 || !strings.Contains(r.stderr, "unreachable") || !strings.Contains(r.stderr, "127.0.0.1:18522") ||
		!strings.Contains(r.stderr, "refused") || strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("migrate with PostgreSQL down: %+v", r)
	}
}
