package metrics

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Outcomes of a login attempt, the values of ObserveLogin.
const (
	// LoginSuccess: the credentials were right and the user is logged in.
	LoginSuccess = "success"
	// LoginFailure: wrong credentials (unknown user, wrong password,
	// inactive user).
	LoginFailure = "failure"
	// LoginThrottled: refused without checking the password, because the
	// client or account failed too often recently (429).
	LoginThrottled = "throttled"
	// LoginHashingBusy: no password hashing slot freed up in time (503).
	LoginHashingBusy = "hashing_busy"
)

// Stores, the store values of ObserveStoreError.
const (
	StoreDatabase = "database"
	StoreRedis    = "redis"
)

// Kinds of store error.
const (
	// KindTimeout: the operation ran out of time (its context's deadline,
	// or a network timeout).
	KindTimeout = "timeout"
	// KindError: any other failure (refused connection, server error).
	KindError = "error"
)

const other = "other"

// Unmatched is the route label of requests that no route serves.
const Unmatched = "unmatched"

// DefaultBuckets are the latency histogram's upper bounds, in seconds: from
// 1 ms (a cached session read) to 10 s (a request waiting out a store
// timeout).
var DefaultBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// Options configure New.
type Options struct {
	// Buckets are the latency histogram's bounds in seconds; nil means
	// DefaultBuckets.
	Buckets []float64
	// NoRuntimeMetrics leaves out the Go runtime and process collectors.
	NoRuntimeMetrics bool
}

// Metrics holds one registry and the server's metrics in it. Create it with
// New; it is safe for concurrent use.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
	logins   *prometheus.CounterVec
	stores   *prometheus.CounterVec

	mu     sync.RWMutex
	series map[seriesKey]*series
}

type seriesKey struct {
	method, route string
	status        int
}

// series caches the children of one label combination: looking them up by
// label values on every request would hash and allocate.
type series struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

// New returns a Metrics with its own registry holding the metrics listed in
// the package documentation.
func New(o Options) (*Metrics, error) {
	buckets := o.Buckets
	if buckets == nil {
		buckets = DefaultBuckets
	}
	m := &Metrics{
		reg:    prometheus.NewRegistry(),
		series: map[seriesKey]*series{},
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dmr_http_requests_total",
			Help: "HTTP requests answered, by method, route pattern and status code.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "dmr_http_request_duration_seconds",
			Help:    "Time from receiving a request's header to the handler returning, by method and route pattern.",
			Buckets: buckets,
		}, []string{"method", "route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "dmr_http_requests_in_flight",
			Help: "HTTP requests being served.",
		}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dmr_login_attempts_total",
			Help: "Login attempts by outcome: success, failure (wrong credentials), throttled (refused after too many failures), hashing_busy (no password hashing slot in time), other.",
		}, []string{"outcome"}),
		stores: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dmr_store_errors_total",
			Help: "Failed store operations, by store (database, redis, other) and kind (timeout, error).",
		}, []string{"store", "kind"}),
	}
	cs := []prometheus.Collector{m.requests, m.duration, m.inFlight, m.logins, m.stores}
	if !o.NoRuntimeMetrics {
		cs = append(cs, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	for _, c := range cs {
		if err := m.reg.Register(c); err != nil {
			return nil, err
		}
	}
	// Every outcome and store series exists from the start at zero, so a
	// rate() over them works before the first event.
	for _, o := range []string{LoginSuccess, LoginFailure, LoginThrottled, LoginHashingBusy} {
		m.logins.WithLabelValues(o)
	}
	for _, s := range []string{StoreDatabase, StoreRedis} {
		for _, k := range []string{KindTimeout, KindError} {
			m.stores.WithLabelValues(s, k)
		}
	}
	return m, nil
}

// Registry returns the registry, for an application's own metrics.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition formats (text,
// or OpenMetrics/protobuf when the scraper asks for them).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// ObserveLogin counts one login attempt. outcome is one of LoginSuccess,
// LoginFailure, LoginThrottled and LoginHashingBusy; any other value counts
// as "other". A nil *Metrics does nothing.
func (m *Metrics) ObserveLogin(outcome string) {
	if m == nil {
		return
	}
	switch outcome {
	case LoginSuccess, LoginFailure, LoginThrottled, LoginHashingBusy:
	default:
		outcome = other
	}
	m.logins.WithLabelValues(outcome).Inc()
}

// ObserveStoreError counts one failed store operation: store is
// StoreDatabase or StoreRedis (anything else counts as "other"), and err is
// classified as KindTimeout (context.DeadlineExceeded or a network timeout
// in its chain) or KindError. A nil err, a cancelled context (the client
// went away: not the store's fault) and a nil *Metrics count nothing.
func (m *Metrics) ObserveStoreError(store string, err error) {
	if m == nil || err == nil || errors.Is(err, context.Canceled) {
		return
	}
	switch store {
	case StoreDatabase, StoreRedis:
	default:
		store = other
	}
	kind := KindError
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		kind = KindTimeout
	}
	m.stores.WithLabelValues(store, kind).Inc()
}

// WatchHashingPool reports the password hashing pool at every scrape, as the
// gauges dmr_password_hashing_queued (calls waiting for a slot),
// dmr_password_hashing_running and dmr_password_hashing_capacity. stats is
// called once per scrape; with package auth/hashers:
//
//	m.WatchHashingPool(func() (int, int, int) { s := h.Stats(); return s.Queued, s.Running, s.Capacity })
//
// Call it once: a second call fails as a duplicate registration.
func (m *Metrics) WatchHashingPool(stats func() (queued, running, capacity int)) error {
	return m.reg.Register(&poolCollector{stats: stats})
}

var (
	poolQueued   = prometheus.NewDesc("dmr_password_hashing_queued", "Password hash computations waiting for a hashing slot.", nil, nil)
	poolRunning  = prometheus.NewDesc("dmr_password_hashing_running", "Password hash computations in progress.", nil, nil)
	poolCapacity = prometheus.NewDesc("dmr_password_hashing_capacity", "Password hashing slots.", nil, nil)
)

type poolCollector struct {
	stats func() (queued, running, capacity int)
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- poolQueued
	ch <- poolRunning
	ch <- poolCapacity
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	q, r, n := c.stats()
	ch <- prometheus.MustNewConstMetric(poolQueued, prometheus.GaugeValue, float64(q))
	ch <- prometheus.MustNewConstMetric(poolRunning, prometheus.GaugeValue, float64(r))
	ch <- prometheus.MustNewConstMetric(poolCapacity, prometheus.GaugeValue, float64(n))
}

// Middleware counts and times every request h serves. Put it outermost, so
// that answers written by other middlewares (security headers, CSRF,
// sessions) are counted too.
//
// route names the route that served a request, for the route label: it is
// called after h returns and must return a pattern from a bounded set (a
// registered path template), or "" for none (labelled Unmatched). Nil means
// r.Pattern at that point: net/http's ServeMux sets it on the request it
// receives, so that works when the middleware wraps a ServeMux directly, but
// not across middlewares that copy the request (WithContext). Behind such
// middlewares, and for a dmr.API mounted on one pattern, pass a function
// asking the API first (dmr.API.Route) and the ServeMux second
// (ServeMux.Handler's pattern), as package manage does.
func (m *Metrics) Middleware(h http.Handler, route func(r *http.Request) string) http.Handler {
	if route == nil {
		route = func(r *http.Request) string { return r.Pattern }
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		m.inFlight.Inc()
		rw := &statusWriter{ResponseWriter: w}
		defer func() {
			m.inFlight.Dec()
			status := rw.status
			if status == 0 {
				status = http.StatusOK // nothing written: net/http answers 200
			}
			if v := recover(); v != nil {
				if rw.status == 0 {
					status = http.StatusInternalServerError
				}
				m.observe(route(r), r.Method, status, time.Since(start))
				panic(v)
			}
			m.observe(route(r), r.Method, status, time.Since(start))
		}()
		h.ServeHTTP(rw, r)
	})
}

func (m *Metrics) observe(route, meth string, status int, d time.Duration) {
	if route == "" {
		route = Unmatched
	}
	k := seriesKey{method: method(meth), route: route, status: status}
	m.mu.RLock()
	s := m.series[k]
	m.mu.RUnlock()
	if s == nil {
		s = m.newSeries(k)
	}
	s.requests.Inc()
	s.duration.Observe(d.Seconds())
}

func (m *Metrics) newSeries(k seriesKey) *series {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s := m.series[k]; s != nil {
		return s
	}
	s := &series{
		requests: m.requests.WithLabelValues(k.method, k.route, strconv.Itoa(k.status)),
		duration: m.duration.WithLabelValues(k.method, k.route),
	}
	m.series[k] = s
	return s
}

// method bounds the method label to the standard methods.
func method(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}

// statusWriter records the status of the response: 0 until the final
// header is written. It unwraps for http.ResponseController (flush,
// deadlines, hijack).
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets handlers that assert http.Flusher stream through it.
func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
