package security_test

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/openapi"
	"github.com/dmr-go/dmr/security"
)

type userKey struct{}

// TokenAuth is a toy auth: a fixed token in the X-API-Token header.
type TokenAuth struct {
	Token string
}

// Authenticate implements security.Auth.
func (a TokenAuth) Authenticate(r *http.Request) (*http.Request, error) {
	got := r.Header.Get("X-API-Token")
	if got == "" {
		return nil, nil // not mine: let the next auth try
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(a.Token)) != 1 {
		return nil, security.ErrNotAuthenticated // present but wrong: 401
	}
	ctx := context.WithValue(r.Context(), userKey{}, "token-user")
	return r.WithContext(ctx), nil
}

// Describe implements security.Auth.
func (TokenAuth) Describe(security.Operation) security.Description {
	return security.Description{
		Schemes: map[string]*openapi.SecurityScheme{
			"token": {Type: "apiKey", In: "header", Name: "X-API-Token", Description: "Opaque token authentication"},
		},
		Requirement: openapi.SecurityRequirement{"token": {}},
		Responses:   []security.Response{security.NotAuthenticatedResponse()},
	}
}

func Example() {
	api := dmr.New(dmr.Config{Auth: []security.Auth{TokenAuth{Token: "s3cret"}}})
	c := api.Controller(dmr.ControllerConfig{Name: "Me", Path: "/me"})
	dmr.Get(c, dmr.Operation{}, func(ctx context.Context, _ *struct{}) (*string, error) {
		user := ctx.Value(userKey{}).(string)
		return &user, nil
	})

	for _, token := range []string{"", "wrong", "s3cret"} {
		req := httptest.NewRequest("GET", "/me", nil)
		if token != "" {
			req.Header.Set("X-API-Token", token)
		}
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		fmt.Println(rec.Code, rec.Body.String())
	}
	// Output:
	// 401 {"detail":[{"msg":"Not authenticated","type":"security"}]}
	// 401 {"detail":[{"msg":"Not authenticated","type":"security"}]}
	// 200 "token-user"
}
