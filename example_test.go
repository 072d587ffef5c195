package dmr_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/apierror"
)

type User struct {
	ID   int    `json:"id"`
	Name string `json:"name" minLength:"1" maxLength:"50"`
}

func Example() {
	api := dmr.New(dmr.Config{Title: "Users", Prefix: "/api"})
	users := api.Controller(dmr.ControllerConfig{Name: "UserController", Path: "/users/{id}/"})
	dmr.Get(users, dmr.Operation{Summary: "Get a user"}, func(ctx context.Context, in *struct {
		ID int `path:"id" minimum:"1"`
	}) (*User, error) {
		return &User{ID: in.ID, Name: "Ada"}, nil
	})

	mux := http.NewServeMux()
	mux.Handle("/api/", api)
	mux.Handle("GET /docs/openapi.json", api.OpenAPIHandler())

	for _, path := range []string{"/api/users/7/", "/api/users/0/", "/api/users/x/y/"} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		fmt.Println(rec.Code, rec.Body.String())
	}
	// Output:
	// 200 {"id":7,"name":"Ada"}
	// 400 {"detail":[{"msg":"Input should be greater than or equal to 1","loc":["parsed_path","id"],"type":"value_error"}]}
	// 404 {"detail":[{"msg":"Page not found","type":"not_found"}]}
}

func ExampleRegister() {
	api := dmr.New(dmr.Config{})
	c := api.Controller(dmr.ControllerConfig{Name: "Search", Path: "/search"})
	type query struct {
		Body struct {
			Text string `json:"text" maxLength:"100"`
		} `body:""`
	}
	// QUERY is a safe method with a body, documented under "query" in 3.2.
	dmr.Register(c, dmr.MethodQuery, dmr.Operation{}, func(ctx context.Context, in *query) (*[]string, error) {
		return &[]string{"result for " + in.Body.Text}, nil
	})
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, httptest.NewRequest("QUERY", "/search", strings.NewReader(`{"text":"go"}`)))
	fmt.Println(rec.Code, rec.Body.String())
	// Output:
	// 200 ["result for go"]
}

func ExamplePost() {
	api := dmr.New(dmr.Config{})
	c := api.Controller(dmr.ControllerConfig{Name: "Users", Path: "/users"})
	type created struct {
		Location string `header:"Location"`
		Body     User   `body:""`
	}
	dmr.Post(c, dmr.Operation{Responses: []dmr.Response{{Status: http.StatusConflict}}},
		func(ctx context.Context, in *struct {
			Body User `body:""`
		}) (*created, error) {
			if in.Body.Name == "taken" {
				return nil, apierror.New(http.StatusConflict, "Name already taken", apierror.TypeUserMsg)
			}
			return &created{Location: fmt.Sprint("/users/", in.Body.ID), Body: in.Body}, nil
		})
	for _, body := range []string{`{"id":1,"name":"Ada"}`, `{"id":2,"name":"taken"}`, `{"id":"3"}`} {
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, httptest.NewRequest("POST", "/users", strings.NewReader(body)))
		fmt.Println(rec.Code, rec.Header().Get("Location"), rec.Body.String())
	}
	// Output:
	// 201 /users/1 {"id":1,"name":"Ada"}
	// 409  {"detail":[{"msg":"Name already taken","type":"user_msg"}]}
	// 400  {"detail":[{"msg":"Input should be a valid integer","loc":["parsed_body","id"],"type":"value_error"},{"msg":"Field required","loc":["parsed_body","name"],"type":"value_error"}]}
}

func ExampleAPI_OpenAPIHandler() {
	api := dmr.New(dmr.Config{Title: "Demo", Version: "1.0.0"})
	c := api.Controller(dmr.ControllerConfig{Name: "Ping", Path: "/ping"})
	dmr.Get(c, dmr.Operation{}, func(ctx context.Context, _ *struct{}) (*string, error) {
		s := "pong"
		return &s, nil
	})
	rec := httptest.NewRecorder()
	api.OpenAPIHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/openapi.json", nil))
	var doc struct {
		OpenAPI string `json:"openapi"`
		Paths   map[string]map[string]struct {
			OperationID string `json:"operationId"`
		} `json:"paths"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &doc)
	fmt.Println(doc.OpenAPI, doc.Paths["/ping"]["get"].OperationID)
	// Output:
	// 3.2.0 getPingPing
}

func ExampleDocsHandler() {
	docs, err := dmr.DocsHandler(dmr.DocsOptions{SpecURL: "/docs/openapi.json"})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/docs/", docs)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/docs/", nil))
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	// Output:
	// 200 text/html; charset=utf-8
}

func ExampleRequest() {
	api := dmr.New(dmr.Config{})
	c := api.Controller(dmr.ControllerConfig{Name: "Echo", Path: "/ip"})
	dmr.Get(c, dmr.Operation{}, func(ctx context.Context, _ *struct{}) (*string, error) {
		r := dmr.Request(ctx)
		return &r.RemoteAddr, nil
	})
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, httptest.NewRequest("GET", "/ip", nil))
	fmt.Println(rec.Body.String())
	// Output:
	// "192.0.2.1:1234"
}
