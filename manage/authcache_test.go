package manage

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/hashers"
	"github.com/dmr-go/dmr/auth/userdb"
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
			// Without the caches the db store loads the user in the
			// session's query.
			if j, joined := env.Store.(*userdb.SessionJoin); joined == tc.wantCache ||
				(joined && (j.Sessions() != env.SessionTable || j.Users() != env.UserTable)) {
				t.Fatalf("session store %T with cache %v", env.Store, tc.wantCache)
			}
		})
	}
}

// SessionJoin replaces only the plain db store with the caches off.
func TestSessionJoinWiring(t *testing.T) {
	for _, tc := range []struct {
		name       string
		cfg        Config
		wantJoined bool
	}{
		{"DMR_AUTH_CACHE=off", Config{AuthCache: AuthCacheOff}, true},
		{"TTL 0", Config{AuthCacheTTL: new(time.Duration(0))}, true},
		{"TTL 1s", Config{AuthCacheTTL: new(time.Second)}, false},
		{"signed cookies", Config{AuthCache: AuthCacheOff, SessionStore: StoreSignedCookies}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.DatabaseURL, cfg.SecretKey = "sqlite:"+filepath.Join(t.TempDir(), "db.sqlite3"), "k"
			env, err := Open(context.Background(), cfg, Options{AuthCacheTTL: time.Second, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				t.Fatal(err)
			}
			defer env.Close()
			if _, joined := env.Store.(*userdb.SessionJoin); joined != tc.wantJoined {
				t.Fatalf("session store %T, want joined %v", env.Store, tc.wantJoined)
			}
		})
	}
}

// DMR_DJANGO_VERSION picks the paired Django version's hasher defaults, so a
// hash written here is not rewritten by Django at the next login.
func TestDjangoVersionHashers(t *testing.T) {
	for _, tc := range []struct {
		version string
		prefix  string
	}{
		{"", "pbkdf2_sha256$1000000$"},
		{"3.2", "pbkdf2_sha256$260000$"},
		{"4.2", "pbkdf2_sha256$600000$"},
		{"6.1", "pbkdf2_sha256$1500000$"},
	} {
		t.Run(tc.version, func(t *testing.T) {
			cfg := Config{DatabaseURL: "sqlite:" + filepath.Join(t.TempDir(), "db.sqlite3"), SecretKey: "k", DjangoVersion: tc.version}
			env, err := Open(context.Background(), cfg, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				t.Fatal(err)
			}
			defer env.Close()
			h, err := env.Auth.Hashers().Preferred()
			if err != nil {
				t.Fatal(err)
			}
			// The count is read from the hasher: computing a hash at these
			// counts would only slow the suite down.
			p, ok := h.(*hashers.PBKDF2)
			if !ok {
				t.Fatalf("preferred hasher %T", h)
			}
			iters := p.Iterations
			if iters == 0 {
				iters = hashers.DefaultPBKDF2Iterations
			}
			if got := fmt.Sprintf("pbkdf2_sha256$%d$", iters); got != tc.prefix {
				t.Fatalf("Django %q: new hashes start %s, want %s", tc.version, got, tc.prefix)
			}
		})
	}
}
