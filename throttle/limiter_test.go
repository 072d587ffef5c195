package throttle

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/security"
	"github.com/dmr-go/dmr/securityheaders"
)

func request(remote string, header ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/api/x/", nil)
	r.RemoteAddr = remote
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	return r
}

func TestNewValidates(t *testing.T) {
	ok := Rate{Limit: 1, Period: time.Second}
	for _, o := range []Options{
		{Name: "", Rate: ok},
		{Name: "a b", Rate: ok},
		{Name: `a"b`, Rate: ok},
		{Name: "a", Rate: Rate{Limit: 1, Period: time.Millisecond}},
		{Name: "a", Rate: Rate{Limit: -1, Period: time.Second}},
		{Name: "a", Rate: ok, Burst: -1},
		{Name: "a", Rate: ok, Key: ByCredential},
		{Name: "a", Rate: ok, Key: 9},
		{Name: "a", Rate: ok, Trust: &securityheaders.Trust{ClientIPHeader: "bad header"}},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
}

func TestClientIP(t *testing.T) {
	plain, _ := New(Options{Name: "a", Rate: Rate{1, time.Second}})
	proxied, _ := New(Options{Name: "a", Rate: Rate{1, time.Second}, Trust: &securityheaders.Trust{ClientIPHeader: "X-Forwarded-For"}})
	for _, c := range []struct {
		l    *Limiter
		r    *http.Request
		want string
	}{
		{plain, request("203.0.113.5:1234"), "203.0.113.5"},
		{plain, request("203.0.113.5:1234", "X-Forwarded-For", "1.2.3.4"), "203.0.113.5"}, // not trusted
		{plain, request("[2001:db8:1:2:3:4:5:6]:1234"), "2001:db8:1:2::"},                 // per /64
		{plain, request("[::ffff:192.0.2.1]:1"), "192.0.2.1"},
		{proxied, request("10.0.0.1:1", "X-Forwarded-For", "6.6.6.6, 198.51.100.2"), "198.51.100.2"}, // the proxy's entry, not the client's
		{proxied, request("10.0.0.1:1"), "10.0.0.1"},
	} {
		if got := c.l.ClientIP(c.r); got != netip.MustParseAddr(c.want) {
			t.Errorf("ClientIP(%s %v) = %v, want %s", c.r.RemoteAddr, c.r.Header, got, c.want)
		}
	}
}

func TestLimiterKeys(t *testing.T) {
	s := NewMemoryStore(MemoryOptions{Now: newClock().Now})
	user := func(r *http.Request) string { return r.Header.Get("X-User") }
	cred := func(r *http.Request) string { return r.Header.Get("X-Token") }
	anon, _ := Anon(Rate{1, time.Minute}, Options{Store: s, User: user})
	usr, _ := User(Rate{1, time.Minute}, Options{Store: s, User: user})
	tok, _ := New(Options{Name: "token", Rate: Rate{1, time.Minute}, Key: ByCredential, Credential: cred, Store: s})

	for _, c := range []struct {
		l    *Limiter
		r    *http.Request
		want Key
		ok   bool
	}{
		{anon, request("192.0.2.1:1"), ipKey("anon", "192.0.2.1"), true},
		{anon, request("192.0.2.1:1", "X-User", "7"), Key{}, false},
		{usr, request("192.0.2.1:1", "X-User", "7"), Key{Scope: "user", ID: "u:7"}, true},
		{usr, request("192.0.2.1:1"), ipKey("user", "192.0.2.1"), true},
		{tok, request("192.0.2.1:1", "X-Token", "secret"), Key{Scope: "token", ID: "c:2bb80d537b1da3e38bd30361aa855686"}, true},
		{tok, request("192.0.2.1:1"), ipKey("token", "192.0.2.1"), true},
	} {
		k, ok := c.l.keyOf(c.r)
		if ok != c.ok || (ok && k != c.want) {
			t.Errorf("%s: keyOf = %+v, %v; want %+v, %v", c.l.name, k, ok, c.want, c.ok)
		}
	}
	for _, l := range []*Limiter{anon, usr, tok} {
		d := l.Describe(security.Operation{})
		if d.AfterAuth != (l != nil) || len(d.Responses) != 1 || d.Responses[0].Status != 429 {
			t.Errorf("%s: Describe = %+v", l.name, d)
		}
	}
	ip, _ := New(Options{Name: "ip", Rate: Rate{1, time.Minute}})
	if ip.Describe(security.Operation{}).AfterAuth {
		t.Error("an IP limiter runs after the auths")
	}
}

func TestLimitHeadersAndError(t *testing.T) {
	c := newClock()
	l, _ := New(Options{Name: "api", Rate: Rate{2, time.Minute}, Store: NewMemoryStore(MemoryOptions{Now: c.Now})})
	r := request("192.0.2.1:1")
	for i, want := range []string{`"api";r=1;t=60`, `"api";r=0;t=50`, `"api";r=0;t=50`} {
		w := httptest.NewRecorder()
		err := l.Limit(w, r)
		if got := w.Header().Get("RateLimit"); got != want {
			t.Errorf("request %d: RateLimit %q, want %q", i, got, want)
		}
		if got := w.Header().Get("RateLimit-Policy"); got != `"api";q=2;w=60` {
			t.Errorf("request %d: RateLimit-Policy %q", i, got)
		}
		if i < 2 && err != nil {
			t.Fatalf("request %d refused: %v", i, err)
		}
		if i == 2 {
			if !errors.Is(err, ErrThrottled) {
				t.Fatalf("third request: %v", err)
			}
			ae, _ := apierror.As(err)
			if ae.Status != 429 || ae.Header.Get("Retry-After") != "50" || ae.Details[0].Msg != TooManyRequestsMsg || ae.Details[0].Type != apierror.TypeRateLimit {
				t.Errorf("429: %+v", ae)
			}
		}
		if i == 0 {
			c.Add(10 * time.Second)
		}
	}
	// Retry-After is at least 1 second.
	if got := (&ThrottledError{RetryAfter: time.Millisecond}).RetryAfterSeconds(); got != 1 {
		t.Errorf("RetryAfterSeconds = %d", got)
	}
	if !strings.Contains((&ThrottledError{Policy: "api", RetryAfter: time.Second}).Error(), "api") {
		t.Error("the error does not name the policy")
	}
}
