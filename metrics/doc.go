// Package metrics exposes a server's operational metrics in the Prometheus
// text format, through the reference client library
// (github.com/prometheus/client_golang).
//
// A Metrics value owns its own registry (no process-wide default registry,
// so two servers in one process, or two tests, never share counters). New
// registers:
//
//	dmr_http_requests_total{method,route,status}           requests answered
//	dmr_http_request_duration_seconds{method,route}         latency histogram
//	dmr_http_requests_in_flight                             requests being served
//	dmr_login_attempts_total{outcome}                       see ObserveLogin
//	dmr_store_errors_total{store,kind}                      see ObserveStoreError
//	dmr_password_hashing_{queued,running,capacity}          see WatchHashingPool
//
// plus the Go runtime (go_*) and process (process_*) collectors.
//
// # Bounded labels
//
// Every label has a bounded set of values, so a client cannot grow the
// series without limit: method is one of the standard methods or OTHER;
// route is the registered pattern that served the request, never the raw
// path (Middleware's route function finds it: dmr.API.Route for API paths,
// the ServeMux pattern for the others; requests no route serves are
// labelled "unmatched"); status is the numeric code; outcome, store and kind come
// from the documented constants (anything else counts as "other").
//
// # Serving
//
// Handler serves the exposition; Mux serves it at /metrics together with
// optional runtime profiles under /debug/pprof/ (Go's pprof formats, for
// go tool pprof). Both belong on a separate, private address: profiles
// reveal code paths and the CPU profile costs CPU while it runs. The
// profile handlers are this package's own, written against runtime/pprof,
// because importing net/http/pprof would register them on
// http.DefaultServeMux for the whole program.
//
// The methods of a nil *Metrics do nothing, so code can call
// m.ObserveLogin(…) whether or not metrics are configured.
package metrics
