package manage_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/manage"
	"github.com/dmr-go/dmr/security"
	"github.com/dmr-go/dmr/security/apikey"
)

// keyApp is whoami behind the API key auth, built from Env.APIKeys.
func keyApp() manage.App {
	app := whoami()
	app.API = func(env *manage.Env) (*dmr.API, error) {
		keys, err := env.APIKeys()
		if err != nil {
			return nil, err
		}
		ak, err := apikey.New(apikey.Options{Store: keys, Auth: env.Auth})
		if err != nil {
			return nil, err
		}
		api := dmr.New(dmr.Config{Title: "keys", Prefix: "/api"})
		c := api.Controller(dmr.ControllerConfig{Name: "WhoAmI", Path: "/whoami/", Auth: []security.Auth{ak}})
		dmr.Get(c, dmr.Operation{}, func(ctx context.Context, _ *struct{}) (*string, error) {
			s := auth.UserFromContext(ctx).String()
			return &s, nil
		})
		return api, nil
	}
	return app
}

func TestAPIKeyCommands(t *testing.T) {
	env := map[string]string{"DMR_DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "db.sqlite3"),
		"DMR_SECRET_KEY": "0123456789012345678901234567890123456789012345678901"}
	app := keyApp()
	if r := runApp(t, app, env, "", "migrate"); r.code != 0 {
		t.Fatalf("migrate: %+v", r)
	}
	if r := runApp(t, app, env, "pw\n", "createuser", "--username", "ann", "--password-stdin"); r.code != 0 {
		t.Fatalf("createuser: %+v", r)
	}
	r := runApp(t, app, env, "", "createapikey", "--username", "ann", "--name", "deploy bot", "--expires", "720h")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != 0 || len(lines) != 2 || !strings.Contains(lines[0], `created for "ann" (expires `) {
		t.Fatalf("createapikey: %+v", r)
	}
	key := lines[1]
	prefix, err := apikey.ParseKey(key)
	if err != nil {
		t.Fatalf("printed key %q: %v", key, err)
	}
	for _, bad := range [][]string{
		{"createapikey"},
		{"createapikey", "--username", "nobody"},
		{"createapikey", "--username", "ann", "--expires", "-1h"},
		{"revokeapikey"},
		{"revokeapikey", "xyz"},
		{"revokeapikey", "000000000000"},
		{"revokeapikey", prefix, prefix},
		{"listapikeys", "extra"},
	} {
		if r := runApp(t, app, env, "", bad...); r.code != 1 || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%v: %+v", bad, r)
		}
	}

	// The key works against the application.
	h, envOpen := handler(t, app, env)
	get := func() int {
		req := httptest.NewRequest("GET", "/api/whoami/", nil)
		req.Header.Set("X-API-Key", key)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code == 200 && w.Body.String() != `"ann"` {
			t.Fatalf("whoami: %s", w.Body)
		}
		return w.Code
	}
	if code := get(); code != 200 {
		t.Fatalf("with the key: %d", code)
	}
	r = runApp(t, app, env, "", "listapikeys")
	if r.code != 0 || !strings.Contains(r.stdout, prefix) || !strings.Contains(r.stdout, "ann") ||
		!strings.Contains(r.stdout, "deploy bot") || !strings.Contains(r.stdout, "active") {
		t.Fatalf("listapikeys: %+v", r)
	}
	// Revoked in another process: this one notices once its cache entry is
	// gone; through its own store, at once.
	if r := runApp(t, app, env, "", "revokeapikey", "dmr_"+prefix); r.code != 0 || !strings.Contains(r.stdout, "revoked") {
		t.Fatalf("revokeapikey: %+v", r)
	}
	keys, _ := envOpen.APIKeys()
	if err := keys.Revoke(context.Background(), prefix); err != nil { // idempotent; drops the cache entry
		t.Fatal(err)
	}
	if code := get(); code != http.StatusUnauthorized {
		t.Fatalf("after revocation: %d", code)
	}
	r = runApp(t, app, env, "", "listapikeys")
	if r.code != 0 || !strings.Contains(r.stdout, "revoked ") {
		t.Fatalf("listapikeys after revocation: %+v", r)
	}
	if r := runApp(t, app, env, "", "openapi"); r.code != 0 || !strings.Contains(r.stdout, `"api_key":{"type":"apiKey"`) {
		t.Fatalf("openapi (offline Env.APIKeys): %+v", r)
	}
	if r := runApp(t, app, env, "", "help"); !strings.Contains(r.stdout, "createapikey") {
		t.Fatalf("help: %+v", r)
	}
}

func handler(t *testing.T, app manage.App, vars map[string]string) (http.Handler, *manage.Env) {
	t.Helper()
	cfg, err := manage.ConfigFromEnv(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	env, err := manage.Open(context.Background(), cfg, app.Options)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Close() })
	h, _, err := app.Handler(env)
	if err != nil {
		t.Fatal(err)
	}
	return h, env
}
