package csrf

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Vectors from Django's own suite (csrf_tests) and produced by Django
// 3.2.25, 4.2.28 and 5.2.18.
const (
	testSecret = "0123456789abcdefghijklmnopqrstuv"
	testMask   = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"
	testMasked = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefqsuwyACEGIKMOQSUWY02468aceqsuwyA"
)

// req describes a request for table tests.
type req struct {
	method  string
	host    string // default "testserver"
	secure  bool   // r.TLS set
	cookie  string // csrftoken value; "" = no cookie
	form    string // urlencoded body (sets Content-Type)
	header  map[string]string
	noToken bool
}

func (q req) build() *http.Request {
	method := q.method
	if method == "" {
		method = http.MethodPost
	}
	var body io.Reader
	if q.form != "" {
		body = strings.NewReader(q.form)
	}
	r := httptest.NewRequest(method, "http://testserver/x", body)
	r.Host = "testserver"
	if q.host != "" {
		r.Host = q.host
	}
	if q.form != "" {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	r.TLS = nil
	if q.secure {
		r.TLS = &tls.ConnectionState{}
	}
	if q.cookie != "" {
		r.Header.Set("Cookie", "csrftoken="+q.cookie)
	}
	for k, v := range q.header {
		r.Header.Set(k, v)
	}
	return r
}

func mustNew(t testing.TB, o Options) *Protector {
	t.Helper()
	p, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// reasonOf returns "" for nil or the rejection reason.
func reasonOf(t testing.TB, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	rej, ok := err.(*RejectError)
	if !ok {
		t.Fatalf("error %v (%T) is not a *RejectError", err, err)
	}
	return rej.Reason
}
