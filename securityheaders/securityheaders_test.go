package securityheaders

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestSplitDomainPort(t *testing.T) {
	for _, tc := range []struct {
		host, domain, port string
		ok                 bool
	}{
		{"example.com", "example.com", "", true},
		{"Example.COM:8000", "Example.COM", "8000", true},
		{"example.com.", "example.com", "", true},
		{"example.com.:80", "example.com", "80", true},
		{"[::1]", "[::1]", "", true},
		{"[::1]:8443", "[::1]", "8443", true},
		{"[::ffff:127.0.0.1]", "[::ffff:127.0.0.1]", "", true},
		{"", "", "", false},
		{"@malformed", "", "", false},
		{"example.com:", "", "", false},
		{"example.com:80x", "", "", false},
		{"exa mple.com", "", "", false},
		{"[::1", "", "", false},
		{"[1.2.3.4]", "", "", false},
		{"[g::1]", "", "", false},
		{"user@example.com", "", "", false},
		{"example.com/x", "", "", false},
	} {
		d, p, ok := SplitDomainPort(tc.host)
		if d != tc.domain || p != tc.port || ok != tc.ok {
			t.Errorf("SplitDomainPort(%q) = %q, %q, %v; want %q, %q, %v", tc.host, d, p, ok, tc.domain, tc.port, tc.ok)
		}
	}
}

func TestIsSameDomain(t *testing.T) {
	for _, tc := range []struct {
		host, pattern string
		want          bool
	}{
		{"example.com", "example.com", true},
		{"example.com", ".example.com", true},
		{"foo.example.com", ".example.com", true},
		{"foo.example.com", "example.com", false},
		{"evilexample.com", ".example.com", false},
		{"example.com", "", false},
		{"Example.com", "example.COM", true},
		{"example.com:8000", ".example.com:8000", true},
	} {
		if got := IsSameDomain(tc.host, tc.pattern); got != tc.want {
			t.Errorf("IsSameDomain(%q, %q) = %v", tc.host, tc.pattern, got)
		}
	}
}

func TestTrust(t *testing.T) {
	proxy := Trust{ProxySSLHeader: "X-Forwarded-Proto", ProxySSLValue: "https"}
	for _, tc := range []struct {
		name   string
		trust  Trust
		tls    bool
		header map[string]string
		scheme string
		want   bool
	}{
		{"plain", Trust{}, false, nil, "", false},
		{"TLS", Trust{}, true, nil, "", true},
		{"URL scheme ignored", Trust{}, false, nil, "https", false},
		{"unconfigured proxy header ignored", Trust{}, false, map[string]string{"X-Forwarded-Proto": "https"}, "", false},
		{"proxy https", proxy, false, map[string]string{"X-Forwarded-Proto": "https"}, "", true},
		{"proxy first element", proxy, false, map[string]string{"X-Forwarded-Proto": " https , http"}, "", true},
		{"proxy http overrides TLS", proxy, true, map[string]string{"X-Forwarded-Proto": "http"}, "", false},
		{"proxy header absent: connection", proxy, true, nil, "", true},
		{"proxy value is case-sensitive", proxy, false, map[string]string{"X-Forwarded-Proto": "HTTPS"}, "", false},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if tc.tls {
			r.TLS = &tls.ConnectionState{}
		}
		r.URL.Scheme = tc.scheme
		for k, v := range tc.header {
			r.Header.Set(k, v)
		}
		if got := tc.trust.IsSecure(r); got != tc.want {
			t.Errorf("%s: IsSecure = %v", tc.name, got)
		}
	}

	for _, tc := range []struct {
		name    string
		trust   Trust
		host    string
		xfh     string
		want    string
		wantErr bool
		port    string
	}{
		{"any host", Trust{}, "Example.com:8000", "", "Example.com:8000", false, "8000"},
		{"malformed", Trust{}, "exa mple", "", "", true, "80"},
		{"allowed exact", Trust{AllowedHosts: []string{"example.com"}}, "EXAMPLE.com:1", "", "EXAMPLE.com:1", false, "1"},
		{"allowed subdomain", Trust{AllowedHosts: []string{".example.com"}}, "a.example.com", "", "a.example.com", false, "80"},
		{"allowed trailing dot", Trust{AllowedHosts: []string{"example.com"}}, "example.com.", "", "example.com.", false, "80"},
		{"star", Trust{AllowedHosts: []string{"*"}}, "x.y", "", "x.y", false, "80"},
		{"disallowed", Trust{AllowedHosts: []string{"example.com"}}, "evil.com", "", "", true, "80"},
		{"X-Forwarded-Host ignored", Trust{}, "example.com", "evil.com", "example.com", false, "80"},
		{"X-Forwarded-Host used", Trust{UseXForwardedHost: true, AllowedHosts: []string{"public.example"}}, "internal:8080", "public.example", "public.example", false, "80"},
		{"X-Forwarded-Host list is malformed", Trust{UseXForwardedHost: true}, "internal", "a.example, b.example", "", true, "80"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Host = tc.host
		if tc.xfh != "" {
			r.Header.Set("X-Forwarded-Host", tc.xfh)
		}
		got, err := tc.trust.Host(r)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("%s: Host = %q, %v", tc.name, got, err)
		}
		if port := tc.trust.Port(r); port != tc.port {
			t.Errorf("%s: Port = %q, want %q", tc.name, port, tc.port)
		}
	}
}

func run(t *testing.T, o Options, r *http.Request, h http.HandlerFunc) *httptest.ResponseRecorder {
	t.Helper()
	p, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	p.Middleware(h).ServeHTTP(w, r)
	return w
}

func TestHeaders(t *testing.T) {
	defaults := map[string]string{
		"X-Frame-Options":            "DENY",
		"X-Content-Type-Options":     "nosniff",
		"Referrer-Policy":            "same-origin",
		"Cross-Origin-Opener-Policy": "same-origin",
		"Strict-Transport-Security":  "",
	}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range defaults {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	proxy := Trust{ProxySSLHeader: "X-Forwarded-Proto", ProxySSLValue: "https"}
	for _, tc := range []struct {
		name    string
		opts    Options
		tls     bool
		header  map[string]string // request headers
		handler http.HandlerFunc
		want    map[string]string // "" = absent
	}{
		{"defaults", Options{}, false, nil, nil, defaults},
		{"defaults on an empty response", Options{}, false, nil, func(http.ResponseWriter, *http.Request) {}, defaults},
		{"handler's own values win", Options{}, false, nil, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("X-Frame-Options", "SAMEORIGIN")
			w.Header().Set("Referrer-Policy", "no-referrer")
			w.Header().Set("Strict-Transport-Security", "max-age=1")
		}, with("X-Frame-Options", "SAMEORIGIN", "Referrer-Policy", "no-referrer", "Strict-Transport-Security", "max-age=1")},
		{"all off", Options{FrameOptions: Off, ContentTypeOptions: Off, ReferrerPolicy: Off, CrossOriginOpenerPolicy: Off}, false, nil, nil,
			map[string]string{"X-Frame-Options": "", "X-Content-Type-Options": "", "Referrer-Policy": "", "Cross-Origin-Opener-Policy": ""}},
		{"custom values", Options{FrameOptions: "sameorigin", ReferrerPolicy: "no-referrer, strict-origin-when-cross-origin", CrossOriginOpenerPolicy: "same-origin-allow-popups"}, false, nil, nil,
			with("X-Frame-Options", "SAMEORIGIN", "Referrer-Policy", "no-referrer,strict-origin-when-cross-origin", "Cross-Origin-Opener-Policy", "same-origin-allow-popups")},
		{"HSTS not on plain HTTP", Options{HSTSSeconds: 3600}, false, nil, nil, defaults},
		{"HSTS on TLS", Options{HSTSSeconds: 3600}, true, nil, nil, with("Strict-Transport-Security", "max-age=3600")},
		{"HSTS all options", Options{HSTSSeconds: 31536000, HSTSIncludeSubdomains: true, HSTSPreload: true}, true, nil, nil,
			with("Strict-Transport-Security", "max-age=31536000; includeSubDomains; preload")},
		{"HSTS via proxy header", Options{HSTSSeconds: 60, Trust: proxy}, false, map[string]string{"X-Forwarded-Proto": "https"}, nil, with("Strict-Transport-Security", "max-age=60")},
		{"HSTS: unconfigured proxy header ignored", Options{HSTSSeconds: 60}, false, map[string]string{"X-Forwarded-Proto": "https"}, nil, defaults},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			if tc.tls {
				r.TLS = &tls.ConnectionState{}
			}
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			h := tc.handler
			if h == nil {
				h = func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("hi")) }
			}
			w := run(t, tc.opts, r, h)
			for k, want := range tc.want {
				if got := w.Header().Get(k); got != want {
					t.Errorf("%s: %q, want %q", k, got, want)
				}
				if n := len(w.Header().Values(k)); want != "" && n != 1 {
					t.Errorf("%s sent %d times", k, n)
				}
			}
		})
	}
}

func TestRedirect(t *testing.T) {
	proxy := Trust{ProxySSLHeader: "X-Forwarded-Proto", ProxySSLValue: "https"}
	for _, tc := range []struct {
		name   string
		opts   Options
		target string
		host   string
		tls    bool
		header map[string]string
		status int
		loc    string
	}{
		{"off by default", Options{}, "/a", "example.com", false, nil, 200, ""},
		{"redirect", Options{SSLRedirect: true}, "/some/url?query=string&x=%20", "example.com:8080", false, nil, 301, "https://example.com:8080/some/url?query=string&x=%20"},
		{"escaped path kept", Options{SSLRedirect: true}, "/a%20b/%E2%82%AC", "example.com", false, nil, 301, "https://example.com/a%20b/%E2%82%AC"},
		{"already secure", Options{SSLRedirect: true}, "/a", "example.com", true, nil, 200, ""},
		{"secure via proxy", Options{SSLRedirect: true, Trust: proxy}, "/a", "example.com", false, map[string]string{"X-Forwarded-Proto": "https"}, 200, ""},
		{"proxy says http", Options{SSLRedirect: true, Trust: proxy}, "/a", "example.com", false, map[string]string{"X-Forwarded-Proto": "http"}, 301, "https://example.com/a"},
		{"SSLHost", Options{SSLRedirect: true, SSLHost: "secure.example.com"}, "/a?b", "example.com", false, nil, 301, "https://secure.example.com/a?b"},
		{"exempt", Options{SSLRedirect: true, RedirectExempt: []string{`^insecure/`}}, "/insecure/page", "example.com", false, nil, 200, ""},
		{"exempt is a search", Options{SSLRedirect: true, RedirectExempt: []string{`health`}}, "/api/healthz", "example.com", false, nil, 200, ""},
		{"not exempt", Options{SSLRedirect: true, RedirectExempt: []string{`^insecure/`}}, "/secure/insecure/", "example.com", false, nil, 301, "https://example.com/secure/insecure/"},
		{"disallowed host", Options{SSLRedirect: true, Trust: Trust{AllowedHosts: []string{"example.com"}}}, "/a", "evil.com", false, nil, 400, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tc.target, nil)
			r.Host = tc.host
			if tc.tls {
				r.TLS = &tls.ConnectionState{}
			}
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			w := run(t, tc.opts, r, func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
			if w.Code != tc.status || w.Header().Get("Location") != tc.loc {
				t.Errorf("got %d %q, want %d %q", w.Code, w.Header().Get("Location"), tc.status, tc.loc)
			}
			if tc.status == 301 && (w.Header().Get("X-Content-Type-Options") != "nosniff" || w.Header().Get("Strict-Transport-Security") != "") {
				t.Errorf("redirect headers: %v", w.Header())
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	for _, o := range []Options{
		{FrameOptions: "ALLOW-FROM x"},
		{ContentTypeOptions: "yes"},
		{ReferrerPolicy: "same-origin, nope"},
		{CrossOriginOpenerPolicy: "same-site"},
		{HSTSSeconds: -1},
		{HSTSPreload: true},
		{SSLHost: "https://x"},
		{RedirectExempt: []string{"("}},
		{Trust: Trust{ProxySSLValue: "https"}},
		{Trust: Trust{ProxySSLHeader: "X Bad", ProxySSLValue: "https"}},
		{Trust: Trust{AllowedHosts: []string{""}}},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
}

func TestTrustValidateNormalizes(t *testing.T) {
	tr := Trust{ProxySSLHeader: "HTTP_X_FORWARDED_PROTO", ProxySSLValue: "https"}
	if err := tr.Validate(); err != nil || tr.ProxySSLHeader != "X-Forwarded-Proto" {
		t.Fatalf("Validate: %v, %q", err, tr.ProxySSLHeader)
	}
	p, err := New(Options{Trust: Trust{ProxySSLHeader: "x-forwarded-proto", ProxySSLValue: "https"}, HSTSSeconds: 5})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-Forwarded-Proto", "https")
	if !p.trust.IsSecure(r) {
		t.Error("lower-case header name not normalized")
	}
}
