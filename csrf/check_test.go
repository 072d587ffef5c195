package csrf

import (
	"bytes"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/securityheaders"
)

const (
	malformed = ReasonMalformedReferer
	insecure  = ReasonInsecureReferer
)

// Cases after Django's csrf_tests (CsrfViewMiddlewareTestMixin) for 4.2–5.2.
func TestCheckDjangoSuite(t *testing.T) {
	tok := map[string]string{"X-CSRFToken": testMasked}
	with := func(kv ...string) map[string]string {
		m := map[string]string{"X-CSRFToken": testMasked}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	www := "www.example.com"
	cases := []struct {
		name string
		opts Options
		req  req
		want string // "" = accepted
	}{
		// Methods.
		{"GET without anything", Options{}, req{method: "GET"}, ""},
		{"HEAD", Options{}, req{method: "HEAD"}, ""},
		{"OPTIONS", Options{}, req{method: "OPTIONS"}, ""},
		{"TRACE", Options{}, req{method: "TRACE"}, ""},
		{"lower-case get is not safe", Options{}, req{method: "get"}, ReasonNoCSRFCookie},
		{"PUT rejected", Options{}, req{method: "PUT"}, ReasonNoCSRFCookie},
		{"DELETE rejected", Options{}, req{method: "DELETE", cookie: testSecret}, ReasonCSRFTokenMissing},
		{"PUT allowed", Options{}, req{method: "PUT", cookie: testSecret, header: tok}, ""},
		{"DELETE allowed", Options{}, req{method: "DELETE", cookie: testSecret, header: tok}, ""},
		{"PATCH form field ignored", Options{}, req{method: "PATCH", cookie: testSecret, form: "csrfmiddlewaretoken=" + testMasked}, ReasonCSRFTokenMissing},

		// Token sources.
		{"POST field wins over header", Options{}, req{cookie: testSecret, form: "csrfmiddlewaretoken=" + strings.Repeat("a", 64), header: tok}, "CSRF token from POST incorrect."},
		{"empty POST field falls back to header", Options{}, req{cookie: testSecret, form: "csrfmiddlewaretoken=&x=1", header: tok}, ""},
		{"last POST field wins", Options{}, req{cookie: testSecret, form: "csrfmiddlewaretoken=" + strings.Repeat("a", 64) + "&csrfmiddlewaretoken=" + testMasked}, ""},
		{"POST field percent-encoded", Options{}, req{cookie: testSecret, form: "csrfmiddleware%74oken=" + testSecret}, ""},
		{"POST field plus is space", Options{}, req{cookie: testSecret, form: "csrfmiddlewaretoken=" + strings.Repeat("a", 63) + "+"}, "CSRF token from POST has invalid characters."},
		{"empty header", Options{}, req{cookie: testSecret, header: map[string]string{"X-CSRFToken": ""}}, "CSRF token from the 'X-Csrftoken' HTTP header has incorrect length."},
		{"header raw secret", Options{}, req{cookie: testSecret, header: map[string]string{"X-CSRFToken": testSecret}}, ""},
		{"header wrong raw secret", Options{}, req{cookie: testSecret, header: map[string]string{"X-CSRFToken": strings.Repeat("a", 32)}}, "CSRF token from the 'X-Csrftoken' HTTP header incorrect."},
		{"header non-ASCII counted in bytes", Options{}, req{cookie: testSecret, header: map[string]string{"X-CSRFToken": strings.Repeat("é", 16)}}, "CSRF token from the 'X-Csrftoken' HTTP header has invalid characters."},
		{"custom header accepted", Options{HeaderName: "HTTP_X_CSRFTOKEN_CUSTOMIZED"}, req{cookie: testSecret, header: map[string]string{"X-CSRFToken-Customized": testMasked}}, ""},
		{"custom header: default header ignored", Options{HeaderName: "X-CSRFToken-Customized"}, req{cookie: testSecret, header: tok}, ReasonCSRFTokenMissing},
		{"custom header bad chars", Options{HeaderName: "HTTP_X_CSRFTOKEN_CUSTOMIZED"}, req{cookie: testSecret, header: map[string]string{"X-CSRFToken-Customized": strings.Repeat("*", 64)}}, "CSRF token from the 'X-Csrftoken-Customized' HTTP header has invalid characters."},
		{"custom header bad length", Options{HeaderName: "X-CSRFToken-Customized"}, req{cookie: testSecret, header: map[string]string{"X-CSRFToken-Customized": "x"}}, "CSRF token from the 'X-Csrftoken-Customized' HTTP header has incorrect length."},

		// Cookies.
		{"cookie 64 masked, masked token", Options{}, req{cookie: testMasked, header: map[string]string{"X-CSRFToken": maskWith(testSecret, strings.Repeat("Z", 32))}}, ""},
		{"cookie of other name ignored", Options{CookieName: "other"}, req{cookie: testSecret, header: tok}, ReasonNoCSRFCookie},
		{"cookie 63 chars", Options{}, req{cookie: testMasked[:63], header: tok}, "CSRF cookie has incorrect length."},
		{"cookie 32 non-ASCII runes", Options{}, req{cookie: strings.Repeat("é", 32), header: tok}, "CSRF cookie has invalid characters."},
		{"cookie 16 non-ASCII runes (32 bytes)", Options{}, req{cookie: strings.Repeat("é", 16), header: tok}, "CSRF cookie has incorrect length."},
		{"quoted cookie", Options{}, req{cookie: `"` + testSecret + `"`, header: tok}, ""},
		{"empty cookie", Options{}, req{cookie: `""`, header: tok}, "CSRF cookie has incorrect length."},

		// Origin.
		{"bad origin domain", Options{}, req{host: www, cookie: testSecret, header: with("Origin", "https://www.evil.org")}, "Origin checking failed - https://www.evil.org does not match any trusted origins."},
		{"bad origin null", Options{}, req{host: www, cookie: testSecret, header: with("Origin", "null")}, "Origin checking failed - null does not match any trusted origins."},
		{"bad origin empty", Options{}, req{host: www, cookie: testSecret, header: with("Origin", "")}, "Origin checking failed -  does not match any trusted origins."},
		{"bad origin protocol", Options{}, req{host: "example.com", secure: true, cookie: testSecret, header: with("Origin", "http://example.com")}, "Origin checking failed - http://example.com does not match any trusted origins."},
		{"bad origin trusted other protocol", Options{TrustedOrigins: []string{"http://no-match.com"}}, req{host: www, secure: true, cookie: testSecret, header: with("Origin", "http://foo.example.org")}, "Origin checking failed - http://foo.example.org does not match any trusted origins."},
		{"bad origin cannot be parsed", Options{TrustedOrigins: []string{"https://*.example.com"}}, req{host: www, cookie: testSecret, header: with("Origin", "https://[")}, "Origin checking failed - https://[ does not match any trusted origins."},
		{"bad origin port", Options{}, req{host: www, cookie: testSecret, header: with("Origin", "http://www.example.com:8000")}, "Origin checking failed - http://www.example.com:8000 does not match any trusted origins."},
		{"bad origin trailing slash", Options{}, req{host: www, cookie: testSecret, header: with("Origin", "http://www.example.com/")}, "Origin checking failed - http://www.example.com/ does not match any trusted origins."},
		{"bad origin upper-case subdomain vs wildcard", Options{TrustedOrigins: []string{"https://*.example.com"}}, req{host: www, cookie: testSecret, header: with("Origin", "https://foo.EXAMPLE.com")}, "Origin checking failed - https://foo.EXAMPLE.com does not match any trusted origins."},
		{"bad origin wildcard suffix trick", Options{TrustedOrigins: []string{"https://*.example.com"}}, req{host: www, cookie: testSecret, header: with("Origin", "https://evilexample.com")}, "Origin checking failed - https://evilexample.com does not match any trusted origins."},
		{"bad origin malformed host", Options{}, req{host: "@malformed", cookie: testSecret, header: with("Origin", "http://@malformed")}, "Origin checking failed - http://@malformed does not match any trusted origins."},
		{"bad origin disallowed host", Options{Trust: securityheaders.Trust{AllowedHosts: []string{"example.com"}}}, req{host: "evil.com", cookie: testSecret, header: with("Origin", "http://evil.com")}, "Origin checking failed - http://evil.com does not match any trusted origins."},
		{"good origin port", Options{}, req{host: "www.example.com:8000", cookie: testSecret, header: with("Origin", "http://www.example.com:8000")}, ""},
		{"good origin insecure", Options{}, req{host: www, cookie: testSecret, header: with("Origin", "http://www.example.com")}, ""},
		{"good origin secure", Options{}, req{host: www, secure: true, cookie: testSecret, header: with("Origin", "https://www.example.com")}, ""},
		{"good origin allowed host", Options{Trust: securityheaders.Trust{AllowedHosts: []string{".example.com"}}}, req{host: www, cookie: testSecret, header: with("Origin", "http://www.example.com")}, ""},
		{"good origin trusted", Options{TrustedOrigins: []string{"https://dashboard.example.com"}}, req{host: www, cookie: testSecret, header: with("Origin", "https://dashboard.example.com")}, ""},
		{"good origin trusted wildcard", Options{TrustedOrigins: []string{"https://*.example.com"}}, req{host: www, cookie: testSecret, header: with("Origin", "https://foo.example.com")}, ""},
		{"good origin trusted null literally", Options{TrustedOrigins: []string{"https://x.example"}}, req{host: www, cookie: testSecret, header: with("Origin", "https://x.example")}, ""},
		{"origin ok does not excuse the token", Options{}, req{host: www, cookie: testSecret, header: map[string]string{"Origin": "http://www.example.com"}}, ReasonCSRFTokenMissing},
		{"origin beats referer on https", Options{}, req{host: www, secure: true, cookie: testSecret, header: with("Origin", "https://www.example.com", "Referer", "http://evil.com/")}, ""},

		// Referer (HTTPS without Origin).
		{"https bad referer", Options{}, req{host: www, secure: true, cookie: testSecret, header: with("Referer", "https://www.evil.org/somepage")}, "Referer checking failed - https://www.evil.org/somepage does not match any trusted origins."},
		{"https bad referer geturl drops empty query", Options{}, req{host: www, secure: true, cookie: testSecret, header: with("Referer", "HTTPS://www.evil.org/p?#")}, "Referer checking failed - https://www.evil.org/p does not match any trusted origins."},
		{"https bad referer with user info", Options{}, req{host: www, secure: true, cookie: testSecret, header: with("Referer", "https://u@www.example.com/")}, "Referer checking failed - https://u@www.example.com/ does not match any trusted origins."},
		{"https malformed host", Options{}, req{host: "@malformed", secure: true, cookie: testSecret, header: with("Referer", "https://www.evil.org/somepage")}, "Referer checking failed - https://www.evil.org/somepage does not match any trusted origins."},
		{"https disallowed host", Options{Trust: securityheaders.Trust{AllowedHosts: []string{"example.com"}}}, req{host: www, secure: true, cookie: testSecret, header: with("Referer", "https://www.example.com/")}, "Referer checking failed - https://www.example.com/ does not match any trusted origins."},
		{"https no referer", Options{}, req{host: www, secure: true, cookie: testSecret, header: tok}, ReasonNoReferer},
		{"https empty referer", Options{}, req{host: www, secure: true, cookie: testSecret, header: with("Referer", "")}, malformed},
		{"https non-ASCII referer", Options{}, req{host: www, secure: true, cookie: testSecret, header: with("Referer", "ØBöIß")}, malformed},
		{"https referer missing scheme", Options{}, req{host: www, secure: true, cookie: testSecret, header: with("Referer", "//example.com/")}, malformed},
		{"https referer missing netloc", Options{}, req{host: www, secure: true, cookie: testSecret, header: with("Referer", "https://")}, malformed},
		{"https referer invalid IPv6", Options{}, req{host: www, secure: true, cookie: testSecret, header: with("Referer", "https://[")}, malformed},
		{"https referer IPv4 in brackets", Options{}, req{host: www, secure: true, cookie: testSecret, header: with("Referer", "https://[127.0.0.1]/")}, malformed},
		{"https referer double scheme", Options{}, req{host: www, secure: true, cookie: testSecret, header: with("Referer", "http://http://www.example.com/")}, insecure},
		{"https insecure referer", Options{}, req{host: "example.com", secure: true, cookie: testSecret, header: with("Referer", "http://example.com/")}, insecure},
		{"https good referer", Options{}, req{host: www, secure: true, cookie: testSecret, header: with("Referer", "https://www.example.com/somepage")}, ""},
		{"https good referer no slash", Options{}, req{host: www, secure: true, cookie: testSecret, header: with("Referer", "https://www.example.com")}, ""},
		{"https good referer IPv6", Options{}, req{host: "[::1]:8443", secure: true, cookie: testSecret, header: with("Referer", "https://[::1]:8443/x")}, ""},
		{"https referer trusted origin", Options{TrustedOrigins: []string{"https://dashboard.example.com"}}, req{host: www, secure: true, cookie: testSecret, header: with("Referer", "https://dashboard.example.com/")}, ""},
		{"https referer trusted origin scheme ignored", Options{TrustedOrigins: []string{"http://dashboard.example.com"}}, req{host: www, secure: true, cookie: testSecret, header: with("Referer", "https://dashboard.example.com/")}, ""},
		{"https referer trusted wildcard", Options{TrustedOrigins: []string{"https://*.example.com"}}, req{host: www, secure: true, cookie: testSecret, header: with("Referer", "https://dashboard.example.com")}, ""},
		{"https referer cookie domain", Options{CookieDomain: ".example.com"}, req{host: www, secure: true, cookie: testSecret, header: with("Referer", "https://foo.example.com/")}, ""},
		{"https referer cookie domain with port", Options{CookieDomain: ".example.com"}, req{host: "www.example.com:4443", secure: true, cookie: testSecret, header: with("Referer", "https://foo.example.com:4443/")}, ""},
		{"https referer cookie domain wrong port", Options{CookieDomain: ".example.com"}, req{host: "www.example.com:4443", secure: true, cookie: testSecret, header: with("Referer", "https://foo.example.com/")}, "Referer checking failed - https://foo.example.com/ does not match any trusted origins."},
		{"https referer cookie domain replaces host", Options{CookieDomain: "other.example"}, req{host: www, secure: true, cookie: testSecret, header: with("Referer", "https://www.example.com/")}, "Referer checking failed - https://www.example.com/ does not match any trusted origins."},
		{"https referer session cookie domain", Options{UseSessions: true, Session: fixedSession(testSecret), SessionCookieDomain: ".example.com", CookieDomain: "unused.example"}, req{host: www, secure: true, header: with("Referer", "https://foo.example.com/")}, ""},

		// "Is HTTPS" is explicit.
		{"URL scheme is not trusted", Options{}, req{host: www, cookie: testSecret, header: tok}, ""},
		{"proxy header makes it HTTPS", Options{Trust: securityheaders.Trust{ProxySSLHeader: "X-Forwarded-Proto", ProxySSLValue: "https"}}, req{host: www, cookie: testSecret, header: with("X-Forwarded-Proto", "https, http")}, ReasonNoReferer},
		{"proxy header says http over TLS", Options{Trust: securityheaders.Trust{ProxySSLHeader: "X-Forwarded-Proto", ProxySSLValue: "https"}}, req{host: www, secure: true, cookie: testSecret, header: with("X-Forwarded-Proto", "http")}, ""},
		{"unconfigured proxy header ignored", Options{}, req{host: www, cookie: testSecret, header: with("X-Forwarded-Proto", "https")}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := mustNew(t, tc.opts)
			r := tc.req.build()
			r.URL.Scheme = "https" // must never matter
			if got := reasonOf(t, p.Check(r)); got != tc.want {
				t.Errorf("reason %q, want %q", got, tc.want)
			}
		})
	}
}

type fakeSession map[string]any

func (s fakeSession) Get(k string) (any, bool) { v, ok := s[k]; return v, ok }
func (s fakeSession) Set(k string, v any)      { s[k] = v }

func fixedSession(secret string) func(*http.Request) SessionValues {
	s := fakeSession{SessionKey: secret}
	return func(*http.Request) SessionValues { return s }
}

func TestCheckUseSessions(t *testing.T) {
	cases := []struct {
		name    string
		session SessionValues
		req     req
		want    string
	}{
		{"secret in session", fakeSession{SessionKey: testSecret}, req{header: map[string]string{"X-CSRFToken": testMasked}}, ""},
		{"masked secret in session (Django ≤ 4.0)", fakeSession{SessionKey: testMasked}, req{header: map[string]string{"X-CSRFToken": testSecret}}, ""},
		{"cookie is ignored", fakeSession{}, req{cookie: testSecret, header: map[string]string{"X-CSRFToken": testMasked}}, ReasonNoCSRFCookie},
		{"no session", nil, req{header: map[string]string{"X-CSRFToken": testMasked}}, ReasonNoCSRFCookie},
		{"non-string value", fakeSession{SessionKey: 42}, req{header: map[string]string{"X-CSRFToken": testMasked}}, ReasonNoCSRFCookie},
		{"odd session value is not format-checked, just wrong", fakeSession{SessionKey: "abc"}, req{header: map[string]string{"X-CSRFToken": testMasked}}, "CSRF token from the 'X-Csrftoken' HTTP header incorrect."},
		{"wrong token", fakeSession{SessionKey: testSecret}, req{form: "csrfmiddlewaretoken=" + strings.Repeat("b", 32)}, "CSRF token from POST incorrect."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := mustNew(t, Options{UseSessions: true, Session: func(*http.Request) SessionValues { return tc.session }})
			if got := reasonOf(t, p.Check(tc.req.build())); got != tc.want {
				t.Errorf("reason %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCheckOrigin(t *testing.T) {
	p := mustNew(t, Options{TrustedOrigins: []string{"https://app.example.com"}})
	for _, tc := range []struct {
		method, origin string
		want           string
	}{
		{"POST", "", ""},
		{"GET", "https://evil.com", ""},
		{"POST", "http://testserver", ""},
		{"POST", "https://app.example.com", ""},
		{"POST", "https://evil.com", "Origin checking failed - https://evil.com does not match any trusted origins."},
	} {
		r := req{method: tc.method}.build()
		if tc.origin != "" {
			r.Header.Set("Origin", tc.origin)
		}
		if got := reasonOf(t, p.CheckOrigin(r)); got != tc.want {
			t.Errorf("%s Origin %q: reason %q, want %q", tc.method, tc.origin, got, tc.want)
		}
	}
}

func TestRejectErrorIsAPIError(t *testing.T) {
	p := mustNew(t, Options{})
	err := p.Check(req{}.build())
	ae, ok := apierror.As(err)
	if !ok {
		t.Fatalf("apierror.As(%v) failed", err)
	}
	if ae.Status != 403 || len(ae.Details) != 1 || ae.Details[0].Msg != "CSRF Failed: CSRF cookie not set." || ae.Details[0].Type != "" || ae.Details[0].Loc != nil {
		t.Errorf("API error = %+v", ae)
	}
	var rej *RejectError
	if !errors.As(err, &rej) || rej.Reason != ReasonNoCSRFCookie {
		t.Errorf("errors.As: %v", err)
	}
}

// The form body is read to find the token, and the handler still gets it.
func TestCheckKeepsBody(t *testing.T) {
	p := mustNew(t, Options{})
	body := "a=1&csrfmiddlewaretoken=" + testMasked + "&b=2"
	r := req{cookie: testSecret, form: body}.build()
	if err := p.Check(r); err != nil {
		t.Fatal(err)
	}
	if err := r.ParseForm(); err != nil {
		t.Fatal(err)
	}
	if r.PostForm.Get("a") != "1" || r.PostForm.Get("b") != "2" {
		t.Errorf("handler lost the body: %v", r.PostForm)
	}
	// A form net/http already parsed is used as is.
	if err := p.Check(r); err != nil {
		t.Errorf("after ParseForm: %v", err)
	}

	// Larger than MaxFormBytes: not searched, but intact.
	p = mustNew(t, Options{MaxFormBytes: 16})
	r = req{cookie: testSecret, form: body}.build()
	if got := reasonOf(t, p.Check(r)); got != ReasonCSRFTokenMissing {
		t.Errorf("big form: %q", got)
	}
	all, _ := io.ReadAll(r.Body)
	if string(all) != body {
		t.Errorf("big form body = %q", all)
	}
}

func TestCheckMultipart(t *testing.T) {
	build := func(token string, asFile bool) *http.Request {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("name", "x")
		if asFile {
			fw, _ := mw.CreateFormFile(FormField, "t.txt")
			_, _ = fw.Write([]byte(token))
		} else {
			_ = mw.WriteField(FormField, token)
		}
		_ = mw.Close()
		r := httptest.NewRequest("POST", "/", bytes.NewReader(buf.Bytes()))
		r.Host = "testserver"
		r.Header.Set("Content-Type", mw.FormDataContentType())
		r.Header.Set("Cookie", "csrftoken="+testSecret)
		return r
	}
	p := mustNew(t, Options{})
	r := build(testMasked, false)
	if err := p.Check(r); err != nil {
		t.Errorf("multipart token: %v", err)
	}
	if err := r.ParseMultipartForm(1 << 20); err != nil || r.FormValue("name") != "x" {
		t.Errorf("handler lost the multipart body: %v", err)
	}
	if got := reasonOf(t, p.Check(build(strings.Repeat("a", 64), false))); got != "CSRF token from POST incorrect." {
		t.Errorf("wrong multipart token: %q", got)
	}
	if got := reasonOf(t, p.Check(build(testMasked, true))); got != ReasonCSRFTokenMissing {
		t.Errorf("token as a file part: %q", got)
	}
}

func TestNewValidates(t *testing.T) {
	for _, o := range []Options{
		{TrustedOrigins: []string{"example.com"}},
		{TrustedOrigins: []string{"https://"}},
		{TrustedOrigins: []string{"https://example.com/"}},
		{TrustedOrigins: []string{"https://*example.com"}},
		{TrustedOrigins: []string{"https://a.*.example.com"}},
		{TrustedOrigins: []string{"HTTPS://example.com"}},
		{TrustedOrigins: []string{"https://[::1"}},
		{HeaderName: "X_CSRF'"},
		{CookieName: "a b"},
		{UseSessions: true},
		{CookieSameSite: http.SameSiteNoneMode},
		{MaxFormBytes: -1},
		{Trust: securityheaders.Trust{ProxySSLHeader: "X-Forwarded-Proto"}},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
	if _, err := New(Options{TrustedOrigins: []string{"https://*.example.com", "http://localhost:8000", "https://[::1]:8443"}}); err != nil {
		t.Errorf("valid origins refused: %v", err)
	}
}
