package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/auth/hashers"
	"github.com/dmr-go/dmr/metrics"
)

func routeOf(api func(*http.Request) string, mux *http.ServeMux) func(*http.Request) string {
	return func(r *http.Request) string {
		if p := api(r); p != "" {
			return p
		}
		_, p := mux.Handler(r)
		return p
	}
}

func newMetrics(t testing.TB) (*metrics.Metrics, http.Handler) { return newMetricsWith(t, true) }

func newMetricsWith(t testing.TB, wrap bool) (*metrics.Metrics, http.Handler) {
	// An API (a parameterised route) with plain routes beside it, behind the
	// metrics middleware, labelled as package manage does.
	api := dmr.New(dmr.Config{Prefix: "/api"})
	c := api.Controller(dmr.ControllerConfig{Name: "Users", Path: "/users/{id}/"})
	dmr.Get(c, dmr.Operation{}, func(ctx context.Context, in *struct {
		ID int `path:"id" minimum:"1"`
	}) (*int, error) {
		return &in.ID, nil
	})
	mux := http.NewServeMux()
	mux.Handle("/api/", api)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("POST /panic", func(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) })
	m, err := metrics.New(metrics.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !wrap {
		return m, mux
	}
	return m, m.Middleware(mux, routeOf(api.Route, mux))
}

func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("scrape: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse exposition: %v", err)
	}
	return fams
}

func labels(m *dto.Metric) string {
	var parts []string
	for _, l := range m.GetLabel() {
		parts = append(parts, l.GetName()+"="+l.GetValue())
	}
	return strings.Join(parts, ",")
}

// values maps each series' labels to its value (counters, gauges) or its
// sample count (histograms).
func values(t *testing.T, fams map[string]*dto.MetricFamily, name string) map[string]float64 {
	t.Helper()
	f := fams[name]
	if f == nil {
		t.Fatalf("%s missing from the exposition", name)
	}
	out := map[string]float64{}
	for _, m := range f.GetMetric() {
		switch {
		case m.Counter != nil:
			out[labels(m)] = m.Counter.GetValue()
		case m.Gauge != nil:
			out[labels(m)] = m.Gauge.GetValue()
		case m.Histogram != nil:
			out[labels(m)] = float64(m.Histogram.GetSampleCount())
		}
	}
	return out
}

func TestMiddlewareAndExposition(t *testing.T) {
	m, h := newMetrics(t)
	srv := httptest.NewServer(h)
	defer srv.Close()
	msrv := httptest.NewServer(m.Mux(metrics.MuxOptions{}))
	defer msrv.Close()

	do := func(method, path string) int {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			if path == "/panic" {
				return 0 // the handler aborted the connection
			}
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := 1; i <= 3; i++ {
		do("GET", fmt.Sprintf("/api/users/%d/", i)) // 200 ×3, one route
	}
	do("GET", "/api/users/0/")      // 400 (minimum 1)
	do("POST", "/api/users/1/")     // 405
	do("GET", "/api/nothing/here/") // 404 from the API: the mux's /api/ pattern
	do("GET", "/healthz")
	do("BREW", "/healthz")      // an unknown method: OTHER
	do("GET", "/no/such/path/") // 404 from the mux: no route
	do("POST", "/panic")        // POST: the client does not retry it

	fams := scrape(t, msrv.URL+"/metrics")
	got := values(t, fams, "dmr_http_requests_total")
	want := map[string]float64{
		"method=GET,route=/api/users/{id}/,status=200":  3,
		"method=GET,route=/api/users/{id}/,status=400":  1,
		"method=POST,route=/api/users/{id}/,status=405": 1,
		"method=GET,route=/api/,status=404":             1,
		"method=GET,route=GET /healthz,status=200":      1,
		"method=OTHER,route=unmatched,status=405":       1, // ServeMux: 405 for BREW /healthz, no pattern
		"method=GET,route=unmatched,status=404":         1,
		"method=POST,route=POST /panic,status=500":      1,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("requests:\n got %v\nwant %v", got, want)
	}
	lat := values(t, fams, "dmr_http_request_duration_seconds")
	if lat["method=GET,route=/api/users/{id}/"] != 4 || len(lat) != 7 {
		t.Errorf("latency histogram counts: %v", lat)
	}
	if inflight := values(t, fams, "dmr_http_requests_in_flight")[""]; inflight != 0 {
		t.Errorf("in flight after all requests: %v", inflight)
	}
	if fams["go_goroutines"] == nil || fams["process_start_time_seconds"] == nil && fileExists("/proc/self/stat") {
		t.Error("runtime and process collectors missing")
	}
	// Profiles are off unless asked for.
	if resp, err := http.Get(msrv.URL + "/debug/pprof/"); err != nil || resp.StatusCode != 404 {
		t.Errorf("pprof without MuxOptions.PProf: %v %v", resp.StatusCode, err)
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func TestLoginStoreAndPool(t *testing.T) {
	m, err := metrics.New(metrics.Options{NoRuntimeMetrics: true})
	if err != nil {
		t.Fatal(err)
	}
	hs := &hashers.Hashers{MaxConcurrent: 3}
	if err := m.WatchHashingPool(func() (int, int, int) { s := hs.Stats(); return s.Queued, s.Running, s.Capacity }); err != nil {
		t.Fatal(err)
	}
	if err := m.WatchHashingPool(func() (int, int, int) { return 0, 0, 0 }); err == nil {
		t.Error("a second WatchHashingPool registered")
	}
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()

	fams := scrape(t, srv.URL)
	zero := values(t, fams, "dmr_login_attempts_total")
	if len(zero) != 4 || zero["outcome=throttled"] != 0 {
		t.Errorf("login outcomes before any attempt: %v", zero)
	}

	for _, o := range []string{metrics.LoginSuccess, metrics.LoginFailure, metrics.LoginFailure, metrics.LoginThrottled, metrics.LoginHashingBusy, "weird"} {
		m.ObserveLogin(o)
	}
	timeout, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-timeout.Done()
	m.ObserveStoreError(metrics.StoreDatabase, fmt.Errorf("select: %w", timeout.Err()))
	m.ObserveStoreError(metrics.StoreDatabase, errors.New("connection refused"))
	m.ObserveStoreError(metrics.StoreRedis, &netTimeout{})
	m.ObserveStoreError("mongo", errors.New("x"))
	m.ObserveStoreError(metrics.StoreRedis, context.Canceled) // the client left: not counted
	m.ObserveStoreError(metrics.StoreRedis, nil)

	fams = scrape(t, srv.URL)
	logins := values(t, fams, "dmr_login_attempts_total")
	wantLogins := map[string]float64{"outcome=success": 1, "outcome=failure": 2, "outcome=throttled": 1, "outcome=hashing_busy": 1, "outcome=other": 1}
	if fmt.Sprint(logins) != fmt.Sprint(wantLogins) {
		t.Errorf("logins: %v, want %v", logins, wantLogins)
	}
	stores := values(t, fams, "dmr_store_errors_total")
	wantStores := map[string]float64{
		"kind=timeout,store=database": 1, "kind=error,store=database": 1,
		"kind=timeout,store=redis": 1, "kind=error,store=redis": 0,
		"kind=error,store=other": 1,
	}
	if fmt.Sprint(stores) != fmt.Sprint(wantStores) {
		t.Errorf("store errors: %v, want %v", stores, wantStores)
	}
	for name, want := range map[string]float64{"dmr_password_hashing_capacity": 3, "dmr_password_hashing_running": 0, "dmr_password_hashing_queued": 0} {
		if got := values(t, fams, name)[""]; got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if fams["go_goroutines"] != nil {
		t.Error("runtime collector present with NoRuntimeMetrics")
	}

	var nilM *metrics.Metrics // metrics off: calls are no-ops
	nilM.ObserveLogin(metrics.LoginSuccess)
	nilM.ObserveStoreError(metrics.StoreDatabase, errors.New("x"))
}

type netTimeout struct{}

func (*netTimeout) Error() string   { return "i/o timeout" }
func (*netTimeout) Timeout() bool   { return true }
func (*netTimeout) Temporary() bool { return true }

func TestPProf(t *testing.T) {
	m, err := metrics.New(metrics.Options{NoRuntimeMetrics: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(m.Mux(metrics.MuxOptions{PProf: true}))
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if s, body := get("/debug/pprof/"); s != 200 || !strings.Contains(body, `href="heap?debug=1"`) {
		t.Errorf("index: %d %.200s", s, body)
	}
	if s, body := get("/debug/pprof/goroutine?debug=2"); s != 200 || !strings.Contains(body, "goroutine ") || !strings.Contains(body, "TestPProf") {
		t.Errorf("goroutine stacks: %d %.200s", s, body)
	}
	if s, body := get("/debug/pprof/heap"); s != 200 || !strings.HasPrefix(body, "\x1f\x8b") {
		t.Errorf("heap profile is not gzipped protobuf: %d %q", s, body[:min(len(body), 8)])
	}
	if s, body := get("/debug/pprof/profile?seconds=1"); s != 200 || !strings.HasPrefix(body, "\x1f\x8b") {
		t.Errorf("CPU profile: %d %q", s, body[:min(len(body), 8)])
	}
	if s, _ := get("/debug/pprof/trace?seconds=1"); s != 200 {
		t.Errorf("trace: %d", s)
	}
	for _, p := range []string{"/debug/pprof/nosuch", "/debug/pprof/profile?seconds=0", "/debug/pprof/profile?seconds=x", "/debug/pprof/trace?seconds=61"} {
		if s, _ := get(p); s != 404 && s != 400 {
			t.Errorf("%s: %d", p, s)
		}
	}
}

func Example() {
	m, err := metrics.New(metrics.Options{NoRuntimeMetrics: true})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello/{name}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hi") })
	// Wrapping the ServeMux directly, the route label is the pattern it
	// matched (r.Pattern), not the path.
	h := m.Middleware(mux, nil)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/hello/ada", nil))
	m.ObserveLogin(metrics.LoginThrottled)

	// Serve m.Mux(…) on a separate, private address; here, one scrape.
	rec := httptest.NewRecorder()
	m.Mux(metrics.MuxOptions{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for line := range strings.Lines(rec.Body.String()) {
		if strings.HasPrefix(line, "dmr_http_requests_total") || strings.HasPrefix(line, `dmr_login_attempts_total{outcome="throttled"}`) {
			fmt.Print(line)
		}
	}
	// Output:
	// dmr_http_requests_total{method="GET",route="GET /hello/{name}",status="200"} 1
	// dmr_login_attempts_total{outcome="throttled"} 1
}
