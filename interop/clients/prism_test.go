//go:build clientgen

package clients

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestPrismProxy sends the flows (session, then SimpleJWT) and the error cases through
// Prism's validating proxy (prism proxy --errors, started by run.sh in front
// of the example): every request and answer must match the document, so no
// answer may carry Prism's sl-violations header, and each must be the
// example's own (its error model), not one Prism made up. Through Prism the
// example's 404 and 405 are unreachable (Prism answers paths and methods the
// document lacks itself), and so is 422 (the example never answers an
// undeclared response).
func TestPrismProxy(t *testing.T) {
	base := os.Getenv("DMR_PRISM_URL")
	if base == "" {
		t.Fatal("DMR_PRISM_URL is not set: run interop/clients/run.sh")
	}
	var cookies string
	do := func(method, path, body string, header map[string]string, status int) []byte {
		t.Helper()
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if cookies != "" {
			req.Header.Set("Cookie", cookies)
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if v := resp.Header.Get("sl-violations"); v != "" {
			t.Errorf("%s %s: Prism reports violations: %s", method, path, v)
		}
		if resp.StatusCode != status {
			t.Errorf("%s %s: status %d %s, want %d", method, path, resp.StatusCode, b, status)
		}
		if status == 422 {
			// Prism's own refusal of a request the document forbids.
			if !strings.Contains(string(b), "prism/errors#UNPROCESSABLE_ENTITY") {
				t.Errorf("%s %s: %s is not Prism's request validation error", method, path, b)
			}
		} else if status >= 400 && !strings.HasPrefix(string(b), `{"detail":[`) {
			t.Errorf("%s %s: %s is not the example's error model (an answer of Prism's own?)", method, path, b)
		}
		if method == http.MethodPost && path == "/api/auth/" && status == 200 {
			cookies = cookieHeader(resp.Header.Values("Set-Cookie"))
		}
		return b
	}

	// 401 with a session cookie that names no session (Prism itself answers
	// requests without the cookie its security scheme names).
	cookies = "sessionid=nosuchsession; csrftoken=abcdefghijklmnopqrstuvwxyz012345"
	do("GET", "/api/notes/", "", nil, 401)
	cookies = ""
	do("POST", "/api/auth/", `{"username":"test_user","password":"wrong"}`, nil, 401)
	// The example's 400s are not reachable through Prism: it refuses the
	// same requests itself, from the constraints in the document (required
	// password, text of 1 to 1000 characters).
	do("POST", "/api/auth/", `{"username":"test_user"}`, nil, 422)
	do("POST", "/api/auth/", `{"username":"test_user","password":"password"}`, nil, 200)
	if !strings.Contains(cookies, "sessionid=") {
		t.Fatalf("no session cookie from the login through Prism: %q", cookies)
	}
	var tok struct{ Csrftoken string }
	if err := json.Unmarshal(do("GET", "/api/csrf/", "", nil, 200), &tok); err != nil || tok.Csrftoken == "" {
		t.Fatalf("GET /api/csrf/: %v", err)
	}
	csrf := map[string]string{"X-CSRFToken": tok.Csrftoken}
	do("POST", "/api/notes/", `{"text":"through Prism"}`, csrf, 201)
	if list := do("GET", "/api/notes/", "", nil, 200); !strings.Contains(string(list), "through Prism") {
		t.Errorf("the note is not listed: %s", list)
	}
	do("POST", "/api/notes/", `{"text":""}`, csrf, 422)
	do("POST", "/api/notes/", `{"text":"x"}`, map[string]string{"X-CSRFToken": "wrong"}, 403)
	do("GET", "/api/staff/", "", nil, 403)
	do("GET", "/api/notes/", "", map[string]string{"Accept": "text/html"}, 406)

	// SimpleJWT's endpoints and a bearer token, with no cookies: the pair,
	// verify (200 {} and 401), a note written and listed with the access
	// token, refresh, a wrong token (401 with the challenges).
	cookies = ""
	do("POST", "/api/token/", `{"username":"test_user","password":"wrong"}`, nil, 401)
	var pair struct{ Access, Refresh string }
	if err := json.Unmarshal(do("POST", "/api/token/", `{"username":"test_user","password":"password"}`, nil, 200), &pair); err != nil || pair.Access == "" {
		t.Fatalf("POST /api/token/: %v %+v", err, pair)
	}
	if b := do("POST", "/api/token/verify/", `{"token":"`+pair.Access+`"}`, nil, 200); string(b) != "{}" {
		t.Errorf("verify answered %s, want {}", b)
	}
	do("POST", "/api/token/verify/", `{"token":"x.y.z"}`, nil, 401)
	bearer := map[string]string{"Authorization": "Bearer " + pair.Access}
	do("POST", "/api/notes/", `{"text":"through Prism with a JWT"}`, bearer, 201)
	if list := do("GET", "/api/notes/", "", bearer, 200); !strings.Contains(string(list), "through Prism with a JWT") {
		t.Errorf("the JWT note is not listed: %s", list)
	}
	do("POST", "/api/token/refresh/", `{"refresh":"`+pair.Refresh+`"}`, nil, 200)
	do("GET", "/api/apicontroller/", "", map[string]string{"Authorization": "Bearer " + pair.Refresh}, 401)
}

// splitCookies splits a Set-Cookie value that Prism's proxy joined with
// commas (it merges repeated Set-Cookie headers): a comma followed by
// name= starts the next cookie; the comma of an Expires date is followed by
// a space and a day number.
var splitCookies = regexp.MustCompile(`,\s*([A-Za-z0-9_.-]+=)`)

// cookieHeader turns the login's Set-Cookie values into a Cookie header.
func cookieHeader(values []string) string {
	var pairs []string
	for _, v := range values {
		for _, c := range strings.Split(splitCookies.ReplaceAllString(v, "\n$1"), "\n") {
			pair, _, _ := strings.Cut(c, ";")
			pairs = append(pairs, strings.TrimSpace(pair))
		}
	}
	return strings.Join(pairs, "; ")
}
