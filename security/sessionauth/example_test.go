package sessionauth_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/hashers"
	"github.com/dmr-go/dmr/csrf"
	"github.com/dmr-go/dmr/security"
	"github.com/dmr-go/dmr/security/sessionauth"
	"github.com/dmr-go/dmr/sessions"
)

// A session-protected endpoint and the login endpoint, on in-memory stores.
func Example() {
	sm, _ := sessions.NewMiddleware(sessions.Options{Store: &sessions.MemoryStore{}})
	protect, _ := csrf.New(csrf.Options{})
	users := &auth.MemoryUsers{}
	a, _ := auth.New(auth.Options{
		SecretKey: []byte("example secret key"),
		Users:     users,
		Hashers:   &hashers.Hashers{List: []hashers.Hasher{&hashers.PBKDF2{Iterations: 1000}}},
	})
	_, _ = a.CreateUser(context.Background(), auth.NewUser{Username: "test_user", Password: "password"})

	// The auth, CSRF protector and session cookie name, given once.
	sa, _ := sessionauth.New(sessionauth.Options{Auth: a, CSRF: protect, SessionCookieName: sm.CookieName()})
	api := dmr.New(dmr.Config{Prefix: "/api"})
	sa.RegisterLogin(api, sessionauth.DefaultLoginOptions{}) // POST /api/auth/
	me := api.Controller(dmr.ControllerConfig{Name: "APIController", Path: "/apicontroller/", Auth: []security.Auth{sa}})
	dmr.Get(me, dmr.Operation{}, func(ctx context.Context, _ *struct{}) (*string, error) {
		name := auth.UserFromContext(ctx).Username // never nil: anonymous when nobody is logged in
		return &name, nil
	})
	h := sm.Handler(protect.Middleware(a.Middleware(api)))

	// Log in, then call the protected endpoint with the session cookie.
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/api/auth/", strings.NewReader(`{"username":"test_user","password":"password"}`)))
	fmt.Println(w.Code, w.Body.String())
	r := httptest.NewRequest("GET", "/api/apicontroller/", nil)
	for _, c := range w.Result().Cookies() {
		r.AddCookie(c)
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Body.String())

	// Without the cookie:
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/api/apicontroller/", nil))
	fmt.Println(w.Code, w.Body.String())
	// Output:
	// 200 {"user_id":"1"}
	// 200 "test_user"
	// 401 {"detail":[{"msg":"Not authenticated","type":"security"}]}
}

// PermissionRequired composes with StaffOnly: every check must pass, after
// the CSRF check. The permission check is documented on the 403 response.
func ExamplePermissionRequired() {
	protect, _ := csrf.New(csrf.Options{})
	a, _ := auth.New(auth.Options{SecretKey: []byte("example secret key"), Users: &auth.MemoryUsers{}})
	sa, _ := sessionauth.New(sessionauth.Options{Auth: a, CSRF: protect})
	api := dmr.New(dmr.Config{Prefix: "/api"})
	editors := sa.With(sessionauth.StaffOnly(), sessionauth.PermissionRequired("notes.change_note"))
	c := api.Controller(dmr.ControllerConfig{Name: "EditController", Path: "/edit/", Auth: []security.Auth{editors}})
	dmr.Get(c, dmr.Operation{}, func(ctx context.Context, _ *struct{}) (*string, error) {
		s := "ok"
		return &s, nil
	})
	doc, _ := api.Document()
	fmt.Println(doc.Paths["/api/edit/"].Get.Responses["403"].Description)
	// Output: Raised when permission check failed (requires staff status and the permission notes.change_note)
}

// Requires is the end of the documented 403 of an auth with checks.
func ExampleRequires() {
	fmt.Println(sessionauth.PermissionDescription + sessionauth.Requires([]sessionauth.Check{
		sessionauth.StaffOnly(), sessionauth.PermissionRequired("notes.change_note"),
	}))
	// Output: Raised when permission check failed (requires staff status and the permission notes.change_note)
}
