package manage_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/auth/hashers"
	"github.com/dmr-go/dmr/health"
	"github.com/dmr-go/dmr/manage"
)

// bound is how long these tests wait for the server before failing.
const bound = 15 * time.Second

type text struct {
	Text string `json:"text"`
}

// opsApp has POST /api/echo/ (a JSON body) and GET /api/slow/, which
// signals entered and waits for release; /healthz and /readyz beside the API.
func opsApp(entered, release chan struct{}) manage.App {
	return manage.App{
		Name:        "ops",
		Options:     manage.Options{Hashers: &hashers.Hashers{List: []hashers.Hasher{&hashers.PBKDF2{Iterations: 1000}}, MaxConcurrent: 3}},
		AutoMigrate: true,
		API: func(env *manage.Env) (*dmr.API, error) {
			api := dmr.New(dmr.Config{Title: "ops", Prefix: "/api", Logger: env.Logger})
			c := api.Controller(dmr.ControllerConfig{Name: "Echo", Path: "/echo/"})
			dmr.Post(c, dmr.Operation{}, func(ctx context.Context, in *struct {
				Body text `body:""`
			}) (*text, error) {
				return &in.Body, nil
			})
			s := api.Controller(dmr.ControllerConfig{Name: "Slow", Path: "/slow/"})
			dmr.Get(s, dmr.Operation{}, func(ctx context.Context, _ *struct{}) (*string, error) {
				entered <- struct{}{}
				<-release
				done := "done"
				return &done, nil
			})
			return api, nil
		},
		Routes: func(mux *http.ServeMux, env *manage.Env, api *dmr.API) error {
			ready, err := health.Ready(health.ReadyOptions{Checks: env.HealthChecks(), Logger: env.Logger})
			if err != nil {
				return err
			}
			mux.Handle("GET /healthz", health.Live())
			mux.Handle("GET /readyz", ready)
			return nil
		},
	}
}

// freePort finds a free loopback port of this suite's range (18100-18199).
func freePort(t *testing.T) string {
	t.Helper()
	for p := 18150; p < 18200; p++ {
		addr := fmt.Sprintf("127.0.0.1:%d", p)
		if ln, err := net.Listen("tcp", addr); err == nil {
			ln.Close()
			return addr
		}
	}
	t.Fatal("no free port in 18150-18199")
	return ""
}

type server struct {
	addr string
	done chan int
	log  *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startServe(t *testing.T, ctx context.Context, app manage.App, env map[string]string) *server {
	t.Helper()
	env["DMR_DATABASE_URL"] = "sqlite:" + filepath.Join(t.TempDir(), "db.sqlite3")
	s := &server{done: make(chan int, 1), log: &syncBuffer{}}
	ready := make(chan net.Addr, 1)
	go func() {
		s.done <- app.Run(ctx, manage.Invocation{
			Args:      []string{"serve", "--addr", "127.0.0.1:0"},
			LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
			Stderr:    s.log,
			Ready:     func(a net.Addr) { ready <- a },
		})
	}()
	select {
	case a := <-ready:
		s.addr = a.String()
	case code := <-s.done:
		t.Fatalf("serve exited with %d: %s", code, s.log.String())
	case <-time.After(bound):
		t.Fatal("serve did not start")
	}
	return s
}

func (s *server) wait(t *testing.T) int {
	t.Helper()
	select {
	case code := <-s.done:
		return code
	case <-time.After(bound):
		t.Fatal("serve did not stop")
		return -1
	}
}

func TestServeOperations(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	metricsAddr := freePort(t)
	entered, release := make(chan struct{}, 1), make(chan struct{})
	s := startServe(t, ctx, opsApp(entered, release), map[string]string{
		"DMR_BODY_TIMEOUT": "300ms", "DMR_METRICS_ADDR": metricsAddr, "DMR_PPROF": "1",
	})
	client := &http.Client{Timeout: bound}
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := client.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	base := "http://" + s.addr
	if code, body := get(base + "/healthz"); code != 200 || body != `{"status":"ok"}` {
		t.Errorf("healthz: %d %s", code, body)
	}
	if code, body := get(base + "/readyz"); code != 200 || body != `{"status":"ok","checks":{"database":"ok"}}` {
		t.Errorf("readyz: %d %s", code, body)
	}
	resp, err := client.Post(base+"/api/echo/", "application/json", strings.NewReader(`{"text":"hi"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Errorf("echo: %d", resp.StatusCode)
	}

	// DMR_BODY_TIMEOUT: a body that stalls is cut off with 408.
	conn, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(bound))
	fmt.Fprintf(conn, "POST /api/echo/ HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{\"te", s.addr)
	r408, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("stalled body: no answer: %v", err)
	}
	b, _ := io.ReadAll(r408.Body)
	if r408.StatusCode != 408 || string(b) != `{"detail":[{"msg":"Request body was not received in time","type":"value_error"}]}` {
		t.Errorf("stalled body: %d %s", r408.StatusCode, b)
	}

	// DMR_METRICS_ADDR: the exposition, parsed by Prometheus' own parser.
	mresp, err := client.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(mresp.Body)
	mresp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, m := range fams["dmr_http_requests_total"].GetMetric() {
		var l []string
		for _, p := range m.GetLabel() {
			l = append(l, p.GetValue())
		}
		got[strings.Join(l, " ")] = m.GetCounter().GetValue()
	}
	for k, want := range map[string]float64{
		"GET GET /healthz 200": 1,
		"GET GET /readyz 200":  1,
		"POST /api/echo/ 201":  1,
		"POST /api/echo/ 408":  1,
	} {
		if got[k] != want {
			t.Errorf("dmr_http_requests_total{%s} = %v, want %v (all: %v)", k, got[k], want, got)
		}
	}
	if g := fams["dmr_password_hashing_capacity"]; g == nil || g.GetMetric()[0].GetGauge().GetValue() != 3 {
		t.Errorf("hashing pool capacity: %v", g)
	}
	// DMR_PPROF: goroutine stacks on the metrics address, not on the API's.
	if code, body := get("http://" + metricsAddr + "/debug/pprof/goroutine?debug=2"); code != 200 || !strings.Contains(body, "goroutine ") {
		t.Errorf("pprof: %d %.100s", code, body)
	}
	if code, _ := get(base + "/debug/pprof/"); code != 404 {
		t.Errorf("pprof on the application's address: %d", code)
	}

	// Graceful shutdown: a request in flight when the signal comes finishes.
	inflight := make(chan string, 1)
	go func() {
		resp, err := client.Get(base + "/api/slow/")
		if err != nil {
			inflight <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		inflight <- fmt.Sprint(resp.StatusCode, " ", string(b))
	}()
	<-entered
	cancel() // SIGTERM
	// The listener closes at once; the request is still being served.
	deadline := time.Now().Add(bound)
	for {
		c, err := net.Dial("tcp", s.addr)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("still accepting connections after shutdown began")
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(release)
	if got := <-inflight; got != `200 "done"` {
		t.Errorf("request in flight during shutdown: %s", got)
	}
	if code := s.wait(t); code != 0 {
		t.Errorf("serve exited with %d: %s", code, s.log.String())
	}
	if !strings.Contains(s.log.String(), "shutting down: finishing requests in flight") {
		t.Errorf("log: %s", s.log.String())
	}
}

func TestOpsConfig(t *testing.T) {
	lookup := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	c, err := manage.ConfigFromEnv(lookup(map[string]string{"DMR_BODY_TIMEOUT": "5s", "DMR_METRICS_ADDR": "127.0.0.1:9100", "DMR_PPROF": "true"}))
	if err != nil || c.BodyTimeout != 5*time.Second || c.MetricsAddr != "127.0.0.1:9100" || !c.PProf {
		t.Errorf("got %+v, %v", c, err)
	}
	for env, want := range map[string]string{
		"DMR_BODY_TIMEOUT=0":    `DMR_BODY_TIMEOUT="0": want a positive duration such as 30s`,
		"DMR_BODY_TIMEOUT=soon": `DMR_BODY_TIMEOUT="soon": want a positive duration such as 30s`,
		"DMR_METRICS_ADDR=9100": `DMR_METRICS_ADDR="9100": want HOST:PORT`,
		"DMR_PPROF=1":           `DMR_PPROF needs DMR_METRICS_ADDR: profiles are served on the metrics address only`,
		"DMR_PPROF=maybe":       `DMR_PPROF="maybe": want 1 or 0`,
	} {
		k, v, _ := strings.Cut(env, "=")
		if _, err := manage.ConfigFromEnv(lookup(map[string]string{k: v})); err == nil || err.Error() != want {
			t.Errorf("%s: %v, want %s", env, err, want)
		}
	}
}
