package securityheaders_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/dmr-go/dmr/securityheaders"
)

func Example() {
	p, err := securityheaders.New(securityheaders.Options{})
	if err != nil {
		log.Fatal(err)
	}
	h := p.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello")
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	for _, k := range []string{"X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy", "Cross-Origin-Opener-Policy"} {
		fmt.Printf("%s: %s\n", k, w.Header().Get(k))
	}
	// Output:
	// X-Frame-Options: DENY
	// X-Content-Type-Options: nosniff
	// Referrer-Policy: same-origin
	// Cross-Origin-Opener-Policy: same-origin
}

// Behind a TLS-terminating proxy that always sets X-Forwarded-Proto: HSTS on
// secure requests, a 301 to HTTPS for the rest.
func ExampleNew_https() {
	trust := securityheaders.Trust{ProxySSLHeader: "X-Forwarded-Proto", ProxySSLValue: "https"}
	p, err := securityheaders.New(securityheaders.Options{
		Trust:                 trust,
		HSTSSeconds:           31536000,
		HSTSIncludeSubdomains: true,
		SSLRedirect:           true,
		RedirectExempt:        []string{`^healthz$`},
	})
	if err != nil {
		log.Fatal(err)
	}
	h := p.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))

	r := httptest.NewRequest("GET", "http://example.com/cart?id=7", nil)
	r.Header.Set("X-Forwarded-Proto", "http")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Header().Get("Location"))

	r.Header.Set("X-Forwarded-Proto", "https")
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Header().Get("Strict-Transport-Security"))
	// Output:
	// 301 https://example.com/cart?id=7
	// 200 max-age=31536000; includeSubDomains
}

func ExampleTrust_IsSecure() {
	trust := securityheaders.Trust{}
	r := httptest.NewRequest("POST", "https://example.com/", nil) // sets r.TLS
	fmt.Println(trust.IsSecure(r))
	r.TLS = nil
	r.URL.Scheme = "https" // never consulted
	fmt.Println(trust.IsSecure(r))
	// Output:
	// true
	// false
}
