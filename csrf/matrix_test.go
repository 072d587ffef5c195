package csrf

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// matrixRequests builds each request shape of the reason matrix recorded from
// Django 4.2.28 and 5.2.18 (testdata/reasons-django-4.2-5.2.txt): host
// "testserver", cookie = testSecret, CSRF_TRUSTED_ORIGINS =
// ["https://*.trusted.com"], a header token unless the row says otherwise.
var matrixRequests = map[string]req{
	"no cookie":                             {header: map[string]string{"X-CSRFToken": testMasked}},
	"cookie ok, no token":                   {cookie: testSecret},
	"cookie ok, POST token masked":          {cookie: testSecret, form: "csrfmiddlewaretoken=" + testMasked},
	"cookie ok, POST token unmasked secret": {cookie: testSecret, form: "csrfmiddlewaretoken=" + testSecret},
	"cookie ok, header token":               {cookie: testSecret, header: map[string]string{"X-CSRFToken": testMasked}},
	"cookie ok, POST token wrong":           {cookie: testSecret, form: "csrfmiddlewaretoken=" + strings.Repeat("a", 64)},
	"cookie ok, POST token bad len":         {cookie: testSecret, form: "csrfmiddlewaretoken=" + strings.Repeat("a", 10)},
	"cookie ok, POST token bad chars":       {cookie: testSecret, form: "csrfmiddlewaretoken=" + strings.Repeat("-", 64)},
	"cookie ok, header bad len":             {cookie: testSecret, header: map[string]string{"X-CSRFToken": strings.Repeat("a", 10)}},
	"cookie ok, header wrong":               {cookie: testSecret, header: map[string]string{"X-CSRFToken": strings.Repeat("a", 64)}},
	"cookie bad len":                        {cookie: "abc", header: map[string]string{"X-CSRFToken": testMasked}},
	"cookie bad chars":                      {cookie: strings.Repeat("!", 32), header: map[string]string{"X-CSRFToken": testMasked}},
	"cookie masked(64) ok":                  {cookie: testMasked, header: map[string]string{"X-CSRFToken": testSecret}},
	"origin bad":                            {cookie: testSecret, header: map[string]string{"X-CSRFToken": testMasked, "Origin": "https://evil.com"}},
	"origin good same host http":            {cookie: testSecret, header: map[string]string{"X-CSRFToken": testMasked, "Origin": "http://testserver"}},
	"origin https on http request":          {cookie: testSecret, header: map[string]string{"X-CSRFToken": testMasked, "Origin": "https://testserver"}},
	"origin trusted wildcard":               {cookie: testSecret, header: map[string]string{"X-CSRFToken": testMasked, "Origin": "https://a.b.trusted.com"}},
	"origin trusted wildcard bare":          {cookie: testSecret, header: map[string]string{"X-CSRFToken": testMasked, "Origin": "https://trusted.com"}},
	"origin trusted wildcard wrong scheme":  {cookie: testSecret, header: map[string]string{"X-CSRFToken": testMasked, "Origin": "http://a.trusted.com"}},
	"origin 'null'":                         {cookie: testSecret, header: map[string]string{"X-CSRFToken": testMasked, "Origin": "null"}},
	"https no referer":                      {secure: true, cookie: testSecret, header: map[string]string{"X-CSRFToken": testMasked}},
	"https referer malformed":               {secure: true, cookie: testSecret, header: map[string]string{"X-CSRFToken": testMasked, "Referer": "not a url"}},
	"https referer insecure":                {secure: true, cookie: testSecret, header: map[string]string{"X-CSRFToken": testMasked, "Referer": "http://testserver/x"}},
	"https referer bad":                     {secure: true, cookie: testSecret, header: map[string]string{"X-CSRFToken": testMasked, "Referer": "https://evil.com/x"}},
	"https referer ok":                      {secure: true, cookie: testSecret, header: map[string]string{"X-CSRFToken": testMasked, "Referer": "https://testserver/x"}},
	"https referer trusted sub":             {secure: true, cookie: testSecret, header: map[string]string{"X-CSRFToken": testMasked, "Referer": "https://a.trusted.com/x"}},
	"https origin ok no referer":            {secure: true, cookie: testSecret, header: map[string]string{"X-CSRFToken": testMasked, "Origin": "https://testserver"}},
	"https origin ok, no cookie":            {secure: true, header: map[string]string{"X-CSRFToken": testMasked, "Origin": "https://testserver"}},
}

func TestReasonMatrix(t *testing.T) {
	f, err := os.Open("testdata/reasons-django-4.2-5.2.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := mustNew(t, Options{TrustedOrigins: []string{"https://*.trusted.com"}})
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		name, want, ok := strings.Cut(line, "->")
		if !ok {
			t.Fatalf("bad matrix line %q", line)
		}
		name, want = strings.TrimSpace(name), strings.TrimSpace(want)
		q, ok := matrixRequests[name]
		if !ok {
			t.Errorf("no request shape for matrix row %q", name)
			continue
		}
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			status, reason := 200, reasonOf(t, p.Check(q.build()))
			if reason != "" {
				status = 403
			}
			var got string
			if status == 200 {
				got = "200 OK"
			} else {
				got = "403 REASON: " + reason
			}
			if got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 28 || len(matrixRequests) != 28 {
		t.Errorf("matrix rows covered: %d of %d shapes (want 28)", len(seen), len(matrixRequests))
	}
}
