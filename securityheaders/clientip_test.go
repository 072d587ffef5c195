package securityheaders

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestClientIP(t *testing.T) {
	for _, tc := range []struct {
		name    string
		trust   Trust
		remote  string
		headers []string // X-Forwarded-For lines
		want    string   // "" = the zero Addr
	}{
		{"remote addr", Trust{}, "192.0.2.1:1234", nil, "192.0.2.1"},
		{"remote ipv6", Trust{}, "[2001:db8::1]:443", nil, "2001:db8::1"},
		{"remote mapped", Trust{}, "[::ffff:192.0.2.9]:443", nil, "192.0.2.9"},
		{"remote zone", Trust{}, "[fe80::1%eth0]:443", nil, "fe80::1"},
		{"remote without port", Trust{}, "192.0.2.1", nil, "192.0.2.1"},
		{"remote garbage", Trust{}, "pipe", nil, ""},
		{"header ignored when not configured", Trust{}, "192.0.2.1:1", []string{"203.0.113.5"}, "192.0.2.1"},
		{"one proxy", Trust{ClientIPHeader: "X-Forwarded-For"}, "10.0.0.1:1", []string{"203.0.113.5"}, "203.0.113.5"},
		{"spoofed left part", Trust{ClientIPHeader: "x-forwarded-for"}, "10.0.0.1:1", []string{"1.1.1.1, 203.0.113.5"}, "203.0.113.5"},
		{"two proxies", Trust{ClientIPHeader: "X-Forwarded-For", ProxyCount: 2}, "10.0.0.1:1", []string{"1.1.1.1, 203.0.113.5, 10.0.0.2"}, "203.0.113.5"},
		{"lines joined", Trust{ClientIPHeader: "X-Forwarded-For", ProxyCount: 2}, "10.0.0.1:1", []string{"1.1.1.1", "203.0.113.5, 10.0.0.2"}, "203.0.113.5"},
		{"fewer than count", Trust{ClientIPHeader: "X-Forwarded-For", ProxyCount: 3}, "10.0.0.1:1", []string{"203.0.113.5, 10.0.0.2"}, "203.0.113.5"},
		{"absent header", Trust{ClientIPHeader: "X-Forwarded-For"}, "10.0.0.1:1", nil, "10.0.0.1"},
		{"empty header", Trust{ClientIPHeader: "X-Forwarded-For"}, "10.0.0.1:1", []string{" , "}, "10.0.0.1"},
		{"not an address", Trust{ClientIPHeader: "X-Forwarded-For"}, "10.0.0.1:1", []string{"unknown"}, "10.0.0.1"},
		{"with port", Trust{ClientIPHeader: "X-Forwarded-For"}, "10.0.0.1:1", []string{"203.0.113.5:5555"}, "203.0.113.5"},
		{"bracketed v6", Trust{ClientIPHeader: "X-Forwarded-For"}, "10.0.0.1:1", []string{"[2001:db8::7]"}, "2001:db8::7"},
		{"bracketed v6 port", Trust{ClientIPHeader: "X-Forwarded-For"}, "10.0.0.1:1", []string{"[2001:db8::7]:80"}, "2001:db8::7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := tc.trust
			if err := tr.Validate(); err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tc.remote
			for _, h := range tc.headers {
				r.Header.Add("X-Forwarded-For", h)
			}
			got := tr.ClientIP(r)
			if tc.want == "" {
				if got.IsValid() {
					t.Fatalf("ClientIP = %v, want none", got)
				}
				return
			}
			if got.String() != tc.want {
				t.Fatalf("ClientIP = %v, want %s", got, tc.want)
			}
		})
	}
}

func TestTrustValidateClientIP(t *testing.T) {
	for _, tr := range []Trust{{ClientIPHeader: "X Forwarded"}, {ProxyCount: -1}} {
		if err := tr.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", tr)
		}
	}
}

func FuzzClientIP(f *testing.F) {
	f.Add("192.0.2.1:1", "1.1.1.1, 203.0.113.5", 1)
	f.Add("[::1]:1", "[2001:db8::7]:80,,x", 2)
	f.Fuzz(func(t *testing.T, remote, header string, count int) {
		tr := Trust{ClientIPHeader: "X-Forwarded-For", ProxyCount: count & 7}
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-For", header)
		a := tr.ClientIP(r)
		if a.IsValid() && (a.Zone() != "" || a.Is4In6()) {
			t.Fatalf("ClientIP = %v: not normalised", a)
		}
	})
}

func ExampleTrust_ClientIP() {
	// Behind one reverse proxy that appends the peer's address to
	// X-Forwarded-For, the client is the last address of the header.
	tr := Trust{ClientIPHeader: "X-Forwarded-For", ProxyCount: 1}
	r := httptest.NewRequest(http.MethodPost, "/api/auth/", nil)
	r.RemoteAddr = "10.0.0.2:41000" // the proxy
	r.Header.Set("X-Forwarded-For", "198.51.100.1, 203.0.113.5")
	fmt.Println(tr.ClientIP(r))
	// Output: 203.0.113.5
}
