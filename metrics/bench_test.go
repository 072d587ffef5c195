package metrics_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// discard is a ResponseWriter that keeps nothing, so the benchmarks measure
// the middleware, not a recorder.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkMiddleware is the per-request cost of the metrics middleware in
// front of the API of newMetrics (route lookup through dmr.API.Route, two
// clock reads, the counter and the histogram), against the same handler
// bare.
func BenchmarkMiddleware(b *testing.B) {
	_, h := newMetrics(b)
	_, bare := newMetricsWith(b, false)
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"bare", bare}, {"metrics", h}} {
		b.Run(bc.name, func(b *testing.B) {
			r := httptest.NewRequest("GET", "/api/users/7/", nil)
			w := &discard{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				bc.h.ServeHTTP(w, r)
			}
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
