//go:build unix

package metrics_test

import (
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
)

// processCPU is the CPU time the process has used, in ns. On a shared
// machine wall-clock ns/op include waiting for a CPU; CPU time per op does
// not (it does include the GC's share).
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// discard is a ResponseWriter that keeps nothing, so the benchmarks measure
// the middleware, not a recorder.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkMiddleware is the per-request cost of the metrics middleware
// (two clock reads, the in-flight gauge, the cached series' counter and
// histogram, the status-recording writer): around a handler that does
// nothing, and in front of a dmr API (adding the route lookup through
// dmr.API.Route), each against the same handler bare.
func BenchmarkMiddleware(b *testing.B) {
	m, h := newMetrics(b)
	_, bare := newMetricsWith(b, false)
	noop := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	route := func(*http.Request) string { return "/api/users/{id}/" }
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{
		{"noop", noop}, {"noop+metrics", m.Middleware(noop, route)}, // the middleware alone
		{"api", bare}, {"api+metrics", h}, // with dmr.API.Route and ServeMux fallback
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := httptest.NewRequest("GET", "/api/users/7/", nil)
			w := &discard{h: http.Header{}}
			b.ReportAllocs()
			cpu := processCPU()
			for b.Loop() {
				clear(w.h)
				bc.h.ServeHTTP(w, r)
			}
			b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
		})
		b.Run(bc.name+"-parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				r := httptest.NewRequest("GET", "/api/users/7/", nil)
				w := &discard{h: http.Header{}}
				for pb.Next() {
					clear(w.h)
					bc.h.ServeHTTP(w, r)
				}
			})
		})
	}
}
