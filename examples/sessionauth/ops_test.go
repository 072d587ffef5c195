package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestProbes: /healthz and /readyz outside /api/, readiness naming the
// stores each setup uses.
func TestProbes(t *testing.T) {
	for _, setup := range storeSetups {
		t.Run(setup.name, func(t *testing.T) {
			srv := startServer(t, setup.config(t), optsQuiet(t))
			srv.do(t, "GET", "/healthz", "", nil).want(t, 200, `{"status":"ok"}`)
			want := `{"status":"ok","checks":{"database":"ok"}}`
			if setup.name == "cached_db" || setup.name == "redis" {
				want = `{"status":"ok","checks":{"database":"ok","redis":"ok"}}`
			}
			ex := srv.do(t, "HEAD", "/readyz", "", nil)
			ex.want(t, 200, "")
			srv.do(t, "GET", "/readyz", "", nil).want(t, 200, want)
		})
	}
}

// TestMetricsLabels: with DMR_METRICS_ADDR set, requests are counted by the
// API's route template, never by raw path.
func TestMetricsLabels(t *testing.T) {
	cfg := sqliteConfig(t)
	cfg.MetricsAddr = "127.0.0.1:18199" // only enables Env.Metrics: startServer serves in process
	srv := startServer(t, cfg, optsQuiet(t))
	srv.do(t, "POST", "/api/auth/", `{"username":"nobody","password":"x"}`, http.Header{"Content-Type": {"application/json"}})
	srv.do(t, "GET", "/api/notes/", "", nil).want(t, 401, "")
	srv.do(t, "GET", "/healthz", "", nil).want(t, 200, "")

	rec := httptest.NewRecorder()
	srv.env.Metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(rec.Body.String()))
	if err != nil {
		t.Fatal(err)
	}
	routes := map[string]bool{}
	for _, m := range fams["dmr_http_requests_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "route" {
				routes[l.GetValue()] = true
			}
		}
	}
	for _, r := range []string{"/api/auth/", "/api/notes/", "GET /healthz"} {
		if !routes[r] {
			t.Errorf("route %q not counted; routes: %v", r, routes)
		}
	}
}
