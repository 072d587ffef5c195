package csrf

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dmr-go/dmr/internal/pycompat"
)

var knownReasons = []string{
	ReasonNoCSRFCookie, ReasonCSRFTokenMissing, ReasonNoReferer, ReasonMalformedReferer, ReasonInsecureReferer,
	"CSRF cookie has incorrect length.", "CSRF cookie has invalid characters.",
}

func knownReason(r string) bool {
	for _, k := range knownReasons {
		if r == k {
			return true
		}
	}
	for _, src := range []string{"POST", "the 'X-Csrftoken' HTTP header"} {
		for _, what := range []string{reasonIncorrectLength, reasonInvalidCharacters, reasonIncorrect} {
			if r == "CSRF token from "+src+" "+what+"." {
				return true
			}
		}
	}
	return strings.HasPrefix(r, "Origin checking failed - ") && strings.HasSuffix(r, " does not match any trusted origins.") ||
		strings.HasPrefix(r, "Referer checking failed - ") && strings.HasSuffix(r, " does not match any trusted origins.")
}

// FuzzCheck throws arbitrary requests at Check. It must never panic, must
// give one of Django's reasons, must keep the body for the handler, and may
// accept an unsafe request only when a submitted token really matches the
// cookie's secret and the Origin (if any) is the request's own or trusted.
func FuzzCheck(f *testing.F) {
	for _, q := range matrixRequests {
		origin, hasOrigin := q.header["Origin"]
		referer, hasReferer := q.header["Referer"]
		cookie := ""
		if q.cookie != "" {
			cookie = "csrftoken=" + q.cookie
		}
		f.Add("POST", "testserver", q.secure, cookie, hasOrigin, origin, hasReferer, referer, q.header["X-CSRFToken"], q.form)
	}
	f.Add("PUT", "[::1]:80", true, `a=b; csrftoken="`+testSecret+`"; csrftoken=x`, false, "", true, "https://[::1]:80/", testMasked, "")
	f.Add("POST", "Test.Example:8000", false, "csrftoken="+testMasked, true, "http://Test.Example:8000", false, "", "", "csrfmiddlewaretoken="+testSecret+"%zz&x")
	p := mustNew(f, Options{TrustedOrigins: []string{"https://*.trusted.com", "http://exact.example"}})

	f.Fuzz(func(t *testing.T, method, host string, secure bool, cookie string, hasOrigin bool, origin string,
		hasReferer bool, referer, token, form string) {
		if !validMethod(method) {
			return // net/http refuses such requests before any handler runs
		}
		r, err := http.NewRequest(method, "http://x/", strings.NewReader(form))
		if err != nil {
			return
		}
		r.Host = host
		if secure {
			r.TLS = &tls.ConnectionState{}
		}
		if cookie != "" {
			r.Header.Set("Cookie", cookie)
		}
		if hasOrigin {
			r.Header["Origin"] = []string{origin}
		}
		if hasReferer {
			r.Header["Referer"] = []string{referer}
		}
		if token != "" {
			r.Header.Set("X-CSRFToken", token)
		}
		if form != "" {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}

		err = p.Check(r)

		body, _ := io.ReadAll(r.Body)
		if string(body) != form {
			t.Fatalf("body changed: %q → %q", form, body)
		}
		if err != nil {
			rej, ok := err.(*RejectError)
			if !ok || !knownReason(rej.Reason) {
				t.Fatalf("unexpected error %#v", err)
			}
			return
		}
		if isSafeMethod(method) {
			return
		}
		// Accepted: Origin, if any, is own or trusted.
		if hasOrigin {
			own := "http://" + host
			if secure {
				own = "https://" + host
			}
			if origin != own && origin != "http://exact.example" && !(strings.HasPrefix(origin, "https://") && (strings.HasSuffix(origin, ".trusted.com") || origin == "https://trusted.com")) {
				t.Fatalf("accepted Origin %q for host %q", origin, host)
			}
		}
		// Accepted: some submitted token stands for the cookie's secret.
		c, ok := pycompat.CookieValue(r.Header, "csrftoken")
		if !ok {
			t.Fatal("accepted without a cookie")
		}
		secret := c
		if len(c) == TokenLength {
			secret, _ = Unmask(c)
		}
		candidates := []string{token}
		if method == "POST" {
			for _, pair := range strings.Split(form, "&") {
				_, v, _ := strings.Cut(pair, "=")
				if u, err := url.QueryUnescape(v); err == nil {
					candidates = append(candidates, u)
				}
				candidates = append(candidates, v)
			}
		}
		for _, cand := range candidates {
			s := cand
			if len(cand) == TokenLength {
				s, _ = Unmask(cand)
			}
			if len(secret) == SecretLength && s == secret {
				return
			}
		}
		t.Fatalf("accepted with cookie %q, token %q, form %q", c, token, form)
	})
}

func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for i := 0; i < len(m); i++ {
		c := m[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return true
}
