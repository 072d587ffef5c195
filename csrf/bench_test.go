package csrf

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
)

func benchRequest(secure bool) *http.Request {
	r := httptest.NewRequest("POST", "/api/items", strings.NewReader(`{"a":1}`))
	r.Host = "www.example.com"
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Cookie", "sessionid=ib1376m21raijre4f6f4l63w3kr79ld7; csrftoken="+testSecret)
	r.Header.Set("X-CSRFToken", testMasked)
	r.TLS = nil
	if secure {
		r.TLS = &tls.ConnectionState{}
		r.Header.Set("Referer", "https://www.example.com/page")
	} else {
		r.Header.Set("Origin", "http://www.example.com")
	}
	return r
}

// BenchmarkCheckAccepted: Check on an accepted API request (JSON body, token
// in the header, secret in the cookie).
func BenchmarkCheckAccepted(b *testing.B) {
	for _, tc := range []struct {
		name   string
		secure bool
	}{{"http+Origin", false}, {"https+Referer", true}} {
		b.Run(tc.name, func(b *testing.B) {
			p := mustNew(b, Options{TrustedOrigins: []string{"https://*.example.org"}})
			r := benchRequest(tc.secure)
			if err := p.Check(r); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			c0, ok := threadCPU()
			for b.Loop() {
				if err := p.Check(r); err != nil {
					b.Fatal(err)
				}
			}
			if c1, _ := threadCPU(); ok {
				b.ReportMetric(float64(c1-c0)/float64(b.N), "cpu-ns/op")
			}
		})
	}
}

// BenchmarkMiddleware: the state middleware around an empty handler, token
// unused (the common case: nothing is written).
func BenchmarkMiddleware(b *testing.B) {
	p := mustNew(b, Options{})
	h := p.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	r := benchRequest(false)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, r)
	}
}

// BenchmarkGetToken: GetToken plus the cookie written at commit.
func BenchmarkMiddlewareGetToken(b *testing.B) {
	p := mustNew(b, Options{})
	h := p.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = GetToken(r.Context()) }))
	r := benchRequest(false)
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
}

// BenchmarkStdlibCrossOriginCheck is the anchor on the same machine:
// net/http's CrossOriginProtection.Check (Origin only, no token) on the same
// request.
func BenchmarkStdlibCrossOriginCheck(b *testing.B) {
	c := http.NewCrossOriginProtection()
	r := benchRequest(false)
	b.ReportAllocs()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c0, ok := threadCPU()
	for b.Loop() {
		if err := c.Check(r); err != nil {
			b.Fatal(err)
		}
	}
	if c1, _ := threadCPU(); ok {
		b.ReportMetric(float64(c1-c0)/float64(b.N), "cpu-ns/op")
	}
}
