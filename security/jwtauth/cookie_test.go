package jwtauth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/csrf"
	"github.com/dmr-go/dmr/security"
	"github.com/dmr-go/dmr/security/jwtauth"
)

// The optional cookie transport: the token endpoints set an HttpOnly
// cookie; a request with the cookie and no bearer header is authenticated,
// and its unsafe methods need the CSRF token, as a session's do.
func TestCookieTransport(t *testing.T) {
	f := newFixture(t)
	if _, err := jwtauth.New(jwtauth.Options{Auth: f.auth, SigningKey: secret, Cookie: "access_token"}); err == nil {
		t.Fatal("Cookie without CSRF accepted")
	}
	p, _ := csrf.New(csrf.Options{})
	j := f.jwt(t, jwtauth.Options{Cookie: "access_token", CSRF: p})
	api := dmr.New(dmr.Config{Title: "t", Version: "1", Prefix: "/api"})
	j.Register(api, jwtauth.EndpointOptions{})
	c := api.Controller(dmr.ControllerConfig{Name: "Me", Path: "/me/", Auth: []security.Auth{j}})
	who := func(ctx context.Context, _ *struct{}) (*string, error) {
		s := auth.UserFromContext(ctx).Username
		return &s, nil
	}
	dmr.Get(c, dmr.Operation{}, who)
	dmr.Post(c, dmr.Operation{Status: 200}, who)

	w := obtain(api, `{"username":"alice","password":"pw"}`)
	if w.Code != 200 {
		t.Fatalf("obtain: %d %s", w.Code, w.Body)
	}
	var cookie *http.Cookie
	for _, ck := range w.Result().Cookies() {
		if ck.Name == "access_token" {
			cookie = ck
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Path != "/" || cookie.MaxAge != 300 {
		t.Fatalf("cookie %+v", cookie)
	}
	if !strings.Contains(w.Body.String(), `"access":"`+cookie.Value+`"`) {
		t.Fatalf("the cookie is not the body's access token")
	}
	do := func(method string, cookies []*http.Cookie, header map[string]string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "/api/me/", nil)
		for _, ck := range cookies {
			r.AddCookie(ck)
		}
		for k, v := range header {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		api.ServeHTTP(w, r)
		return w
	}
	if w := do("GET", []*http.Cookie{cookie}, nil); w.Code != 200 || w.Body.String() != `"alice"` {
		t.Fatalf("GET with the cookie: %d %s", w.Code, w.Body)
	}
	if w := do("POST", []*http.Cookie{cookie}, nil); w.Code != 403 {
		t.Fatalf("POST with the cookie, no CSRF token: %d %s", w.Code, w.Body)
	}
	const csrfSecret = "abcdefghijklmnopqrstuvwxyzABCDEF"
	if w := do("POST", []*http.Cookie{cookie, {Name: "csrftoken", Value: csrfSecret}}, map[string]string{"X-CSRFToken": csrfSecret}); w.Code != 200 {
		t.Fatalf("POST with the cookie and the CSRF token: %d %s", w.Code, w.Body)
	}
	if w := do("POST", nil, map[string]string{"Authorization": "Bearer " + cookie.Value}); w.Code != 200 {
		t.Fatalf("POST with the bearer header (no CSRF needed): %d %s", w.Code, w.Body)
	}
	if w := do("GET", []*http.Cookie{{Name: "access_token", Value: "garbage"}}, nil); w.Code != 401 {
		t.Fatalf("GET with a bad cookie: %d", w.Code)
	}
}
