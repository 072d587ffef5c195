package dmr_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/commit"
)

type do struct {
	method, target, body string
	header               http.Header
}

type result struct {
	status int
	header http.Header
	body   string
}

func serve(h http.Handler, d do) result {
	var body io.Reader
	if d.body != "" {
		body = strings.NewReader(d.body)
	}
	req := httptest.NewRequest(d.method, d.target, body)
	for k, v := range d.header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return result{rec.Code, rec.Header(), rec.Body.String()}
}

func expect(t *testing.T, got result, status int, body string) {
	t.Helper()
	if got.status != status || strings.TrimSpace(got.body) != body {
		t.Errorf("got %d %s\nwant %d %s", got.status, got.body, status, body)
	}
}

type Pet struct {
	Name string   `json:"name" minLength:"1" maxLength:"1000" description:"The pet's name."`
	Age  int      `json:"age" minimum:"0" maximum:"100"`
	Kind string   `json:"kind" enum:"cat,dog,bird"`
	Tags []string `json:"tags,omitempty" maxItems:"3" maxLength:"5"`
}

type petInput struct {
	ID     int    `path:"id" minimum:"1"`
	Page   int    `query:"page" default:"1" minimum:"1"`
	Limit  *int   `query:"limit" maximum:"50"`
	Token  string `header:"X-API-Token"`
	Sess   string `cookie:"sessionid" required:"false"`
	Body   Pet    `body:""`
	unused int
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newPetAPI(_ testing.TB, cfg dmr.Config) *dmr.API {
	if cfg.Logger == nil {
		cfg.Logger = quietLogger()
	}
	api := dmr.New(cfg)
	c := api.Controller(dmr.ControllerConfig{Name: "PetController", Path: "/pets/{id}/"})
	dmr.Put(c, dmr.Operation{Summary: "Replace a pet"}, func(ctx context.Context, in *petInput) (*Pet, error) {
		switch in.Body.Name {
		case "panic":
			panic("secret panic text")
		case "teapot":
			return nil, apierror.New(http.StatusTeapot, "short and stout", "user_msg")
		case "plain error":
			return nil, errors.New("database is down: secret")
		case "bad output":
			return &Pet{Name: "", Age: 200, Kind: "fish"}, nil
		}
		return &in.Body, nil
	})
	return api
}

var jsonHdr = http.Header{"X-Api-Token": {"t"}, "Content-Type": {"application/json"}}

func TestParseAndValidate(t *testing.T) {
	api := newPetAPI(t, dmr.Config{Prefix: "/api"})
	t.Run("ok", func(t *testing.T) {
		got := serve(api, do{"PUT", "/api/pets/7/?page=2", `{"name":"Rex","age":3,"kind":"dog"}`, jsonHdr})
		expect(t, got, 200, `{"name":"Rex","age":3,"kind":"dog"}`)
		if ct := got.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
	})
	t.Run("every problem at once", func(t *testing.T) {
		body := `{"name":"` + strings.Repeat("é", 1001) + `","age":-1,"kind":"fish","tags":["a","b","toolong","d"],"extra":1}`
		got := serve(api, do{"PUT", "/api/pets/0/?page=abc&limit=51", body, http.Header{}})
		expect(t, got, 400, `{"detail":[`+
			`{"msg":"Input should be greater than or equal to 1","loc":["parsed_path","id"],"type":"value_error"},`+
			`{"msg":"Input should be a valid integer, unable to parse string as an integer","loc":["parsed_query","page"],"type":"value_error"},`+
			`{"msg":"Input should be less than or equal to 50","loc":["parsed_query","limit"],"type":"value_error"},`+
			`{"msg":"Field required","loc":["parsed_headers","X-API-Token"],"type":"value_error"},`+
			`{"msg":"String should have at most 1000 characters","loc":["parsed_body","name"],"type":"value_error"},`+
			`{"msg":"Input should be greater than or equal to 0","loc":["parsed_body","age"],"type":"value_error"},`+
			`{"msg":"Input should be 'cat', 'dog' or 'bird'","loc":["parsed_body","kind"],"type":"value_error"},`+
			`{"msg":"String should have at most 5 characters","loc":["parsed_body","tags",2],"type":"value_error"},`+
			`{"msg":"List should have at most 3 items after validation, not 4","loc":["parsed_body","tags"],"type":"value_error"}]}`)
	})
	t.Run("lengths count code points", func(t *testing.T) {
		body := `{"name":"` + strings.Repeat("é", 1000) + `","age":1,"kind":"cat","tags":["ééééé"]}`
		got := serve(api, do{"PUT", "/api/pets/1/", body, jsonHdr})
		if got.status != 200 {
			t.Fatalf("1000 two-byte characters: %d %s", got.status, got.body)
		}
	})
	t.Run("missing body fields and wrong types", func(t *testing.T) {
		got := serve(api, do{"PUT", "/api/pets/1/", `{"name":5,"tags":[1]}`, jsonHdr})
		expect(t, got, 400, `{"detail":[`+
			`{"msg":"Input should be a valid string","loc":["parsed_body","name"],"type":"value_error"},`+
			`{"msg":"Input should be a valid string","loc":["parsed_body","tags",0],"type":"value_error"},`+
			`{"msg":"Field required","loc":["parsed_body","age"],"type":"value_error"},`+
			`{"msg":"Field required","loc":["parsed_body","kind"],"type":"value_error"}]}`)
	})
	t.Run("empty body", func(t *testing.T) {
		got := serve(api, do{"PUT", "/api/pets/1/", "", jsonHdr})
		expect(t, got, 400, `{"detail":[{"msg":"Field required","loc":["parsed_body"],"type":"value_error"}]}`)
	})
	t.Run("malformed JSON", func(t *testing.T) {
		got := serve(api, do{"PUT", "/api/pets/1/", "{\"name\": \"x\",\n \"age\": 01}", jsonHdr})
		expect(t, got, 400, `{"detail":[{"msg":"Invalid JSON: expected `+"`,` or `}`"+` at line 2 column 10","loc":["parsed_body"],"type":"value_error"}]}`)
		got = serve(api, do{"PUT", "/api/pets/1/", "{\"name\": \"\xff\"}", jsonHdr})
		expect(t, got, 400, `{"detail":[{"msg":"Invalid JSON: invalid UTF-8 at line 1 column 11","loc":["parsed_body"],"type":"value_error"}]}`)
	})
	t.Run("unsupported content type", func(t *testing.T) {
		got := serve(api, do{"PUT", "/api/pets/1/", `<pet/>`, http.Header{"X-Api-Token": {"t"}, "Content-Type": {"application/xml; charset=utf-8"}}})
		expect(t, got, 400, `{"detail":[{"msg":"Cannot parse request body with content type 'application/xml', expected=['application/json']","type":"value_error"}]}`)
	})
	t.Run("json suffix content type", func(t *testing.T) {
		got := serve(api, do{"PUT", "/api/pets/1/", `{"name":"a","age":1,"kind":"cat"}`, http.Header{"X-Api-Token": {"t"}, "Content-Type": {"application/merge-patch+json"}}})
		if got.status != 200 {
			t.Fatalf("%d %s", got.status, got.body)
		}
	})
	t.Run("body too large", func(t *testing.T) {
		small := newPetAPI(t, dmr.Config{Prefix: "/api", BodyLimit: 64})
		got := serve(small, do{"PUT", "/api/pets/1/", `{"name":"` + strings.Repeat("a", 100) + `"}`, jsonHdr})
		expect(t, got, 413, `{"detail":[{"msg":"Request body is too large: the limit is 64 bytes","type":"value_error"}]}`)
		// Without a Content-Length the limit applies while reading.
		req := httptest.NewRequest("PUT", "/api/pets/1/", io.MultiReader(strings.NewReader(strings.Repeat(" ", 100))))
		req.ContentLength = -1
		req.Header = jsonHdr.Clone()
		rec := httptest.NewRecorder()
		small.ServeHTTP(rec, req)
		if rec.Code != 413 {
			t.Errorf("streamed: %d %s", rec.Code, rec.Body)
		}
	})
	t.Run("unknown fields rejected when configured", func(t *testing.T) {
		strict := newPetAPI(t, dmr.Config{Prefix: "/api", UnknownFields: dmr.RejectUnknownFields})
		got := serve(strict, do{"PUT", "/api/pets/1/", `{"name":"a","age":1,"kind":"cat","extra":{"x":[1]}}`, jsonHdr})
		expect(t, got, 400, `{"detail":[{"msg":"Extra inputs are not permitted","loc":["parsed_body","extra"],"type":"value_error"}]}`)
		doc := mustDocs(t, strict)
		if dig(doc, "components", "schemas", "Pet", "additionalProperties") != false {
			t.Error("additionalProperties: false missing from the document")
		}
	})
	mustDocs(t, api)
}

func TestRoutingErrors(t *testing.T) {
	api := newPetAPI(t, dmr.Config{Prefix: "/api"})
	expect(t, serve(api, do{"DELETE", "/api/pets/1/", "", nil}), 405,
		`{"detail":[{"msg":"Method 'DELETE' is not allowed, allowed: ['PUT']","type":"not_allowed"}]}`)
	if got := serve(api, do{"DELETE", "/api/pets/1/", "", nil}); got.header.Get("Allow") != "PUT" {
		t.Errorf("Allow: %q", got.header.Get("Allow"))
	}
	for _, p := range []string{"/api/pets/1", "/api/pets//", "/api/pets/1/x/", "/api/", "/api/nope/"} {
		expect(t, serve(api, do{"PUT", p, "", nil}), 404, `{"detail":[{"msg":"Page not found","type":"not_found"}]}`)
	}
}

func TestMethodNotAllowedLists(t *testing.T) {
	api := dmr.New(dmr.Config{})
	c := api.Controller(dmr.ControllerConfig{Name: "C", Path: "/x/"})
	h := func(ctx context.Context, _ *struct{}) (*string, error) { s := "x"; return &s, nil }
	dmr.Get(c, dmr.Operation{}, h)
	dmr.Post(c, dmr.Operation{}, h)
	got := serve(api, do{"PATCH", "/x/", "", nil})
	expect(t, got, 405, `{"detail":[{"msg":"Method 'PATCH' is not allowed, allowed: ['GET', 'POST']","type":"not_allowed"}]}`)
	if got.header.Get("Allow") != "GET, POST" {
		t.Errorf("Allow %q", got.header.Get("Allow"))
	}
}

func TestHandlerErrors(t *testing.T) {
	var logs bytes.Buffer
	api := newPetAPI(t, dmr.Config{Prefix: "/api", Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	pet := func(name string) string { return `{"name":"` + name + `","age":1,"kind":"cat"}` }
	t.Run("panic", func(t *testing.T) {
		expect(t, serve(api, do{"PUT", "/api/pets/1/", pet("panic"), jsonHdr}), 500,
			`{"detail":[{"msg":"Internal server error","type":"internal_error"}]}`)
		if !strings.Contains(logs.String(), "secret panic text") {
			t.Errorf("panic not logged: %s", logs.String())
		}
	})
	t.Run("plain error", func(t *testing.T) {
		expect(t, serve(api, do{"PUT", "/api/pets/1/", pet("plain error"), jsonHdr}), 500,
			`{"detail":[{"msg":"Internal server error","type":"internal_error"}]}`)
		if !strings.Contains(logs.String(), "database is down") {
			t.Errorf("error not logged")
		}
	})
	t.Run("undeclared error status", func(t *testing.T) {
		expect(t, serve(api, do{"PUT", "/api/pets/1/", pet("teapot"), jsonHdr}), 422,
			`{"detail":[{"msg":"Returned status code 418 is not specified in the list of allowed status codes: [200, 400, 422, 406]","type":"value_error"}]}`)
	})
	t.Run("invalid output", func(t *testing.T) {
		expect(t, serve(api, do{"PUT", "/api/pets/1/", pet("bad output"), jsonHdr}), 422,
			`{"detail":[{"msg":"String should have at least 1 character","loc":["name"],"type":"value_error"},`+
				`{"msg":"Input should be less than or equal to 100","loc":["age"],"type":"value_error"},`+
				`{"msg":"Input should be 'cat', 'dog' or 'bird'","loc":["kind"],"type":"value_error"}]}`)
	})
	t.Run("production mode", func(t *testing.T) {
		prod := newPetAPI(t, dmr.Config{Prefix: "/api", ValidateResponses: dmr.Off})
		expect(t, serve(prod, do{"PUT", "/api/pets/1/", pet("teapot"), jsonHdr}), 418,
			`{"detail":[{"msg":"short and stout","type":"user_msg"}]}`)
		expect(t, serve(prod, do{"PUT", "/api/pets/1/", pet("bad output"), jsonHdr}), 200,
			`{"name":"","age":200,"kind":"fish"}`)
		doc := mustDocs(t, prod)
		if dig(doc, "paths", "/api/pets/{id}/", "put", "responses", "422") != nil {
			t.Error("422 documented while validation is off")
		}
	})
}

func TestNotAcceptable(t *testing.T) {
	api := newPetAPI(t, dmr.Config{Prefix: "/api"})
	h := jsonHdr.Clone()
	h.Set("Accept", "text/html, application/xml;q=0.9")
	// 406 comes before parsing: the body is not even read.
	expect(t, serve(api, do{"PUT", "/api/pets/1/", `{`, h}), 406,
		`{"detail":[{"msg":"Cannot serialize response body with accepted types ['text/html', 'application/xml;q=0.9'], supported=['application/json']","type":"value_error"}]}`)
	h.Set("Accept", "text/html, */*;q=0.1")
	if got := serve(api, do{"PUT", "/api/pets/1/", `{"name":"a","age":1,"kind":"cat"}`, h}); got.status != 200 {
		t.Errorf("*/* accepted: %d", got.status)
	}
}

// TestCommitHooks checks that the hooks registered by middlewares run
// before every response, see its status, and that a failing hook replaces
// the response with its error.
func TestCommitHooks(t *testing.T) {
	api := newPetAPI(t, dmr.Config{Prefix: "/api"})
	var seen []int
	mw := func(fail error) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r = commit.Register(r, func(ctx context.Context, h http.Header, status int) error {
				seen = append(seen, status)
				h.Add("Set-Cookie", "sessionid=abc")
				return fail
			})
			api.ServeHTTP(w, r)
		})
	}
	got := serve(mw(nil), do{"PUT", "/api/pets/1/", `{"name":"a","age":1,"kind":"cat"}`, jsonHdr})
	if got.status != 200 || got.header.Get("Set-Cookie") != "sessionid=abc" {
		t.Errorf("success: %d %v", got.status, got.header)
	}
	got = serve(mw(nil), do{"PUT", "/api/pets/1/", `{}`, jsonHdr})
	if got.status != 400 || got.header.Get("Set-Cookie") != "sessionid=abc" {
		t.Errorf("error: %d %v", got.status, got.header)
	}
	got = serve(mw(nil), do{"GET", "/api/nowhere", "", nil})
	if got.status != 404 || got.header.Get("Set-Cookie") != "sessionid=abc" {
		t.Errorf("404: %d %v", got.status, got.header)
	}
	if want := []int{200, 400, 404}; len(seen) != 3 || seen[0] != want[0] || seen[1] != want[1] || seen[2] != want[2] {
		t.Errorf("hooks saw %v, want %v", seen, want)
	}
	interrupted := apierror.New(http.StatusBadRequest, "The session was deleted before the request finished", "user_msg")
	got = serve(mw(interrupted), do{"PUT", "/api/pets/1/", `{"name":"a","age":1,"kind":"cat"}`, jsonHdr})
	expect(t, got, 400, `{"detail":[{"msg":"The session was deleted before the request finished","type":"user_msg"}]}`)
	got = serve(mw(errors.New("redis down")), do{"PUT", "/api/pets/1/", `{"name":"a","age":1,"kind":"cat"}`, jsonHdr})
	expect(t, got, 500, `{"detail":[{"msg":"Internal server error","type":"internal_error"}]}`)
}

type ctxKey struct{}

// TestHandlerContext checks that handlers see middleware values and the
// request, and set headers and cookies through the typed output.
func TestHandlerContext(t *testing.T) {
	api := dmr.New(dmr.Config{})
	c := api.Controller(dmr.ControllerConfig{Name: "Me", Path: "/me"})
	type out struct {
		Status  int            `status:""`
		Request string         `header:"X-Request-Id"`
		Count   *int           `header:"X-Count"`
		Session *http.Cookie   `cookie:"sessionid"`
		More    []*http.Cookie `cookie:""`
		Body    map[string]any `body:""`
	}
	dmr.Get(c, dmr.Operation{Responses: []dmr.Response{{Status: http.StatusAccepted, Body: map[string]any{}}}},
		func(ctx context.Context, _ *struct{}) (*out, error) {
			r := dmr.Request(ctx)
			o := &out{Request: "req-1", Body: map[string]any{"user": ctx.Value(ctxKey{}), "host": r.Host}}
			o.Session = &http.Cookie{Value: "s1", Path: "/", HttpOnly: true}
			o.More = []*http.Cookie{{Name: "a", Value: "1"}}
			if r.URL.Query().Get("accepted") != "" {
				o.Status = http.StatusAccepted
			}
			return o, nil
		})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		api.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, "alice")))
	})
	got := serve(h, do{"GET", "/me", "", nil})
	expect(t, got, 200, `{"host":"example.com","user":"alice"}`)
	if got.header.Get("X-Request-Id") != "req-1" || got.header.Get("X-Count") != "" {
		t.Errorf("headers %v", got.header)
	}
	if ck := got.header.Values("Set-Cookie"); len(ck) != 2 || ck[0] != "sessionid=s1; Path=/; HttpOnly" || ck[1] != "a=1" {
		t.Errorf("cookies %q", ck)
	}
	if got := serve(h, do{"GET", "/me?accepted=1", "", nil}); got.status != http.StatusAccepted {
		t.Errorf("status field: %d", got.status)
	}
	doc := mustDocs(t, api)
	hdrs := dig(doc, "paths", "/me", "get", "responses", "200", "headers").(map[string]any)
	if d, _ := dig(hdrs, "Set-Cookie", "description").(string); !strings.Contains(d, "sessionid") {
		t.Errorf("Set-Cookie header %q does not name sessionid", d)
	}
	for _, k := range []string{"X-Request-Id", "X-Count", "Set-Cookie"} {
		if hdrs[k] == nil {
			t.Errorf("header %s not documented: %v", k, hdrs)
		}
	}
	if dig(hdrs, "X-Count", "required") != nil {
		t.Error("pointer header documented as required")
	}
}

func TestEnvelopeMissingRequiredHeader(t *testing.T) {
	api := dmr.New(dmr.Config{})
	c := api.Controller(dmr.ControllerConfig{Name: "C", Path: "/c"})
	type out struct {
		ID      string       `header:"X-Id"`
		Session *http.Cookie `cookie:"sessionid"`
	}
	dmr.Post(c, dmr.Operation{Status: http.StatusNoContent}, func(ctx context.Context, _ *struct{}) (*out, error) {
		return &out{}, nil
	})
	got := serve(api, do{"POST", "/c", "", nil})
	expect(t, got, 422, `{"detail":[{"msg":"Response has missing required {'X-Id'} headers","type":"value_error"},{"msg":"Response has missing required {'sessionid'} cookie","type":"value_error"}]}`)
	doc := mustDocs(t, api)
	if r := dig(doc, "paths", "/c", "post", "responses", "204").(map[string]any); r["content"] != nil || r["description"] != "No Content" {
		t.Errorf("204 response: %v", r)
	}
}

func TestQueryAndHeaderSlices(t *testing.T) {
	api := dmr.New(dmr.Config{})
	c := api.Controller(dmr.ControllerConfig{Name: "Search", Path: "/search"})
	type in struct {
		IDs   []int      `query:"id" maxItems:"3"`
		Flag  bool       `query:"flag" default:"false"`
		Q     string     `query:"q" required:"false" pattern:"^[a-z ]*$"`
		Since *time.Time `query:"since"`
		Ratio float64    `query:"ratio" default:"0.5" exclusiveMaximum:"1"`
	}
	dmr.Get(c, dmr.Operation{}, func(ctx context.Context, in *in) (*in, error) { return in, nil })
	got := serve(api, do{"GET", "/search?id=1&id=2&flag=yes&q=hello+world&since=2026-01-02T03:04:05Z", "", nil})
	expect(t, got, 200, `{"IDs":[1,2],"Flag":true,"Q":"hello world","Since":"2026-01-02T03:04:05Z","Ratio":0.5}`)
	got = serve(api, do{"GET", "/search?id=1&id=x&id=3&id=4&flag=maybe&q=UP&since=yesterday&ratio=1", "", nil})
	expect(t, got, 400, `{"detail":[`+
		`{"msg":"List should have at most 3 items after validation, not 4","loc":["parsed_query","id"],"type":"value_error"},`+
		`{"msg":"Input should be a valid boolean, unable to interpret input","loc":["parsed_query","flag"],"type":"value_error"},`+
		`{"msg":"String should match pattern '^[a-z ]*$'","loc":["parsed_query","q"],"type":"value_error"},`+
		`{"msg":"Input should be a valid datetime","loc":["parsed_query","since"],"type":"value_error"},`+
		`{"msg":"Input should be less than 1","loc":["parsed_query","ratio"],"type":"value_error"}]}`)
	mustDocs(t, api)
}

// TestQueryMethodDocument checks a 3.2-only feature end to end: a QUERY
// endpoint is served, documented under "query", valid for both 3.2
// validators, and dropped from the 3.1 downgrade (which stays valid).
func TestQueryMethodDocument(t *testing.T) {
	api := dmr.New(dmr.Config{Title: "Q"})
	c := api.Controller(dmr.ControllerConfig{Name: "Search", Path: "/search"})
	dmr.Register(c, dmr.MethodQuery, dmr.Operation{}, func(ctx context.Context, in *struct {
		Body Pet `body:""`
	}) (*[]Pet, error) {
		return &[]Pet{in.Body}, nil
	})
	dmr.Get(c, dmr.Operation{}, func(ctx context.Context, _ *struct{}) (*[]Pet, error) { return nil, nil })
	doc := mustDocs(t, api)
	if dig(doc, "paths", "/search", "query", "operationId") != "querySearchSearch" {
		t.Errorf("query operation missing: %v", dig(doc, "paths", "/search"))
	}
	b31, _ := api.DocumentJSON31()
	if strings.Contains(string(b31), `"query"`) || !strings.Contains(string(b31), `"openapi":"3.1.0"`) {
		t.Errorf("3.1 downgrade: %s", b31)
	}
	got := serve(api, do{"GET", "/search", "", nil})
	expect(t, got, 200, `[]`)
	got = serve(api, do{"QUERY", "/search", `{"name":"a","age":1,"kind":"cat"}`, nil})
	expect(t, got, 200, `[{"name":"a","age":1,"kind":"cat"}]`)
	r := serve(api.OpenAPI31Handler(), do{"GET", "/", "", nil})
	if r.status != 200 || r.header.Get("Content-Type") != "application/json" {
		t.Errorf("3.1 handler: %d %v", r.status, r.header)
	}
}

func TestErrorWithoutErrorStatus(t *testing.T) {
	api := dmr.New(dmr.Config{Logger: quietLogger()})
	c := api.Controller(dmr.ControllerConfig{Name: "C", Path: "/c"})
	dmr.Get(c, dmr.Operation{}, func(ctx context.Context, _ *struct{}) (*string, error) {
		return nil, &apierror.Error{Status: 0}
	})
	expect(t, serve(api, do{"GET", "/c", "", nil}), 500, `{"detail":[{"msg":"Internal server error","type":"internal_error"}]}`)
}
