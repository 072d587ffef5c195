package dmr_test

import (
	"context"
	"crypto/subtle"
	"net/http"
	"reflect"
	"testing"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/openapi"
	"github.com/dmr-go/dmr/security"
)

type userKey struct{}

// headerAuth accepts requests whose header carries token; a missing header
// is "not mine", a wrong one a 401.
type headerAuth struct {
	scheme, header, token, user string
}

func (a headerAuth) Authenticate(r *http.Request) (*http.Request, error) {
	v := r.Header.Get(a.header)
	if v == "" {
		return nil, nil
	}
	if subtle.ConstantTimeCompare([]byte(v), []byte(a.token)) != 1 {
		return nil, security.ErrNotAuthenticated
	}
	return r.WithContext(context.WithValue(r.Context(), userKey{}, a.user)), nil
}

func (a headerAuth) Describe(security.Operation) security.Description {
	return security.Description{
		Schemes:     map[string]*openapi.SecurityScheme{a.scheme: {Type: "apiKey", In: "header", Name: a.header}},
		Requirement: openapi.SecurityRequirement{a.scheme: {}},
		Responses:   []security.Response{security.NotAuthenticatedResponse()},
	}
}

// forbidAuth always refuses with 403 (a CSRF-like rejection).
type forbidAuth struct{}

func (forbidAuth) Authenticate(r *http.Request) (*http.Request, error) {
	if r.Header.Get("X-Forbid") == "" {
		return nil, nil
	}
	return nil, apierror.New(http.StatusForbidden, "CSRF Failed: CSRF cookie not set.", "")
}

func (forbidAuth) Describe(op security.Operation) security.Description {
	d := security.Description{Responses: []security.Response{{Status: 403, Description: "Raised when CSRF check failed"}}}
	if op.Method != http.MethodGet {
		d.Schemes = map[string]*openapi.SecurityScheme{"csrf": {Type: "apiKey", In: "cookie", Name: "csrftoken"}}
		d.Requirement = openapi.SecurityRequirement{"csrf": {}}
	}
	return d
}

func whoami(ctx context.Context, _ *struct{}) (*string, error) {
	u, _ := ctx.Value(userKey{}).(string)
	return &u, nil
}

func TestAuthLevels(t *testing.T) {
	apiAuth := headerAuth{"api_token", "X-Api", "a", "api-user"}
	ctrlAuth := headerAuth{"ctrl_token", "X-Ctrl", "c", "ctrl-user"}
	epAuth := headerAuth{"ep_token", "X-Ep", "e", "ep-user"}
	api := dmr.New(dmr.Config{Auth: []security.Auth{apiAuth}})
	c := api.Controller(dmr.ControllerConfig{Name: "Who", Path: "/who", Auth: []security.Auth{ctrlAuth}})
	dmr.Get(c, dmr.Operation{Auth: []security.Auth{epAuth}}, whoami)
	dmr.Post(c, dmr.Operation{NoAuth: true, Status: 200}, whoami)
	open := api.Controller(dmr.ControllerConfig{Name: "Open", Path: "/open", NoAuth: true})
	dmr.Get(open, dmr.Operation{Auth: []security.Auth{epAuth}}, whoami)
	apiOnly := api.Controller(dmr.ControllerConfig{Name: "ApiOnly", Path: "/apionly"})
	dmr.Get(apiOnly, dmr.Operation{}, whoami)

	for _, tc := range []struct {
		target, method string
		header         http.Header
		status         int
		body           string
	}{
		{"/who", "GET", nil, 401, `{"detail":[{"msg":"Not authenticated","type":"security"}]}`},
		{"/who", "GET", http.Header{"X-Ep": {"e"}}, 200, `"ep-user"`},
		{"/who", "GET", http.Header{"X-Ctrl": {"c"}}, 200, `"ctrl-user"`},
		{"/who", "GET", http.Header{"X-Api": {"a"}}, 200, `"api-user"`},
		// Endpoint auth is tried first; an explicit failure stops the chain.
		{"/who", "GET", http.Header{"X-Ep": {"wrong"}, "X-Api": {"a"}}, 401, `{"detail":[{"msg":"Not authenticated","type":"security"}]}`},
		{"/who", "GET", http.Header{"X-Ep": {"e"}, "X-Api": {"a"}}, 200, `"ep-user"`},
		{"/who", "POST", nil, 200, `""`},
		{"/open", "GET", http.Header{"X-Ep": {"e"}}, 200, `""`},
		{"/apionly", "GET", http.Header{"X-Api": {"a"}}, 200, `"api-user"`},
		{"/apionly", "GET", nil, 401, `{"detail":[{"msg":"Not authenticated","type":"security"}]}`},
	} {
		got := serve(api, do{tc.method, tc.target, "", tc.header})
		if got.status != tc.status || got.body != tc.body {
			t.Errorf("%s %s %v: got %d %s, want %d %s", tc.method, tc.target, tc.header, got.status, got.body, tc.status, tc.body)
		}
	}

	doc := mustDocs(t, api)
	sec := dig(doc, "paths", "/who", "get", "security")
	want := []any{map[string]any{"ep_token": []any{}}, map[string]any{"ctrl_token": []any{}}, map[string]any{"api_token": []any{}}}
	if !reflect.DeepEqual(sec, want) {
		t.Errorf("security = %v, want %v", sec, want)
	}
	if dig(doc, "paths", "/who", "post", "security") != nil || dig(doc, "paths", "/who", "post", "responses", "401") != nil {
		t.Error("NoAuth endpoint documents auth")
	}
	if dig(doc, "paths", "/open", "get", "security") != nil {
		t.Error("NoAuth controller documents auth")
	}
	if d := dig(doc, "paths", "/who", "get", "responses", "401", "description"); d != "Raised when auth was not successful" {
		t.Errorf("401 description %v", d)
	}
	if len(dig(doc, "components", "securitySchemes").(map[string]any)) != 3 {
		t.Errorf("schemes %v", dig(doc, "components", "securitySchemes"))
	}
}

// TestCheckOrder checks 406 → auth → parse → handler → validate.
func TestCheckOrder(t *testing.T) {
	api := dmr.New(dmr.Config{Auth: []security.Auth{forbidAuth{}, headerAuth{"tok", "X-Tok", "t", "u"}}})
	c := api.Controller(dmr.ControllerConfig{Name: "Order", Path: "/order"})
	calls := 0
	dmr.Post(c, dmr.Operation{}, func(ctx context.Context, in *struct {
		Body struct {
			N int `json:"n"`
		} `body:""`
	}) (*int, error) {
		calls++
		v := -1
		return &v, nil
	})
	bad := `{"n":"x"}`
	got := serve(api, do{"POST", "/order", bad, http.Header{"Accept": {"text/html"}, "X-Forbid": {"1"}}})
	if got.status != 406 {
		t.Errorf("406 first: %d %s", got.status, got.body)
	}
	got = serve(api, do{"POST", "/order", bad, http.Header{"X-Forbid": {"1"}}})
	expect(t, got, 403, `{"detail":[{"msg":"CSRF Failed: CSRF cookie not set."}]}`)
	got = serve(api, do{"POST", "/order", bad, nil})
	if got.status != 401 {
		t.Errorf("auth before parse: %d", got.status)
	}
	got = serve(api, do{"POST", "/order", bad, http.Header{"X-Tok": {"t"}}})
	expect(t, got, 400, `{"detail":[{"msg":"Input should be a valid integer","loc":["parsed_body","n"],"type":"value_error"}]}`)
	if calls != 0 {
		t.Errorf("handler called %d times before its input was valid", calls)
	}
	got = serve(api, do{"POST", "/order", `{"n":1}`, http.Header{"X-Tok": {"t"}}})
	if got.status != 201 || calls != 1 {
		t.Errorf("handler: %d calls=%d", got.status, calls)
	}
	doc := mustDocs(t, api)
	if d := dig(doc, "paths", "/order", "post", "responses", "403", "description"); d != "Raised when CSRF check failed" {
		t.Errorf("403 %v", d)
	}
	want := []any{map[string]any{"csrf": []any{}}, map[string]any{"tok": []any{}}}
	if got := dig(doc, "paths", "/order", "post", "security"); !reflect.DeepEqual(got, want) {
		t.Errorf("security %v", got)
	}
}

type problem struct {
	Title  string   `json:"title"`
	Status int      `json:"status"`
	Errors []string `json:"errors"`
}

func (problem) SchemaName() string { return "Problem" }

func TestCustomErrorModel(t *testing.T) {
	format := func(e *apierror.Error) any {
		p := problem{Title: http.StatusText(e.Status), Status: e.Status}
		for _, d := range e.Details {
			p.Errors = append(p.Errors, d.Msg)
		}
		return p
	}
	api := dmr.New(dmr.Config{ErrorModel: &dmr.ErrorModel{Body: problem{}, Format: format}})
	c := api.Controller(dmr.ControllerConfig{Name: "P", Path: "/p"})
	dmr.Post(c, dmr.Operation{}, func(ctx context.Context, in *struct {
		Body struct {
			N int `json:"n"`
		} `body:""`
	}) (*int, error) {
		return &in.Body.N, nil
	})
	other := api.Controller(dmr.ControllerConfig{Name: "D", Path: "/d", ErrorModel: dmr.DefaultErrorModel()})
	dmr.Post(other, dmr.Operation{}, func(ctx context.Context, in *struct {
		Body struct {
			N int `json:"n"`
		} `body:""`
	}) (*int, error) {
		return &in.Body.N, nil
	})
	expect(t, serve(api, do{"POST", "/p", `{}`, nil}), 400, `{"title":"Bad Request","status":400,"errors":["Field required"]}`)
	expect(t, serve(api, do{"GET", "/p", ``, nil}), 405, `{"title":"Method Not Allowed","status":405,"errors":["Method 'GET' is not allowed, allowed: ['POST']"]}`)
	expect(t, serve(api, do{"POST", "/d", `{}`, nil}), 400, `{"detail":[{"msg":"Field required","loc":["parsed_body","n"],"type":"value_error"}]}`)
	doc := mustDocs(t, api)
	if r := dig(doc, "paths", "/p", "post", "responses", "400", "content", "application/json", "schema", "$ref"); r != "#/components/schemas/Problem" {
		t.Errorf("custom model ref %v", r)
	}
	if r := dig(doc, "paths", "/d", "post", "responses", "400", "content", "application/json", "schema", "$ref"); r != "#/components/schemas/ErrorModel" {
		t.Errorf("controller model ref %v", r)
	}
}
