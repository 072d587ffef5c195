package dmr_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/dmr-go/dmr"
)

func TestRoute(t *testing.T) {
	api := newPetAPI(t, dmr.Config{Prefix: "/api"})
	api.Controller(dmr.ControllerConfig{Name: "Static", Path: "/pets/"})
	for _, tt := range []struct{ method, path, want string }{
		{"PUT", "/api/pets/7/", "/api/pets/{id}/"},
		{"DELETE", "/api/pets/abc/", "/api/pets/{id}/"}, // any method: 405 is still this route
		{"GET", "/api/pets/", "/api/pets/"},
		{"GET", "/api/pets/7", ""},
		{"GET", "/api/pets/7/x/", ""},
		{"GET", "/api/", ""},
		{"GET", "/elsewhere", ""},
	} {
		r := httptest.NewRequest(tt.method, tt.path, nil)
		if got := api.Route(r); got != tt.want {
			t.Errorf("Route(%s %s) = %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
}

// After PrepareRoute, Route reads the route ServeHTTP recorded (the path
// changed afterwards no longer matters), and only for the API that served.
func TestRouteRecorded(t *testing.T) {
	api := newPetAPI(t, dmr.Config{Prefix: "/api"})
	other := newPetAPI(t, dmr.Config{Prefix: "/api"})
	for _, tt := range []struct{ method, path, want string }{
		{"PUT", "/api/pets/7/", "/api/pets/{id}/"},
		{"DELETE", "/api/pets/abc/", "/api/pets/{id}/"},
		{"GET", "/api/nope/", ""},
	} {
		var seen *http.Request
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = r; api.ServeHTTP(w, r) })
		r := dmr.PrepareRoute(httptest.NewRequest(tt.method, tt.path, nil))
		h.ServeHTTP(httptest.NewRecorder(), r)
		if seen != r {
			t.Fatal("the prepared request was copied")
		}
		r.URL.Path = "/elsewhere"
		if got := api.Route(r); got != tt.want {
			t.Errorf("Route(%s %s) after serving = %q, want %q", tt.method, tt.path, got, tt.want)
		}
		if got := other.Route(r); got != "" {
			t.Errorf("another API's Route(%s %s) = %q, want \"\"", tt.method, tt.path, got)
		}
	}
}

// deadlineReader yields part of a body, then fails as a connection whose
// read deadline expired does.
type deadlineReader struct{ r io.Reader }

func (d *deadlineReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err == io.EOF {
		return n, fmt.Errorf("read tcp 127.0.0.1:1->127.0.0.1:2: %w", os.ErrDeadlineExceeded)
	}
	return n, err
}

func TestBodyReadTimeoutIs408(t *testing.T) {
	// Validation is on and no endpoint declares 408: it is protocol-level.
	api := newPetAPI(t, dmr.Config{Prefix: "/api"})
	req := httptest.NewRequest("PUT", "/api/pets/1/", &deadlineReader{strings.NewReader(`{"name":"a"`)})
	req.Header = jsonHdr.Clone()
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, req)
	expect(t, result{rec.Code, rec.Header(), rec.Body.String()}, 408,
		`{"detail":[{"msg":"Request body was not received in time","type":"value_error"}]}`)

	// Other read errors stay a 400 on the body.
	req = httptest.NewRequest("PUT", "/api/pets/1/", io.MultiReader(strings.NewReader("{"), errReader{}))
	req.Header = jsonHdr.Clone()
	rec = httptest.NewRecorder()
	api.ServeHTTP(rec, req)
	expect(t, result{rec.Code, rec.Header(), rec.Body.String()}, 400,
		`{"detail":[{"msg":"Cannot read the request body","loc":["parsed_body"],"type":"value_error"}]}`)
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func ExampleAPI_Route() {
	api := dmr.New(dmr.Config{Prefix: "/api"})
	users := api.Controller(dmr.ControllerConfig{Name: "UserController", Path: "/users/{id}/"})
	dmr.Get(users, dmr.Operation{}, func(ctx context.Context, in *struct {
		ID int `path:"id"`
	}) (*int, error) {
		return &in.ID, nil
	})
	r := httptest.NewRequest(http.MethodGet, "/api/users/7/", nil)
	fmt.Printf("%q\n", api.Route(r))
	fmt.Printf("%q\n", api.Route(httptest.NewRequest(http.MethodGet, "/api/nope/", nil)))
	// Output:
	// "/api/users/{id}/"
	// ""
}
