package manage_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/manage"
	"github.com/dmr-go/dmr/security"
	"github.com/dmr-go/dmr/security/tokenauth"
)

// tokenApp is whoami with its endpoint behind env.TokenAuth.
func tokenApp() manage.App {
	app := whoami()
	app.API = func(env *manage.Env) (*dmr.API, error) {
		ta, err := env.TokenAuth(tokenauth.Options{})
		if err != nil {
			return nil, err
		}
		api := dmr.New(dmr.Config{Title: "whoami", Prefix: "/api"})
		c := api.Controller(dmr.ControllerConfig{Name: "WhoAmI", Path: "/whoami/", Auth: []security.Auth{ta}})
		dmr.Get(c, dmr.Operation{}, func(ctx context.Context, _ *struct{}) (*string, error) {
			s := auth.UserFromContext(ctx).String()
			return &s, nil
		})
		return api, nil
	}
	return app
}

func TestCreateToken(t *testing.T) {
	env := map[string]string{"DMR_DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "db.sqlite3"), "DMR_SECRET_KEY": "0123456789012345678901234567890123456789012345678901", "DMR_DRF_TOKEN_KEYWORD": "Bearer"}
	app := tokenApp()
	if r := runApp(t, app, env, "", "--help"); !strings.Contains(r.stdout, "createtoken --username U [--reset]") || !strings.Contains(r.stdout, "DMR_DRF_TOKEN_KEYWORD") {
		t.Errorf("help: %s", r.stdout)
	}
	if r := runApp(t, app, env, "", "createtoken", "--username", "ann"); r.code != 1 || r.stderr != "whoami: createtoken: Cannot create the Token: user ann does not exist\n" {
		t.Fatalf("createtoken for nobody: %+v", r)
	}
	if r := runApp(t, app, env, "", "createuser", "--username", "ann", "--no-password"); r.code != 0 {
		t.Fatalf("createuser: %+v", r)
	}
	r := runApp(t, app, env, "", "createtoken", "--username", "ann")
	key := strings.TrimSpace(r.stdout)
	if r.code != 0 || !regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(key) {
		t.Fatalf("createtoken: %+v", r)
	}
	if r := runApp(t, app, env, "", "createtoken", "--username", "ann"); strings.TrimSpace(r.stdout) != key {
		t.Fatalf("createtoken again: %+v, want the same key %s", r, key)
	}
	r = runApp(t, app, env, "", "createtoken", "--username", "ann", "-r")
	newKey := strings.TrimSpace(r.stdout)
	if r.code != 0 || newKey == key || len(newKey) != 40 {
		t.Fatalf("createtoken -r: %+v", r)
	}
	if r := runApp(t, app, env, "", "createtoken"); r.code != 1 || !strings.Contains(r.stderr, "--username is required") {
		t.Fatalf("createtoken without --username: %+v", r)
	}

	cfg, err := manage.ConfigFromEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	e, err := manage.Open(context.Background(), cfg, app.Options)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	h, _, err := app.Handler(e)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		authz  string
		status int
		body   string
	}{
		{"Bearer " + newKey, 200, `"ann"`},
		{"Bearer " + key, 401, `{"detail":[{"msg":"Invalid token.","type":"security"}]}`},
		{"Token " + newKey, 401, `{"detail":[{"msg":"Not authenticated","type":"security"}]}`},
	} {
		req := httptest.NewRequest("GET", "http://localhost/api/whoami/", nil)
		req.Header.Set("Authorization", c.authz)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != c.status || strings.TrimSpace(w.Body.String()) != c.body {
			t.Errorf("%s: %d %s, want %d %s", c.authz, w.Code, w.Body, c.status, c.body)
		}
	}
}

func TestDRFTokenKeywordSetting(t *testing.T) {
	for _, bad := range []string{"To ken", "Tok\u00e9n"} {
		_, err := manage.ConfigFromEnv(func(k string) (string, bool) {
			if k == manage.EnvDRFTokenKeyword {
				return bad, true
			}
			return "", false
		})
		if err == nil || !strings.Contains(err.Error(), "DMR_DRF_TOKEN_KEYWORD") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
