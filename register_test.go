package dmr_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/security"
)

func panicMessage(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}

type noTag struct {
	X int
}

type withBody struct {
	Body struct{ A int } `body:""`
}

type badPath struct {
	ID int `path:"uid"`
}

type badConstraint struct {
	N int `query:"n" maxLength:"3"`
}

type badPattern struct {
	S string `query:"s" pattern:"("`
}

type chanField struct {
	Body struct{ C chan int } `body:""`
}

func TestRegistrationErrors(t *testing.T) {
	str := func(ctx context.Context, _ *struct{}) (*string, error) { return nil, nil }
	for _, tc := range []struct {
		name string
		reg  func(api *dmr.API)
		want string
	}{
		{"duplicate operationId", func(api *dmr.API) {
			a := api.Controller(dmr.ControllerConfig{Name: "A", Path: "/a"})
			b := api.Controller(dmr.ControllerConfig{Name: "B", Path: "/b"})
			dmr.Get(a, dmr.Operation{OperationID: "same"}, str)
			dmr.Get(b, dmr.Operation{OperationID: "same"}, str)
		}, `operation ID "same" is already used by GET /a`},
		{"body on GET", func(api *dmr.API) {
			dmr.Get(api.Controller(dmr.ControllerConfig{Name: "A", Path: "/a"}), dmr.Operation{},
				func(ctx context.Context, _ *withBody) (*string, error) { return nil, nil })
		}, "a GET request cannot have a body"},
		{"untagged input field", func(api *dmr.API) {
			dmr.Get(api.Controller(dmr.ControllerConfig{Name: "A", Path: "/a"}), dmr.Operation{},
				func(ctx context.Context, _ *noTag) (*string, error) { return nil, nil })
		}, "field X needs a path, query, header, cookie or body tag"},
		{"path parameter without field", func(api *dmr.API) {
			dmr.Get(api.Controller(dmr.ControllerConfig{Name: "A", Path: "/a/{id}"}), dmr.Operation{}, str)
		}, `has parameter {id} but no field has the tag path:"id"`},
		{"path field not in path", func(api *dmr.API) {
			dmr.Get(api.Controller(dmr.ControllerConfig{Name: "A", Path: "/a/{id}"}), dmr.Operation{},
				func(ctx context.Context, _ *badPath) (*string, error) { return nil, nil })
		}, `path parameter "uid" is not in the path /a/{id}`},
		{"string constraint on int", func(api *dmr.API) {
			dmr.Get(api.Controller(dmr.ControllerConfig{Name: "A", Path: "/a"}), dmr.Operation{},
				func(ctx context.Context, _ *badConstraint) (*string, error) { return nil, nil })
		}, "minLength, maxLength, pattern and format apply to strings, not int"},
		{"bad pattern", func(api *dmr.API) {
			dmr.Get(api.Controller(dmr.ControllerConfig{Name: "A", Path: "/a"}), dmr.Operation{},
				func(ctx context.Context, _ *badPattern) (*string, error) { return nil, nil })
		}, "missing closing )"},
		{"unsupported type", func(api *dmr.API) {
			dmr.Post(api.Controller(dmr.ControllerConfig{Name: "A", Path: "/a"}), dmr.Operation{},
				func(ctx context.Context, _ *chanField) (*string, error) { return nil, nil })
		}, "unsupported type chan int"},
		{"body with 204", func(api *dmr.API) {
			dmr.Get(api.Controller(dmr.ControllerConfig{Name: "A", Path: "/a"}), dmr.Operation{Status: 204}, str)
		}, "status 204 cannot have a body"},
		{"status declared twice", func(api *dmr.API) {
			dmr.Get(api.Controller(dmr.ControllerConfig{Name: "A", Path: "/a"}),
				dmr.Operation{Responses: []dmr.Response{{Status: 200}}}, str)
		}, "status 200 is declared twice"},
		{"same method twice", func(api *dmr.API) {
			c := api.Controller(dmr.ControllerConfig{Name: "A", Path: "/a"})
			dmr.Get(c, dmr.Operation{}, str)
			dmr.Get(c, dmr.Operation{OperationID: "other"}, str)
		}, "GET /a is registered twice"},
		{"same path twice", func(api *dmr.API) {
			api.Controller(dmr.ControllerConfig{Name: "A", Path: "/a/{x}"})
			api.Controller(dmr.ControllerConfig{Name: "B", Path: "/a/{y}"})
		}, "path /a/{y} is already served by controller A"},
		{"lower-case method", func(api *dmr.API) {
			dmr.Register(api.Controller(dmr.ControllerConfig{Name: "A", Path: "/a"}), "get", dmr.Operation{}, str)
		}, "method must be an upper-case HTTP method"},
		{"nil auth", func(api *dmr.API) {
			dmr.Get(api.Controller(dmr.ControllerConfig{Name: "A", Path: "/a", Auth: []security.Auth{nil}}), dmr.Operation{}, str)
		}, "auth 0 is nil"},
		{"conflicting schemes", func(api *dmr.API) {
			c := api.Controller(dmr.ControllerConfig{Name: "A", Path: "/a"})
			dmr.Get(c, dmr.Operation{Auth: []security.Auth{headerAuth{"tok", "X-A", "a", "u"}, headerAuth{"tok", "X-B", "b", "u"}}}, str)
		}, `security scheme "tok" is defined differently`},
		{"Set-Cookie header", func(api *dmr.API) {
			dmr.Get(api.Controller(dmr.ControllerConfig{Name: "A", Path: "/a"}),
				dmr.Operation{Headers: []dmr.Header{{Name: "set-cookie"}}}, str)
		}, "document cookies with Operation.Cookies"},
		{"two types with one schema name", func(api *dmr.API) {
			c := api.Controller(dmr.ControllerConfig{Name: "A", Path: "/a"})
			type Pet struct{ Other int }
			dmr.Get(c, dmr.Operation{Responses: []dmr.Response{{Status: 202, Body: Pet{}}}},
				func(ctx context.Context, _ *struct{}) (*[]sameNamePet, error) { return nil, nil })
		}, `two types are named "Pet"`},
		{"after serving", func(api *dmr.API) {
			c := api.Controller(dmr.ControllerConfig{Name: "A", Path: "/a"})
			serve(api, do{"GET", "/", "", nil})
			dmr.Get(c, dmr.Operation{}, str)
		}, "registered after the API started serving"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := dmr.New(dmr.Config{})
			msg := panicMessage(func() { tc.reg(api) })
			if !strings.Contains(msg, tc.want) {
				t.Errorf("panic %q\nwant it to contain %q", msg, tc.want)
			}
		})
	}
}

// sameNamePet is named Pet in the document, like the test's local Pet.
type sameNamePet struct{ Name string }

func (sameNamePet) SchemaName() string { return "Pet" }
