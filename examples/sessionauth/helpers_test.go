package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/hashers"
	"github.com/dmr-go/dmr/internal/testenv"
	"github.com/dmr-go/dmr/manage"
)

// testSecretKey is the SECRET_KEY of the in-process servers.
const testSecretKey = "example-test-secret-key-0123456789-abcdefghijklmnop"

// fastHashers keeps password checks cheap under -race; the CLI tests use the
// real binary with Django's defaults.
func fastHashers() *hashers.Hashers {
	return &hashers.Hashers{List: []hashers.Hasher{&hashers.PBKDF2{Iterations: 1000}}}
}

// server is the example application served in process on a real listener.
type server struct {
	*httptest.Server
	env *manage.Env
}

// storeSetup describes one session store configuration to run against.
type storeSetup struct {
	name string
	// config returns the configuration for t (creating private databases
	// and Redis prefixes as needed).
	config func(t *testing.T) manage.Config
	// revocable is false for signed cookies: logout cannot invalidate a
	// copied cookie.
	revocable bool
}

func sqliteURL(t *testing.T) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "dmr.sqlite3")
}

func redisURL() string { return "redis://" + testenv.RedisAddr() + "/0" }

// redisPrefix gives t a private Redis key prefix (skipping, or failing under
// DMR_TEST_REQUIRE_ALL, when Redis is not running).
func redisPrefix(t *testing.T) string {
	_, prefix := testenv.Redis(t)
	return prefix
}

var storeSetups = []storeSetup{
	{name: "db-sqlite", revocable: true, config: func(t *testing.T) manage.Config {
		return manage.Config{DatabaseURL: sqliteURL(t), SecretKey: testSecretKey}
	}},
	{name: "db-postgres", revocable: true, config: func(t *testing.T) manage.Config {
		return manage.Config{DatabaseURL: testenv.PostgresURL(t), SecretKey: testSecretKey}
	}},
	{name: "cached_db", revocable: true, config: func(t *testing.T) manage.Config {
		return manage.Config{DatabaseURL: sqliteURL(t), SecretKey: testSecretKey,
			SessionStore: manage.StoreCachedDB, RedisURL: redisURL(), RedisKeyPrefix: redisPrefix(t)}
	}},
	{name: "redis", revocable: true, config: func(t *testing.T) manage.Config {
		return manage.Config{DatabaseURL: sqliteURL(t), SecretKey: testSecretKey,
			SessionStore: manage.StoreRedis, RedisURL: redisURL(), RedisKeyPrefix: redisPrefix(t)}
	}},
	{name: "signed_cookies", revocable: false, config: func(t *testing.T) manage.Config {
		return manage.Config{DatabaseURL: sqliteURL(t), SecretKey: testSecretKey, SessionStore: manage.StoreSignedCookies}
	}},
}

// startServer opens the environment for cfg, migrates, and serves the example
// on a local listener. opts may change cookie names and such; the example's
// session and user cache is on as in the real program unless cfg turns it off
// (AuthCacheTTL pointing at 0).
func startServer(t *testing.T, cfg manage.Config, opts manage.Options) *server {
	t.Helper()
	ctx := context.Background()
	if opts.AuthCacheTTL == 0 {
		opts.AuthCacheTTL = App().Options.AuthCacheTTL
	}
	if opts.Hashers == nil {
		opts.Hashers = fastHashers()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	env, err := manage.Open(ctx, cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Close() })
	app := App()
	if err := app.MigrateAll(ctx, env); err != nil {
		t.Fatal(err)
	}
	h, _, err := app.Handler(env)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &server{Server: srv, env: env}
}

// createUser stores a user with a password.
func (s *server) createUser(t *testing.T, nu auth.NewUser) *auth.User {
	t.Helper()
	u, err := s.env.Auth.CreateUser(context.Background(), nu)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// exchange is one request/response pair, read in full.
type exchange struct {
	res  *http.Response
	body string
}

// do sends a request with explicit cookies and headers (no jar: the tests
// control exactly what a browser would send).
func (s *server) do(t *testing.T, method, path, body string, header http.Header, cookies ...*http.Cookie) exchange {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[http.CanonicalHeaderKey(k)] = vs
	}
	for _, c := range cookies {
		if c != nil {
			req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		}
	}
	res, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return exchange{res: res, body: string(b)}
}

func (e exchange) cookie(name string) *http.Cookie {
	for _, c := range e.res.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func (e exchange) want(t *testing.T, status int, body string) {
	t.Helper()
	if e.res.StatusCode != status || (body != "" && e.body != body) {
		t.Fatalf("%s %s: got %d %s\nwant %d %s", e.res.Request.Method, e.res.Request.URL.Path, e.res.StatusCode, e.body, status, body)
	}
}

// validateDocument checks a document with pb33f's libopenapi-validator and
// Python's openapi-spec-validator (3.2 or 3.1 by the document's version).
func validateDocument(t *testing.T, doc []byte) {
	t.Helper()
	d, err := libopenapi.NewDocument(doc)
	if err != nil {
		t.Fatalf("libopenapi: %v", err)
	}
	v, errs := validator.NewValidator(d)
	if len(errs) > 0 {
		t.Fatalf("libopenapi-validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		var b strings.Builder
		for _, e := range verrs {
			fmt.Fprintf(&b, "\n  %s: %s", e.Message, e.Reason)
			for _, se := range e.SchemaValidationErrors {
				fmt.Fprintf(&b, "\n    %s", se.Reason)
			}
		}
		t.Fatalf("libopenapi-validator rejects the document:%s", b.String())
	}
	pyOnce.Do(func() {
		out, err := exec.Command("python3", "-c", "from openapi_spec_validator import OpenAPIV32SpecValidator").CombinedOutput()
		pyOK, pyWhy = err == nil, strings.TrimSpace(string(out)+" "+fmt.Sprint(err))
	})
	testenv.Require(t, "python3 with openapi-spec-validator", pyOK, pyWhy)
	cmd := exec.Command("python3", "-c", pyValidate)
	cmd.Stdin = bytes.NewReader(doc)
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "valid") {
		t.Fatalf("openapi-spec-validator rejects the document: %v\n%s", err, out)
	}
}

var (
	pyOnce sync.Once
	pyOK   bool
	pyWhy  string
)

const pyValidate = `
import json, sys
from openapi_spec_validator import OpenAPIV31SpecValidator, OpenAPIV32SpecValidator, validate
spec = json.load(sys.stdin)
cls = OpenAPIV32SpecValidator if spec["openapi"].startswith("3.2") else OpenAPIV31SpecValidator
validate(spec, cls=cls)
print("valid")
`

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func dig(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func sqliteConfig(t *testing.T) manage.Config { return storeSetups[0].config(t) }

func optsQuiet(t *testing.T) manage.Options { return manage.Options{} }
