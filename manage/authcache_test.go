package manage

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/sessions"
)

func TestAuthCacheTTLFromEnv(t *testing.T) {
	for _, tc := range []struct {
		v       string
		want    *time.Duration
		wantErr bool
	}{
		{"", nil, false},
		{"0", new(time.Duration(0)), false},
		{"1s", new(time.Second), false},
		{"250ms", new(250 * time.Millisecond), false},
		{"-1s", nil, true},
		{"1", nil, true},
		{"soon", nil, true},
	} {
		cfg, err := ConfigFromEnv(lookupMap(map[string]string{EnvAuthCacheTTL: tc.v}))
		if tc.wantErr {
			if err == nil || !strings.Contains(err.Error(), EnvAuthCacheTTL) {
				t.Errorf("%q: error %v, want one naming %s", tc.v, err, EnvAuthCacheTTL)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.v, err)
			continue
		}
		if (cfg.AuthCacheTTL == nil) != (tc.want == nil) || (tc.want != nil && *cfg.AuthCacheTTL != *tc.want) {
			t.Errorf("%q: AuthCacheTTL %v, want %v", tc.v, cfg.AuthCacheTTL, tc.want)
		}
	}
}

// The configuration's TTL wins over the application's default; zero
// disables both caches.
func TestAuthCacheWiring(t *testing.T) {
	for _, tc := range []struct {
		name      string
		cfgTTL    *time.Duration
		appTTL    time.Duration
		wantCache bool
	}{
		{"library default: off", nil, 0, false},
		{"application default on", nil, time.Second, true},
		{"environment disables", new(time.Duration(0)), time.Second, false},
		{"environment enables", new(2 * time.Second), 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{DatabaseURL: "sqlite:" + filepath.Join(t.TempDir(), "db.sqlite3"), SecretKey: "k", AuthCacheTTL: tc.cfgTTL}
			env, err := Open(context.Background(), cfg, Options{AuthCacheTTL: tc.appTTL, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				t.Fatal(err)
			}
			defer env.Close()
			_, sc := env.Store.(*sessions.LocalCache)
			_, uc := env.Users.(*auth.UserCache)
			if sc != tc.wantCache || uc != tc.wantCache {
				t.Fatalf("session cache %v, user cache %v, want %v", sc, uc, tc.wantCache)
			}
			if env.Auth.Users() != env.Users {
				t.Fatal("auth does not use env.Users")
			}
		})
	}
}
