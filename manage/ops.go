package manage

import (
	"math"
	"net/http"
	"time"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/bodytimeout"
	"github.com/dmr-go/dmr/health"
	"github.com/dmr-go/dmr/metrics"
)

// openMetrics creates Env.Metrics when a metrics address is configured,
// watching the password hashing pool.
func (e *Env) openMetrics() error {
	if e.Config.MetricsAddr == "" {
		return nil
	}
	m, err := metrics.New(metrics.Options{})
	if err != nil {
		return err
	}
	if hs := e.Auth.Hashers(); hs != nil {
		if err := m.WatchHashingPool(func() (int, int, int) {
			s := hs.Stats()
			return s.Queued, s.Running, s.Capacity
		}); err != nil {
			return err
		}
	}
	e.Metrics = m
	return nil
}

// HealthChecks returns the readiness checks of the environment's stores:
// "database" (a ping of DB) and, with the redis and cached_db session
// stores, "redis". Mount them with health.Ready beside health.Live:
//
//	ready, err := health.Ready(health.ReadyOptions{Checks: env.HealthChecks(), Logger: env.Logger})
//	mux.Handle("GET /healthz", health.Live())
//	mux.Handle("GET /readyz", ready)
func (e *Env) HealthChecks() []health.Check {
	cs := []health.Check{{Name: "database", Checker: health.DB(e.SQL.Write)}}
	if e.Redis != nil {
		cs = append(cs, health.Check{Name: "redis", Checker: health.Redis(e.Redis)})
	}
	return cs
}

// wrap puts the server-wide layers around the application's middleware
// stack: the body read deadline and, when configured, the metrics
// middleware outermost (so that it counts every answer, including those of
// the security-header and CSRF middlewares). Requests are labelled by the
// API's route template, else by mux's pattern.
func (e *Env) wrap(h http.Handler, api *dmr.API, mux *http.ServeMux) http.Handler {
	h = bodytimeout.Handler(h, bodytimeout.Options{Timeout: e.Config.BodyTimeout})
	if e.Metrics != nil {
		m := e.Metrics.Middleware(h, func(r *http.Request) string {
			if p := api.Route(r); p != "" { // the route the API recorded
				return p
			}
			_, p := mux.Handler(r)
			return p
		})
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			m.ServeHTTP(w, dmr.PrepareRoute(r))
		})
	}
	return h
}

// Server timeouts of serve. The body's own deadline is Config.BodyTimeout.
const (
	// ReadHeaderTimeout bounds reading a request's header.
	ReadHeaderTimeout = 10 * time.Second
	// IdleTimeout closes a kept-alive connection idle this long.
	IdleTimeout = 120 * time.Second
	// MinWriteTimeout is the least WriteTimeout: the time from the end of
	// a request's header to the end of its answer, body read and handler
	// included. serve uses the larger of it and the body timeout + 30 s.
	MinWriteTimeout = 60 * time.Second
	// ShutdownTimeout is how long serve waits, after SIGINT or SIGTERM, for
	// requests in flight to finish before closing their connections.
	ShutdownTimeout = 10 * time.Second
)

// DefaultGCPercent is the garbage collector's target serve sets when the
// environment has no GOGC: the heap may grow to five times the live heap
// between collections instead of twice. A server's live heap is small (a
// few MB of caches and pools) and its garbage is almost all per-request,
// so with Go's default of 100 it collects every few thousand requests;
// at 400 it collects a quarter as often, for memory that stays in the tens
// of MB. docs/benchmarks.md has the figures with both settings. Set GOGC
// (say GOGC=100 for the runtime's default) to choose yourself; GOMEMLIMIT
// applies as usual.
const DefaultGCPercent = 400

func (c Config) writeTimeout() time.Duration {
	body := c.BodyTimeout
	if body == 0 {
		body = bodytimeout.DefaultTimeout
	}
	if body > math.MaxInt64-30*time.Second {
		return body // no overflow for absurd configurations
	}
	return max(MinWriteTimeout, body+30*time.Second)
}
