package dmr_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/openapi"
	"github.com/dmr-go/dmr/security"
)

// seedSessionAuth is a stand-in for Django session auth that contributes the
// same schemes, requirement and responses as the real one. Its
// Authenticate is not used here.
type seedSessionAuth struct{}

func (seedSessionAuth) Authenticate(r *http.Request) (*http.Request, error) { return nil, nil }

func (seedSessionAuth) Describe(security.Operation) security.Description {
	return security.Description{
		Schemes: map[string]*openapi.SecurityScheme{
			"django_session": {Type: "apiKey", Description: "Reusing standard Django auth flow for API", Name: "sessionid", In: "cookie"},
			"csrf":           {Type: "apiKey", Description: "CSRF protection", Name: "csrftoken", In: "cookie"},
		},
		Requirement: openapi.SecurityRequirement{"django_session": {}, "csrf": {}},
		Responses: []security.Response{
			security.NotAuthenticatedResponse(),
			{Status: http.StatusForbidden, Description: "Raised when CSRF check failed"},
		},
	}
}

// normalize removes what the comparison ignores: the descriptions of the
// error model schemas (they mention Sphinx references in the original) and
// an empty securitySchemes object.
func normalize(t *testing.T, b []byte) any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	schemas, _ := dig(m, "components", "schemas").(map[string]any)
	for _, n := range []string{"ErrorModel", "ErrorDetail"} {
		if s, ok := schemas[n].(map[string]any); ok {
			delete(s, "description")
		}
	}
	comps, _ := m["components"].(map[string]any)
	if ss, ok := comps["securitySchemes"].(map[string]any); ok && len(ss) == 0 {
		delete(comps, "securitySchemes")
	}
	return m
}

func compareWithSeed(t *testing.T, got []byte, seedFile string) {
	t.Helper()
	want, err := os.ReadFile(seedFile)
	if err != nil {
		t.Fatal(err)
	}
	g, w := normalize(t, got), normalize(t, want)
	if !reflect.DeepEqual(g, w) {
		gi, _ := json.MarshalIndent(g, "", "  ")
		wi, _ := json.MarshalIndent(w, "", "  ")
		t.Fatalf("document differs from %s\n--- got\n%s\n--- want\n%s", seedFile, gi, wi)
	}
}

// TestSeedSessionProtectedDocument reproduces the published document of a
// session-protected GET endpoint returning a string.
func TestSeedSessionProtectedDocument(t *testing.T) {
	api := dmr.New(dmr.Config{Title: "Django Modern Rest", Version: "0.1.0", Prefix: "/api"})
	c := api.Controller(dmr.ControllerConfig{Name: "APIController", Path: "/apicontroller/", Auth: []security.Auth{seedSessionAuth{}}})
	dmr.Get(c, dmr.Operation{}, func(ctx context.Context, _ *struct{}) (*string, error) {
		s := "hello"
		return &s, nil
	})
	mustDocs(t, api)
	got, err := api.DocumentJSON()
	if err != nil {
		t.Fatal(err)
	}
	compareWithSeed(t, got, "testdata/seed-session-protected.json")
}

// DjangoSessionPayload mirrors the login payload of the published document.
type DjangoSessionPayload struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func (DjangoSessionPayload) SchemaDescription() string {
	return "Payload for default version of a django session request body.\n\nIs also used as kwargs for :func:`django.contrib.auth.authenticate`."
}

// DjangoSessionResponse mirrors the login response of the published document.
type DjangoSessionResponse struct {
	UserID string `json:"user_id"`
}

func (DjangoSessionResponse) SchemaDescription() string {
	return "Default response type for django session endpoint."
}

// TestSeedLoginDocument reproduces the published document of the login
// controller: a body, cookies set by middleware, a declared 401.
func TestSeedLoginDocument(t *testing.T) {
	// NamedSetCookieKeys: the seed documents each cookie as "Set-Cookie: <name>".
	api := dmr.New(dmr.Config{Title: "Django Modern Rest", Version: "0.1.0", Prefix: "/api", NamedSetCookieKeys: true})
	c := api.Controller(dmr.ControllerConfig{Name: "SessionSyncController", Path: "/sessionsynccontroller/"})
	dmr.Post(c, dmr.Operation{
		Summary: "By default cookies are acquired on post.",
		Status:  http.StatusOK,
		Cookies: []dmr.Cookie{
			{Name: "sessionid", SetElsewhere: true},
			{Name: "csrftoken", Description: "CSRF protection.", SetElsewhere: true},
		},
		Responses: []dmr.Response{{Status: http.StatusUnauthorized}},
		NoAuth:    true,
	}, func(ctx context.Context, in *struct {
		Body DjangoSessionPayload `body:""`
	}) (*DjangoSessionResponse, error) {
		return &DjangoSessionResponse{UserID: "1"}, nil
	})
	mustDocs(t, api)
	got, err := api.DocumentJSON()
	if err != nil {
		t.Fatal(err)
	}
	compareWithSeed(t, got, "testdata/seed-login-controller.json")
}

// TestCookieHeadersByDefault checks the default form of documented cookies:
// one "Set-Cookie" response header (a valid header name) naming each cookie,
// where NamedSetCookieKeys writes the seed's "Set-Cookie: <name>" keys.
func TestCookieHeadersByDefault(t *testing.T) {
	for _, named := range []bool{false, true} {
		api := dmr.New(dmr.Config{Prefix: "/api", NamedSetCookieKeys: named})
		c := api.Controller(dmr.ControllerConfig{Name: "Login", Path: "/login/"})
		dmr.Post(c, dmr.Operation{
			Status: http.StatusOK,
			Cookies: []dmr.Cookie{
				{Name: "sessionid", SetElsewhere: true},
				{Name: "csrftoken", Description: "CSRF protection.", SetElsewhere: true},
				{Name: "theme", Optional: true},
			},
			NoAuth: true,
		}, func(ctx context.Context, _ *struct{}) (*string, error) { s := ""; return &s, nil })
		doc := mustDocs(t, api)
		headers, _ := dig(doc, "paths", "/api/login/", "post", "responses", "200", "headers").(map[string]any)
		var keys []string
		for k := range headers {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if named {
			if want := []string{"Set-Cookie: csrftoken", "Set-Cookie: sessionid", "Set-Cookie: theme"}; !slices.Equal(keys, want) {
				t.Errorf("NamedSetCookieKeys: header keys %q, want %q", keys, want)
			}
			continue
		}
		if !slices.Equal(keys, []string{"Set-Cookie"}) {
			t.Fatalf("header keys %q, want [Set-Cookie]", keys)
		}
		h := headers["Set-Cookie"].(map[string]any)
		if want := "Sets the cookies: sessionid, csrftoken (CSRF protection), theme (optional)."; h["description"] != want || h["required"] != true {
			t.Errorf("Set-Cookie header %v, want description %q and required", h, want)
		}
	}
}

// csrfHeaderAuth stands for session auth: it asks for a CSRF header on
// unsafe methods through Description.Parameters.
type csrfHeaderAuth struct{ seedSessionAuth }

func (a csrfHeaderAuth) Describe(op security.Operation) security.Description {
	d := a.seedSessionAuth.Describe(op)
	if op.Method != http.MethodGet {
		d.Parameters = []*openapi.Parameter{{Name: "X-CSRFToken", In: "header", Required: true, Schema: &openapi.Schema{Type: "string"}}}
	}
	return d
}

// TestAuthParameters checks that an auth's parameters reach the operations
// it protects, once, without replacing the operation's own parameter of the
// same name.
func TestAuthParameters(t *testing.T) {
	api := dmr.New(dmr.Config{Prefix: "/api"})
	au := []security.Auth{csrfHeaderAuth{}, csrfHeaderAuth{}}
	c := api.Controller(dmr.ControllerConfig{Name: "Notes", Path: "/notes/", Auth: au})
	dmr.Get(c, dmr.Operation{}, func(ctx context.Context, _ *struct{}) (*string, error) { s := ""; return &s, nil })
	dmr.Post(c, dmr.Operation{}, func(ctx context.Context, _ *struct{}) (*string, error) { s := ""; return &s, nil })
	dmr.Put(c, dmr.Operation{}, func(ctx context.Context, _ *struct {
		Token string `header:"x-csrftoken" description:"own"`
	}) (*string, error) {
		s := ""
		return &s, nil
	})
	doc := mustDocs(t, api)
	for method, want := range map[string]string{"get": "", "post": "X-CSRFToken", "put": "x-csrftoken"} {
		ps, _ := dig(doc, "paths", "/api/notes/", method, "parameters").([]any)
		var names []string
		for _, p := range ps {
			names = append(names, p.(map[string]any)["name"].(string))
		}
		if want == "" && len(names) != 0 || want != "" && !slices.Equal(names, []string{want}) {
			t.Errorf("%s parameters %q, want %q", method, names, want)
		}
	}
}

// TestAuthParameterAlternatives: the auths of an operation are alternatives,
// so the CSRF header the session asks for stays required when every auth
// asks for it and becomes optional, saying which scheme needs it, when a
// token auth (which never sends it) is another alternative.
func TestAuthParameterAlternatives(t *testing.T) {
	api := dmr.New(dmr.Config{Prefix: "/api"})
	token := headerAuth{scheme: "token", header: "X-Token", token: "t", user: "u"}
	only := api.Controller(dmr.ControllerConfig{Name: "Only", Path: "/only/", Auth: []security.Auth{csrfHeaderAuth{}}})
	dmr.Post(only, dmr.Operation{}, func(ctx context.Context, _ *struct{}) (*string, error) { s := ""; return &s, nil })
	either := api.Controller(dmr.ControllerConfig{Name: "Either", Path: "/either/", Auth: []security.Auth{csrfHeaderAuth{}, token}})
	dmr.Post(either, dmr.Operation{}, func(ctx context.Context, _ *struct{}) (*string, error) { s := ""; return &s, nil })
	doc := mustDocs(t, api)
	for path, required := range map[string]bool{"/api/only/": true, "/api/either/": false} {
		ps, _ := dig(doc, "paths", path, "post", "parameters").([]any)
		if len(ps) != 1 {
			t.Fatalf("%s parameters %v, want the CSRF header", path, ps)
		}
		p := ps[0].(map[string]any)
		desc, _ := p["description"].(string)
		if p["name"] != "X-CSRFToken" || (p["required"] == true) != required {
			t.Errorf("%s: %v, want X-CSRFToken required=%v", path, p, required)
		}
		if !required && !strings.Contains(desc, "Required with csrf + django_session") {
			t.Errorf("%s: description %q does not say which scheme needs it", path, desc)
		}
	}
}
