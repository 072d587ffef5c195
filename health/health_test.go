package health_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/redis/go-redis/v9"

	"github.com/dmr-go/dmr/health"
	"github.com/dmr-go/dmr/internal/testenv"
)

// bound is how long a probe may take before the test gives up on it: the
// checks' deadline here is 300 ms.
const bound = 10 * time.Second

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func get(t *testing.T, url string) (int, http.Header, string) {
	t.Helper()
	c := &http.Client{Timeout: bound}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

// listen takes a free port of this suite's range (18100-18199) on loopback.
func listen(t *testing.T) net.Listener {
	t.Helper()
	for p := 18100; p < 18200; p++ {
		if ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p)); err == nil {
			t.Cleanup(func() { ln.Close() })
			return ln
		}
	}
	t.Fatal("no free port in 18100-18199")
	return nil
}

// frozen is a server that accepts connections and never answers, as a
// stopped (SIGSTOP) database or a partitioned network looks to a client.
func frozen(t *testing.T) string {
	ln := listen(t)
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// closedAddr is a loopback address nobody listens on: connections are refused.
func closedAddr(t *testing.T) string {
	ln := listen(t)
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestLive(t *testing.T) {
	srv := httptest.NewServer(health.Live())
	defer srv.Close()
	status, h, body := get(t, srv.URL)
	if status != 200 || body != `{"status":"ok"}` || h.Get("Content-Type") != "application/json" || h.Get("Cache-Control") != "no-store" {
		t.Errorf("got %d %v %s", status, h, body)
	}
	resp, err := http.Head(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(b) != 0 {
		t.Errorf("HEAD: %d %q", resp.StatusCode, b)
	}
}

func TestReadyRealStores(t *testing.T) {
	db := testenv.Postgres(t)
	rc, _ := testenv.Redis(t)
	h, err := health.Ready(health.ReadyOptions{Checks: []health.Check{
		{Name: "database", Checker: health.DB(db)},
		{Name: "redis", Checker: health.Redis(rc)},
	}, Timeout: 5 * time.Second, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	status, _, body := get(t, srv.URL)
	if status != 200 || body != `{"status":"ok","checks":{"database":"ok","redis":"ok"}}` {
		t.Errorf("got %d %s", status, body)
	}
}

type errorBody struct {
	Detail []struct {
		Msg  string `json:"msg"`
		Loc  []any  `json:"loc"`
		Type string `json:"type"`
	} `json:"detail"`
}

func TestReadyFailures(t *testing.T) {
	// A PostgreSQL and a Redis that accept connections and never answer,
	// a Redis that refuses them, and a check that ignores its context.
	frozenDB, err := sql.Open("pgx", "postgres://postgres@"+frozen(t)+"/test?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer frozenDB.Close()
	frozenRedis := redis.NewClient(&redis.Options{Addr: frozen(t), MaxRetries: -1})
	defer frozenRedis.Close()
	downRedis := redis.NewClient(&redis.Options{Addr: closedAddr(t), MaxRetries: -1, DialerRetries: 1})
	defer downRedis.Close()
	stuck := make(chan struct{})
	defer close(stuck)
	deaf := health.CheckFunc(func(context.Context) error { <-stuck; return nil })

	h, err := health.Ready(health.ReadyOptions{Checks: []health.Check{
		{Name: "ok", Checker: health.CheckFunc(func(context.Context) error { return nil })},
		{Name: "database", Checker: health.DB(frozenDB)},
		{Name: "cache", Checker: health.Redis(frozenRedis)},
		{Name: "redis", Checker: health.Redis(downRedis)},
		{Name: "deaf", Checker: deaf, Timeout: 200 * time.Millisecond},
	}, Timeout: 300 * time.Millisecond, RetryAfter: 1500 * time.Millisecond, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	status, hdr, body := get(t, srv.URL)
	if status != 503 || hdr.Get("Retry-After") != "2" || hdr.Get("Content-Type") != "application/json" {
		t.Fatalf("got %d %v %s", status, hdr, body)
	}
	var eb errorBody
	if err := json.Unmarshal([]byte(body), &eb); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	want := []string{
		"database did not answer within 300ms",
		"cache did not answer within 300ms",
		"redis is not available",
		"deaf did not answer within 200ms",
	}
	if len(eb.Detail) != len(want) {
		t.Fatalf("details %s, want %d", body, len(want))
	}
	for i, d := range eb.Detail {
		name, _, _ := strings.Cut(want[i], " ")
		if d.Msg != want[i] || d.Type != "unavailable" || len(d.Loc) != 2 || d.Loc[0] != "checks" || d.Loc[1] != name {
			t.Errorf("detail %d: %+v, want %q", i, d, want[i])
		}
	}
}

func TestReadyProbesShareOneRun(t *testing.T) {
	var calls atomic.Int32
	gate := make(chan struct{})
	slow := health.CheckFunc(func(ctx context.Context) error {
		calls.Add(1)
		select {
		case <-gate:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	h, err := health.Ready(health.ReadyOptions{Checks: []health.Check{{Name: "slow", Checker: slow}}, Timeout: bound, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	var wg sync.WaitGroup
	statuses := make([]int, 8)
	for i := range statuses {
		wg.Go(func() { statuses[i], _, _ = get(t, srv.URL) })
	}
	for calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // let the other probes join
	close(gate)
	wg.Wait()
	for i, s := range statuses {
		if s != 200 {
			t.Errorf("probe %d: %d", i, s)
		}
	}
	// Probes arriving after the first finished start a new run; those
	// overlapping it share it. With 8 concurrent probes, far fewer runs.
	if n := calls.Load(); n >= 8 {
		t.Errorf("%d runs for 8 concurrent probes", n)
	}
	// A later probe runs the checks again.
	before := calls.Load()
	if s, _, _ := get(t, srv.URL); s != 200 || calls.Load() != before+1 {
		t.Errorf("later probe: %d, %d runs", s, calls.Load()-before)
	}
}

func TestReadyOptions(t *testing.T) {
	ok := health.CheckFunc(func(context.Context) error { return errors.New("unused") })
	for _, o := range []health.ReadyOptions{
		{Checks: []health.Check{{Name: "", Checker: ok}}},
		{Checks: []health.Check{{Name: "a"}}},
		{Checks: []health.Check{{Name: "a", Checker: ok}, {Name: "a", Checker: ok}}},
	} {
		if _, err := health.Ready(o); err == nil {
			t.Errorf("Ready(%+v) accepted", o)
		}
	}
	h, err := health.Ready(health.ReadyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 200 || rec.Body.String() != `{"status":"ok","checks":{}}` {
		t.Errorf("no checks: %d %s", rec.Code, rec.Body)
	}
}

func Example() {
	ready, err := health.Ready(health.ReadyOptions{
		Checks: []health.Check{
			// health.DB(db), health.Redis(client) in a real program.
			{Name: "database", Checker: health.CheckFunc(func(ctx context.Context) error { return nil })},
			{Name: "redis", Checker: health.CheckFunc(func(ctx context.Context) error { return errors.New("connection refused") })},
		},
		Timeout: time.Second,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", health.Live())
	mux.Handle("GET /readyz", ready)

	for _, path := range []string{"/healthz", "/readyz"} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		fmt.Println(rec.Code, rec.Body)
	}
	// Output:
	// 200 {"status":"ok"}
	// 503 {"detail":[{"msg":"redis is not available","loc":["checks","redis"],"type":"unavailable"}]}
}
