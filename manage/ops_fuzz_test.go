package manage

import (
	"strings"
	"testing"
)

// FuzzOpsConfig: DMR_BODY_TIMEOUT, DMR_METRICS_ADDR and DMR_PPROF either give
// a valid configuration or an error naming the variable; never a panic.
func FuzzOpsConfig(f *testing.F) {
	f.Add("30s", "127.0.0.1:9100", "1")
	f.Add("", "", "")
	f.Add("0", ":9100", "true")
	f.Add("-1s", "[::1]:9100", "0")
	f.Add("1e9", "host", "yes")
	f.Add("2562047h47m16.854775807s", "", "")
	f.Fuzz(func(t *testing.T, body, addr, pprof string) {
		env := map[string]string{EnvBodyTimeout: body, EnvMetricsAddr: addr, EnvPProf: pprof}
		cfg, err := ConfigFromEnv(lookupMap(env))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "DMR_") {
				t.Fatalf("error %q does not name the variable", err)
			}
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("ConfigFromEnv accepted what Validate refuses: %v", err)
		}
		if cfg.BodyTimeout < 0 || (strings.TrimSpace(body) != "" && cfg.BodyTimeout == 0) {
			t.Fatalf("body timeout %v from %q", cfg.BodyTimeout, body)
		}
		if cfg.PProf && cfg.MetricsAddr == "" {
			t.Fatal("pprof without a metrics address")
		}
		if cfg.writeTimeout() < cfg.BodyTimeout || cfg.writeTimeout() < MinWriteTimeout {
			t.Fatalf("write timeout %v below the body timeout %v", cfg.writeTimeout(), cfg.BodyTimeout)
		}
	})
}
