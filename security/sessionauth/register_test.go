package sessionauth_test

import (
	"context"
	"strings"
	"testing"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/csrf"
	"github.com/dmr-go/dmr/security/sessionauth"
)

type customPayload struct {
	Email string `json:"email"`
	Pw    string `json:"pw"`
}

type customResponse struct {
	ID string `json:"id"`
}

func mustPanic(t *testing.T, contains string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		p := recover()
		if p == nil {
			t.Fatalf("no panic (want one about %q)", contains)
		}
		if !strings.Contains(p.(string), contains) {
			t.Fatalf("panic %q does not mention %q", p, contains)
		}
	}()
	f()
}

// Registration follows dmr's rule (like http.ServeMux.Handle): programmer
// errors panic, and a refused login registers nothing.
func TestRegistrationPanics(t *testing.T) {
	p, _ := csrf.New(csrf.Options{})
	a, _ := auth.New(auth.Options{SecretKey: []byte("k"), Users: &auth.MemoryUsers{}})
	sa, err := sessionauth.New(sessionauth.Options{Auth: a, CSRF: p})
	if err != nil {
		t.Fatal(err)
	}
	api := dmr.New(dmr.Config{Prefix: "/api"})
	mustPanic(t, "Credentials is required", func() {
		sa.RegisterLogin(api, sessionauth.LoginOptions[customPayload, sessionauth.DjangoSessionResponse]{})
	})
	mustPanic(t, "Response is required", func() {
		sa.RegisterLogin(api, sessionauth.LoginOptions[sessionauth.DjangoSessionPayload, customResponse]{})
	})
	// Nothing was left behind: the default login takes the same path.
	c := sa.RegisterLogin(api, nil)
	if c.Path() != "/api/auth/" {
		t.Errorf("login path %s", c.Path())
	}
	// A custom login with both hooks, elsewhere.
	sa.RegisterLogin(api, sessionauth.LoginOptions[customPayload, customResponse]{
		Path: "/login/", ControllerName: "EmailLogin",
		Credentials: func(_ context.Context, p *customPayload) (auth.Credentials, error) {
			return auth.Credentials{"username": p.Email, "password": p.Pw}, nil
		},
		Response: func(_ context.Context, u *auth.User) (*customResponse, error) { return &customResponse{ID: u.ID}, nil },
	})
	mustPanic(t, "already served", func() { sa.RegisterLogout(api, sessionauth.LogoutOptions{Path: "/auth/"}) })
	mustPanic(t, "already served", func() { sa.RegisterCSRF(api, sessionauth.CSRFOptions{Path: "/login/"}) })
	mustPanic(t, "no Allow function", func() { sa.With(sessionauth.Check{Requires: "x"}) })
	sa.RegisterLogout(api, sessionauth.LogoutOptions{})
	sa.RegisterCSRF(api, sessionauth.CSRFOptions{})
	if _, err := api.DocumentJSON(); err != nil {
		t.Fatal(err)
	}
}
