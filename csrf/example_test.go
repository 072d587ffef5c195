package csrf_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/csrf"
)

func ExampleNew() {
	p, err := csrf.New(csrf.Options{
		TrustedOrigins: []string{"https://*.example.com"},
	})
	if err != nil {
		log.Fatal(err)
	}
	_ = p
	_, err = csrf.New(csrf.Options{TrustedOrigins: []string{"example.com"}})
	fmt.Println(err)
	// Output:
	// csrf: trusted origin "example.com": must start with a scheme, like "https://"
}

// A form page: the middleware keeps the state, GetToken renders the hidden
// field, and the cookie goes out with the response.
func ExampleGetToken() {
	p, _ := csrf.New(csrf.Options{})
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, err := csrf.GetToken(r.Context())
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		fmt.Fprintf(w, `<input type="hidden" name="%s" value="%s">`, csrf.FormField, token)
	})
	w := httptest.NewRecorder()
	p.Middleware(page).ServeHTTP(w, httptest.NewRequest("GET", "/form", nil))
	cookie := w.Header().Get("Set-Cookie")
	fmt.Println(strings.HasPrefix(cookie, "csrftoken="), strings.HasSuffix(cookie, "; Max-Age=31449600; Path=/; SameSite=Lax"))
	fmt.Println(w.Header().Get("Vary"))
	// Output:
	// true true
	// Cookie
}

// Login rotates the secret; the new cookie reaches the browser with the
// login response.
func ExampleRotateToken() {
	p, _ := csrf.New(csrf.Options{})
	login := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// ... authenticate, start the session ...
		if err := csrf.RotateToken(r.Context()); err != nil {
			log.Print(err)
		}
		w.WriteHeader(http.StatusNoContent)
	})
	w := httptest.NewRecorder()
	r := httptest.NewRequest("POST", "/login", nil)
	r.Header.Set("Cookie", "csrftoken=0123456789abcdefghijklmnopqrstuv")
	p.Middleware(login).ServeHTTP(w, r)
	fmt.Println(strings.HasPrefix(w.Header().Get("Set-Cookie"), "csrftoken=0123456789abcdefghijklmnopqrstuv"))
	// Output:
	// false
}

// An API's session authentication runs the check itself and answers the
// error in its error model.
func ExampleProtector_Check() {
	p, _ := csrf.New(csrf.Options{})
	r := httptest.NewRequest("POST", "/api/items", strings.NewReader(`{}`))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Cookie", "csrftoken=0123456789abcdefghijklmnopqrstuv")
	r.Header.Set("X-CSRFToken", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
	err := p.Check(r)
	ae, _ := apierror.As(err)
	fmt.Println(ae.Status, ae.Details[0].Msg)

	r.Header.Set("X-CSRFToken", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefqsuwyACEGIKMOQSUWY02468aceqsuwyA")
	fmt.Println(p.Check(r))
	// Output:
	// 403 CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header incorrect.
	// <nil>
}

// Login forms have no secret to check yet; the Origin still must match.
func ExampleProtector_CheckOrigin() {
	p, _ := csrf.New(csrf.Options{})
	r := httptest.NewRequest("POST", "http://example.com/login", nil)
	r.Header.Set("Origin", "https://evil.example")
	fmt.Println(p.CheckOrigin(r))
	// Output:
	// csrf: Origin checking failed - https://evil.example does not match any trusted origins.
}

// Protect enforces the check in front of form-based pages.
func ExampleProtector_Protect() {
	p, _ := csrf.New(csrf.Options{
		Exempt: func(r *http.Request) bool { return r.URL.Path == "/hooks/payment" },
	})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /comments", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "saved") })
	mux.HandleFunc("POST /hooks/payment", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	h := p.Protect(mux)

	for _, path := range []string{"/comments", "/hooks/payment"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("POST", path, nil))
		fmt.Println(path, w.Code)
	}
	// Output:
	// /comments 403
	// /hooks/payment 200
}

func ExampleUnmask() {
	secret, ok := csrf.Unmask("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefqsuwyACEGIKMOQSUWY02468aceqsuwyA")
	fmt.Println(secret, ok)
	token := csrf.Mask(secret)
	again, _ := csrf.Unmask(token)
	fmt.Println(len(token), again == secret)
	// Output:
	// 0123456789abcdefghijklmnopqrstuv true
	// 64 true
}

func ExampleEnsureCookie() {
	p, _ := csrf.New(csrf.Options{})
	docs := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<html>…</html>") })
	h := p.Middleware(csrf.EnsureCookie(docs))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/docs", nil))
	fmt.Println(strings.HasPrefix(w.Header().Get("Set-Cookie"), "csrftoken="))
	// Output:
	// true
}
