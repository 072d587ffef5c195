package dmr_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/openapi"
	"github.com/dmr-go/dmr/security"
	"github.com/dmr-go/dmr/throttle"
)

type throttleUserKey struct{}

// headerUserAuth accepts "X-User: <id>" and counts its calls.
type headerUserAuth struct{ calls atomic.Int64 }

func (a *headerUserAuth) Authenticate(r *http.Request) (*http.Request, error) {
	a.calls.Add(1)
	id := r.Header.Get("X-User")
	if id == "" {
		return nil, nil
	}
	return r.WithContext(context.WithValue(r.Context(), throttleUserKey{}, id)), nil
}

func (a *headerUserAuth) Describe(security.Operation) security.Description {
	return security.Description{
		Schemes:     map[string]*openapi.SecurityScheme{"x_user": {Type: "apiKey", In: "header", Name: "X-User"}},
		Requirement: openapi.SecurityRequirement{"x_user": {}},
		Responses:   []security.Response{security.NotAuthenticatedResponse()},
	}
}

func ctxUser(r *http.Request) string {
	id, _ := r.Context().Value(throttleUserKey{}).(string)
	return id
}

func mustLimiter(l *throttle.Limiter, err error) *throttle.Limiter {
	if err != nil {
		panic(err)
	}
	return l
}

type throttleAPI struct {
	api  *dmr.API
	auth *headerUserAuth
}

// newThrottleAPI: anon 2/min and user 3/min for the whole API (DRF's
// AnonRateThrottle and UserRateThrottle), an IP limiter of 5/min on the
// "flood" controller, and one endpoint without throttling.
func newThrottleAPI(t testing.TB, o throttle.Options) throttleAPI {
	o.User = ctxUser
	if o.Logger == nil {
		o.Logger = quietLogger()
	}
	anon := mustLimiter(throttle.Anon(throttle.Rate{Limit: 2, Period: time.Minute}, o))
	user := mustLimiter(throttle.User(throttle.Rate{Limit: 3, Period: time.Minute}, o))
	ipo := o
	ipo.Name, ipo.Rate = "flood", throttle.Rate{Limit: 5, Period: time.Minute}
	ip := mustLimiter(throttle.New(ipo))
	au := &headerUserAuth{}
	api := dmr.New(dmr.Config{Title: "T", Prefix: "/api", Throttle: []security.Limiter{anon, user}, Logger: quietLogger()})
	open := api.Controller(dmr.ControllerConfig{Name: "Open", Path: "/open/"})
	dmr.Get(open, dmr.Operation{}, func(context.Context, *struct{}) (*string, error) { s := "ok"; return &s, nil })
	private := api.Controller(dmr.ControllerConfig{Name: "Private", Path: "/private/", Auth: []security.Auth{au}})
	dmr.Get(private, dmr.Operation{}, func(ctx context.Context, _ *struct{}) (*string, error) {
		s := ctxUser(dmr.Request(ctx))
		return &s, nil
	})
	flood := api.Controller(dmr.ControllerConfig{Name: "Flood", Path: "/flood/", Auth: []security.Auth{au}, Throttle: []security.Limiter{ip}})
	dmr.Get(flood, dmr.Operation{}, func(context.Context, *struct{}) (*string, error) { s := "ok"; return &s, nil })
	free := api.Controller(dmr.ControllerConfig{Name: "Free", Path: "/free/", NoThrottle: true})
	dmr.Get(free, dmr.Operation{}, func(context.Context, *struct{}) (*string, error) { s := "ok"; return &s, nil })
	return throttleAPI{api, au}
}

func get(h http.Handler, target, ip string, header ...string) result {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.RemoteAddr = net.JoinHostPort(ip, "40000")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return result{rec.Code, rec.Header(), rec.Body.String()}
}

const throttledBody = `{"detail":[{"msg":"Too many requests","type":"ratelimit"}]}`

func checkThrottled(t *testing.T, got result) {
	t.Helper()
	expect(t, got, http.StatusTooManyRequests, throttledBody)
	ra, err := strconv.Atoi(got.header.Get("Retry-After"))
	if err != nil || ra < 1 || ra > 60 {
		t.Errorf("Retry-After %q: want whole seconds in [1, 60]", got.header.Get("Retry-After"))
	}
}

func TestThrottleAnonAndUser(t *testing.T) {
	ta := newThrottleAPI(t, throttle.Options{})
	h := ta.api
	// Anonymous: counted by anon (2/min) and by user, per IP (3/min).
	r := get(h, "/api/open/", "203.0.113.1")
	expect(t, r, 200, `"ok"`)
	if got := r.header.Values("RateLimit-Policy"); strings.Join(got, ", ") != `"anon";q=2;w=60, "user";q=3;w=60` {
		t.Errorf("RateLimit-Policy %q", got)
	}
	if got := r.header.Values("RateLimit"); strings.Join(got, ", ") != `"anon";r=1;t=60, "user";r=2;t=60` {
		t.Errorf("RateLimit %q", got)
	}
	expect(t, get(h, "/api/open/", "203.0.113.1"), 200, `"ok"`)
	r = get(h, "/api/open/", "203.0.113.1")
	checkThrottled(t, r)
	if got := r.header.Get("RateLimit"); !strings.HasPrefix(got, `"anon";r=0;t=`) {
		t.Errorf("429 RateLimit %q", got)
	}
	// Another address has its own budget; an unthrottled endpoint has none.
	expect(t, get(h, "/api/open/", "203.0.113.2"), 200, `"ok"`)
	r = get(h, "/api/free/", "203.0.113.1")
	expect(t, r, 200, `"ok"`)
	if r.header.Get("RateLimit") != "" {
		t.Errorf("unthrottled endpoint sent RateLimit %q", r.header.Get("RateLimit"))
	}

	// Authenticated: anon skips them, user counts per user id (3/min),
	// whatever the address, after the auth.
	for i := range 3 {
		r = get(h, "/api/private/", "203.0.113.1", "X-User", "42")
		expect(t, r, 200, `"42"`)
		if want := `"user";r=` + strconv.Itoa(2-i) + `;t=60`; r.header.Get("RateLimit") != want {
			t.Errorf("request %d: RateLimit %q, want %q", i, r.header.Values("RateLimit"), want)
		}
	}
	checkThrottled(t, get(h, "/api/private/", "198.51.100.7", "X-User", "42"))
	expect(t, get(h, "/api/private/", "203.0.113.1", "X-User", "43"), 200, `"43"`)
	// A refused auth is not counted by the after-auth limiters.
	before := get(h, "/api/open/", "192.0.2.50")
	expect(t, before, 200, `"ok"`)
	expect(t, get(h, "/api/private/", "192.0.2.51"), 401, `{"detail":[{"msg":"Not authenticated","type":"security"}]}`)
	if r := get(h, "/api/private/", "192.0.2.51"); r.header.Get("RateLimit") != "" {
		t.Errorf("401 carries RateLimit %q", r.header.Get("RateLimit"))
	}
}

func TestThrottleBeforeAuth(t *testing.T) {
	ta := newThrottleAPI(t, throttle.Options{})
	h := ta.api
	for i := range 5 { // distinct users: the user limiter (3/min) stays out of the way
		expect(t, get(h, "/api/flood/", "203.0.113.9", "X-User", strconv.Itoa(i)), 200, `"ok"`)
	}
	calls := ta.auth.calls.Load()
	// The IP limiter runs first: before the Accept check and the auth.
	checkThrottled(t, get(h, "/api/flood/", "203.0.113.9", "X-User", "1", "Accept", "text/html"))
	checkThrottled(t, get(h, "/api/flood/", "203.0.113.9"))
	if n := ta.auth.calls.Load(); n != calls {
		t.Errorf("the auth ran %d times for refused requests", n-calls)
	}
}

func TestThrottleDocument(t *testing.T) {
	doc := mustDocs(t, newThrottleAPI(t, throttle.Options{}).api)
	r := dig(doc, "paths", "/api/private/", "get", "responses", "429")
	if r == nil {
		t.Fatal("no 429 on a throttled operation")
	}
	if d := dig(r, "description"); d != security.TooManyRequestsDescription {
		t.Errorf("429 description %v", d)
	}
	for _, name := range []string{"Retry-After", "RateLimit", "RateLimit-Policy"} {
		if dig(r, "headers", name) == nil {
			t.Errorf("429 lacks header %s", name)
		}
	}
	if dig(doc, "paths", "/api/free/", "get", "responses", "429") != nil {
		t.Error("429 documented on an unthrottled operation")
	}
	if dig(doc, "paths", "/api/open/", "get", "responses", "503") != nil {
		t.Error("503 documented for a limiter that fails open")
	}
	closed := mustDocs(t, newThrottleAPI(t, throttle.Options{FailClosed: true}).api)
	if dig(closed, "paths", "/api/open/", "get", "responses", "503") == nil {
		t.Error("no 503 documented for a limiter that fails closed")
	}
}

// downRedis is a client of a port nobody listens on.
func downRedis(t *testing.T) *redis.Client {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 100 * time.Millisecond, MaxRetries: -1, DialerRetries: 1})
	t.Cleanup(func() { c.Close() })
	return c
}

func TestThrottleRedisDown(t *testing.T) {
	store, err := throttle.NewRedisStore(downRedis(t), throttle.RedisOptions{KeyPrefix: "dmrtest:down:"})
	if err != nil {
		t.Fatal(err)
	}
	// Fail open (the default): served, without RateLimit headers.
	h := newThrottleAPI(t, throttle.Options{Store: store}).api
	r := get(h, "/api/open/", "203.0.113.1")
	expect(t, r, 200, `"ok"`)
	if r.header.Get("RateLimit") != "" {
		t.Errorf("RateLimit %q without a store", r.header.Get("RateLimit"))
	}
	// Fail closed: 503 with Retry-After.
	h = newThrottleAPI(t, throttle.Options{Store: store, FailClosed: true}).api
	r = get(h, "/api/open/", "203.0.113.1")
	expect(t, r, 503, `{"detail":[{"msg":"`+apierror.UnavailableMsg+`","type":"unavailable"}]}`)
	if r.header.Get("Retry-After") != "1" {
		t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
	}
}
