package jwtauth_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/hashers"
	"github.com/dmr-go/dmr/security"
	"github.com/dmr-go/dmr/security/jwtauth"
)

// An API whose endpoints take SimpleJWT access tokens, with SimpleJWT's
// obtain, refresh and verify endpoints.
func Example() {
	ctx := context.Background()
	users := &auth.MemoryUsers{}
	a, _ := auth.New(auth.Options{SecretKey: []byte("django-secret-key"), Users: users,
		Hashers: &hashers.Hashers{List: []hashers.Hasher{&hashers.PBKDF2{Iterations: 1000}}}})
	_, _ = a.CreateUser(ctx, auth.NewUser{Username: "alice", Password: "pw"})

	// HS256 with Django's SECRET_KEY: SimpleJWT's defaults.
	j, err := jwtauth.New(jwtauth.Options{Auth: a, SigningKey: []byte("django-secret-key")})
	if err != nil {
		panic(err)
	}
	api := dmr.New(dmr.Config{Title: "Notes", Version: "1", Prefix: "/api"})
	j.Register(api, jwtauth.EndpointOptions{})
	notes := api.Controller(dmr.ControllerConfig{Name: "Notes", Path: "/notes/", Auth: []security.Auth{j}})
	dmr.Get(notes, dmr.Operation{}, func(ctx context.Context, _ *struct{}) (*string, error) {
		s := "notes of " + auth.UserFromContext(ctx).Username
		return &s, nil
	})

	r := httptest.NewRequest("POST", "/api/token/", strings.NewReader(`{"username":"alice","password":"pw"}`))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	api.ServeHTTP(w, r)
	fmt.Println("obtain:", w.Code)
	access := strings.Split(w.Body.String(), `"access":"`)[1]
	access = access[:strings.IndexByte(access, '"')]

	r = httptest.NewRequest("GET", "/api/notes/", nil)
	r.Header.Set("Authorization", "Bearer "+access)
	w = httptest.NewRecorder()
	api.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Body.String())

	r = httptest.NewRequest("GET", "/api/notes/", nil)
	r.Header.Set("Authorization", "Bearer not-a-token")
	w = httptest.NewRecorder()
	api.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Header().Get("WWW-Authenticate"), w.Body.String())
	// Output:
	// obtain: 200
	// 200 "notes of alice"
	// 401 Bearer realm="api" {"detail":[{"msg":"Token is invalid","type":"security"}]}
}

// ParseBearer reads an Authorization header as SimpleJWT does.
func ExampleParseBearer() {
	for _, h := range []string{"Bearer abc.def.ghi", "Basic YWxpY2U6cHc=", "Bearer a b"} {
		tok, ok, err := jwtauth.ParseBearer(h, []string{"Bearer"})
		fmt.Printf("%q %v %v\n", tok, ok, err)
	}
	// Output:
	// "abc.def.ghi" true <nil>
	// "" false <nil>
	// "" false jwtauth: Authorization header must contain two space-delimited values
}
