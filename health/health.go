package health

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dmr-go/dmr/apierror"
)

// DefaultTimeout is the deadline of one check when none is configured.
const DefaultTimeout = 2 * time.Second

// TypeUnavailable is the error detail type of a failed check: the one of
// every other "unavailable" answer (apierror.TypeUnavailable).
const TypeUnavailable = apierror.TypeUnavailable

// A Checker reports whether one dependency answers. Check should honour
// ctx's deadline; one that does not is abandoned when it passes (and counted
// as failed), its goroutine left to finish by itself.
type Checker interface {
	Check(ctx context.Context) error
}

// CheckFunc adapts a function to a Checker.
type CheckFunc func(ctx context.Context) error

// Check calls f.
func (f CheckFunc) Check(ctx context.Context) error { return f(ctx) }

// DB checks a database with PingContext (a round trip on a pooled
// connection, or a new connection when none is idle).
func DB(db *sql.DB) Checker { return CheckFunc(db.PingContext) }

// Redis checks a Redis server (or cluster, or ring) with PING.
func Redis(c redis.UniversalClient) Checker {
	return CheckFunc(func(ctx context.Context) error { return c.Ping(ctx).Err() })
}

// Check is one named readiness check.
type Check struct {
	// Name identifies the check in the answer and the logs ("database",
	// "redis"). Required and unique.
	Name string
	// Checker runs the check. Required.
	Checker Checker
	// Timeout is this check's deadline; zero means ReadyOptions.Timeout.
	Timeout time.Duration
}

// ReadyOptions configure Ready.
type ReadyOptions struct {
	// Checks are run on every probe. None means always ready.
	Checks []Check
	// Timeout is the deadline of each check that sets none; zero means
	// DefaultTimeout.
	Timeout time.Duration
	// RetryAfter is the Retry-After of a 503, in whole seconds (rounded
	// up); zero means 1 s.
	RetryAfter time.Duration
	// Logger receives one warning per failed check and probe; nil means
	// slog.Default().
	Logger *slog.Logger
}

// Live returns the liveness handler: 200 {"status":"ok"}.
func Live() http.Handler {
	body := []byte(`{"status":"ok"}`)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		write(w, r, http.StatusOK, body)
	})
}

// Ready returns the readiness handler running o.Checks. It fails when a
// check has no name or checker, or two share a name.
func Ready(o ReadyOptions) (http.Handler, error) {
	seen := map[string]bool{}
	rd := &ready{checks: append([]Check(nil), o.Checks...), log: o.Logger}
	for i, c := range rd.checks {
		if c.Name == "" || c.Checker == nil {
			return nil, fmt.Errorf("health: check %d needs a name and a checker", i)
		}
		if seen[c.Name] {
			return nil, fmt.Errorf("health: check %q listed twice", c.Name)
		}
		seen[c.Name] = true
		if c.Timeout <= 0 {
			rd.checks[i].Timeout = o.Timeout
			if rd.checks[i].Timeout <= 0 {
				rd.checks[i].Timeout = DefaultTimeout
			}
		}
	}
	if rd.log == nil {
		rd.log = slog.Default()
	}
	ra := o.RetryAfter
	if ra <= 0 {
		ra = time.Second
	}
	rd.retryAfter = strconv.FormatInt(int64((ra+time.Second-1)/time.Second), 10)
	rd.ok = rd.okBody()
	return rd, nil
}

type ready struct {
	checks     []Check
	log        *slog.Logger
	retryAfter string
	ok         []byte // the 200 body: the checks are fixed

	mu  sync.Mutex
	cur *run // the run in progress, shared by concurrent probes
}

// run is one execution of every check.
type run struct {
	done   chan struct{}
	failed []failure
}

type failure struct {
	name    string
	timeout time.Duration // nonzero when the check ran out of time
}

func (rd *ready) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	failed := rd.run(r.Context())
	if failed == nil {
		write(w, r, http.StatusOK, rd.ok)
		return
	}
	if r.Context().Err() != nil {
		return // the client went away before the checks finished
	}
	details := make([]apierror.Detail, len(failed))
	for i, f := range failed {
		msg := f.name + " is not available"
		if f.timeout > 0 {
			msg = fmt.Sprintf("%s did not answer within %v", f.name, f.timeout)
		}
		details[i] = apierror.Detail{Msg: msg, Loc: []any{"checks", f.name}, Type: TypeUnavailable}
	}
	body, _ := json.Marshal(struct {
		Detail []apierror.Detail `json:"detail"`
	}{details})
	w.Header().Set("Retry-After", rd.retryAfter)
	write(w, r, http.StatusServiceUnavailable, body)
}

// okBody is the 200 body, computed once by Ready.
func (rd *ready) okBody() []byte {
	checks := make(map[string]string, len(rd.checks))
	for _, c := range rd.checks {
		checks[c.Name] = "ok"
	}
	b, _ := json.Marshal(struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}{"ok", checks})
	return b
}

// run joins the run in progress or starts one, and waits for it (or for
// ctx). Checks run detached from any one probe's context, so a client going
// away does not fail the others sharing the run; their deadlines bound them.
func (rd *ready) run(ctx context.Context) []failure {
	rd.mu.Lock()
	cur := rd.cur
	if cur == nil {
		cur = &run{done: make(chan struct{})}
		rd.cur = cur
		go rd.execute(context.WithoutCancel(ctx), cur)
	}
	rd.mu.Unlock()
	select {
	case <-cur.done:
		return cur.failed
	case <-ctx.Done():
		return []failure{}
	}
}

func (rd *ready) execute(ctx context.Context, cur *run) {
	results := make([]error, len(rd.checks))
	var wg sync.WaitGroup
	for i, c := range rd.checks {
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, c.Timeout)
			defer cancel()
			res := make(chan error, 1)
			go func() { res <- c.Checker.Check(cctx) }()
			select {
			case err := <-res:
				if err == nil && cctx.Err() != nil {
					err = cctx.Err() // answered, but too late
				}
				results[i] = err
			case <-cctx.Done(): // a checker ignoring its context
				results[i] = cctx.Err()
			}
		})
	}
	wg.Wait()
	for i, err := range results {
		if err == nil {
			continue
		}
		c := rd.checks[i]
		f := failure{name: c.Name}
		if errors.Is(err, context.DeadlineExceeded) {
			f.timeout = c.Timeout
		}
		cur.failed = append(cur.failed, f)
		rd.log.WarnContext(ctx, "health: not ready", "check", c.Name, "timeout", c.Timeout.String(), "error", err.Error())
	}
	rd.mu.Lock()
	rd.cur = nil
	rd.mu.Unlock()
	close(cur.done)
}

func write(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}
