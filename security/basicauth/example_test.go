package basicauth_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/hashers"
	"github.com/dmr-go/dmr/auth/loginthrottle"
	"github.com/dmr-go/dmr/security"
	"github.com/dmr-go/dmr/security/basicauth"
)

// An endpoint protected by HTTP Basic against Django users, with the
// failed-login throttle.
func Example() {
	a, _ := auth.New(auth.Options{
		SecretKey: []byte("example secret key"),
		Users:     &auth.MemoryUsers{},
		Hashers:   &hashers.Hashers{List: []hashers.Hasher{&hashers.PBKDF2{Iterations: 1000}}},
	})
	_, _ = a.CreateUser(context.Background(), auth.NewUser{Username: "robot", Password: "s3cret"})
	throttle, _ := loginthrottle.New(loginthrottle.Options{}) // share it with the login endpoint
	ba, _ := basicauth.New(basicauth.Options{Auth: a, Throttle: throttle})

	api := dmr.New(dmr.Config{Prefix: "/api"})
	c := api.Controller(dmr.ControllerConfig{Name: "Me", Path: "/me/", Auth: []security.Auth{ba}})
	dmr.Get(c, dmr.Operation{}, func(ctx context.Context, _ *struct{}) (*string, error) {
		name := auth.UserFromContext(ctx).Username
		return &name, nil
	})

	for _, authz := range []string{basicauth.Encode("robot", "s3cret"), basicauth.Encode("robot", "guess"), ""} {
		r := httptest.NewRequest("GET", "/api/me/", nil)
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		w := httptest.NewRecorder()
		api.ServeHTTP(w, r)
		fmt.Println(strings.TrimSpace(fmt.Sprint(w.Code, " ", w.Body.String(), " ", w.Header().Get("WWW-Authenticate"))))
	}
	// Output:
	// 200 "robot"
	// 401 {"detail":[{"msg":"Not authenticated","type":"security"}]} Basic realm="api", charset="UTF-8"
	// 401 {"detail":[{"msg":"Not authenticated","type":"security"}]} Basic realm="api", charset="UTF-8"
}

func ExampleParseBasic() {
	fmt.Println(basicauth.ParseBasic("Basic cm9ib3Q6czNjcjp0"))
	fmt.Println(basicauth.ParseBasic("Bearer abc"))
	fmt.Println(basicauth.ParseBasic("basic bm8tY29sb24="))
	// Output:
	// robot s3cr:t <nil>
	//   basicauth: not Basic credentials
	//   basicauth: malformed Basic credentials
}

func ExampleEncode() {
	fmt.Println(basicauth.Encode("robot", "s3cr:t"))
	// Output: Basic cm9ib3Q6czNjcjp0
}
