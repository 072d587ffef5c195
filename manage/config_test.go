package manage

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func lookupMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    Config
		wantErr string
	}{
		{name: "defaults", env: nil, want: Config{
			DatabaseURL: DefaultDatabaseURL, SessionStore: StoreDB, RedisURL: DefaultRedisURL,
		}},
		{name: "everything", env: map[string]string{
			EnvDatabaseURL:        "postgresql://u@db/x",
			EnvSecretKey:          "k",
			EnvSecretKeyFallbacks: "old1, old2,",
			EnvSessionStore:       "cached_db",
			EnvRedisURL:           "redis://r:6380/2",
			EnvCSRFUseSessions:    "1",
			EnvCSRFTrustedOrigins: "https://*.example.com,http://localhost:3000",
		}, want: Config{
			DatabaseURL: "postgresql://u@db/x", SecretKey: "k", SecretKeyFallbacks: []string{"old1", "old2"},
			SessionStore: StoreCachedDB, RedisURL: "redis://r:6380/2", CSRFUseSessions: true,
			CSRFTrustedOrigins: []string{"https://*.example.com", "http://localhost:3000"},
		}},
		{name: "absolute sqlite", env: map[string]string{EnvDatabaseURL: "sqlite:/var/lib/app/db.sqlite3", EnvCSRFUseSessions: "false"},
			want: Config{DatabaseURL: "sqlite:/var/lib/app/db.sqlite3", SessionStore: StoreDB, RedisURL: DefaultRedisURL}},
		{name: "empty counts as unset", env: map[string]string{EnvDatabaseURL: "", EnvSessionStore: " "},
			want: Config{DatabaseURL: DefaultDatabaseURL, SessionStore: StoreDB, RedisURL: DefaultRedisURL}},
		{name: "postgres needs a key", env: map[string]string{EnvDatabaseURL: "postgres://h/db"}, wantErr: "DMR_SECRET_KEY is required with"},
		{name: "bad database", env: map[string]string{EnvDatabaseURL: "oracle://h/db"}, wantErr: "DMR_DATABASE_URL: unsupported database URL"},
		{name: "mysql needs a key", env: map[string]string{EnvDatabaseURL: "mysql://app:pw@h/db"}, wantErr: "DMR_SECRET_KEY is required with mysql"},
		{name: "mysql needs a user", env: map[string]string{EnvDatabaseURL: "mysql://h/db"}, wantErr: "DMR_DATABASE_URL: MySQL URL has no user"},
		{name: "sqlite without path", env: map[string]string{EnvDatabaseURL: "sqlite:"}, wantErr: "DMR_DATABASE_URL"},
		{name: "bad store", env: map[string]string{EnvSessionStore: "file"}, wantErr: `DMR_SESSION_STORE="file": want db, cached_db, redis or signed_cookies`},
		{name: "bad redis", env: map[string]string{EnvSessionStore: "redis", EnvRedisURL: "http://x"}, wantErr: "DMR_REDIS_URL"},
		{name: "redis URL ignored when unused", env: map[string]string{EnvRedisURL: "http://x"},
			want: Config{DatabaseURL: DefaultDatabaseURL, SessionStore: StoreDB, RedisURL: "http://x"}},
		{name: "bad bool", env: map[string]string{EnvCSRFUseSessions: "yes please"}, wantErr: "DMR_CSRF_USE_SESSIONS"},
		{name: "bad origin", env: map[string]string{EnvCSRFTrustedOrigins: "example.com"}, wantErr: "DMR_CSRF_TRUSTED_ORIGINS"},
		{name: "bad wildcard", env: map[string]string{EnvCSRFTrustedOrigins: "https://a.*.example.com"}, wantErr: "DMR_CSRF_TRUSTED_ORIGINS"},
		{name: "django version", env: map[string]string{EnvDjangoVersion: "4.2"},
			want: Config{DatabaseURL: DefaultDatabaseURL, SessionStore: StoreDB, RedisURL: DefaultRedisURL, DjangoVersion: "4.2"}},
		{name: "docs assets", env: map[string]string{EnvDocsAssets: "/opt/swagger-ui-dist"},
			want: Config{DatabaseURL: DefaultDatabaseURL, SessionStore: StoreDB, RedisURL: DefaultRedisURL, DocsAssetsDir: "/opt/swagger-ui-dist"}},
		{name: "bad django version", env: map[string]string{EnvDjangoVersion: "2.2"}, wantErr: `DMR_DJANGO_VERSION="2.2"`},
		{name: "login throttle", env: map[string]string{EnvLoginFailureLimit: "3", EnvLoginIPFailureLimit: "0", EnvLoginCoolOff: "1h"},
			want: Config{DatabaseURL: DefaultDatabaseURL, SessionStore: StoreDB, RedisURL: DefaultRedisURL,
				LoginFailureLimit: 3, LoginIPFailureLimit: -1, LoginCoolOff: time.Hour}},
		{name: "bad login limit", env: map[string]string{EnvLoginFailureLimit: "-2"}, wantErr: `DMR_LOGIN_FAILURE_LIMIT="-2"`},
		{name: "bad login IP limit", env: map[string]string{EnvLoginIPFailureLimit: "many"}, wantErr: `DMR_LOGIN_IP_FAILURE_LIMIT="many"`},
		{name: "bad cool-off", env: map[string]string{EnvLoginCoolOff: "10ms"}, wantErr: `DMR_LOGIN_COOLOFF="10ms"`},
		{name: "db timeout", env: map[string]string{EnvDBTimeout: "750ms"},
			want: Config{DatabaseURL: DefaultDatabaseURL, SessionStore: StoreDB, RedisURL: DefaultRedisURL, DBTimeout: 750 * time.Millisecond}},
		{name: "bad db timeout", env: map[string]string{EnvDBTimeout: "5"}, wantErr: `DMR_DB_TIMEOUT="5"`},
		{name: "zero db timeout", env: map[string]string{EnvDBTimeout: "0s"}, wantErr: `DMR_DB_TIMEOUT="0s": want a positive duration`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ConfigFromEnv(lookupMap(tc.env))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestStoreTimeout(t *testing.T) {
	if got := (Config{}).StoreTimeout(); got != DefaultDBTimeout || got > 5*time.Second {
		t.Fatalf("default store timeout %v, want DefaultDBTimeout (at most 5s)", got)
	}
	if got := (Config{DBTimeout: time.Second}).StoreTimeout(); got != time.Second {
		t.Fatalf("StoreTimeout = %v, want 1s", got)
	}
}

func TestRedisDefaults(t *testing.T) {
	o, err := redis.ParseURL("redis://127.0.0.1:6379/0")
	if err != nil {
		t.Fatal(err)
	}
	redisDefaults(o)
	if o.DialTimeout != RedisTimeout || o.ReadTimeout != RedisTimeout || o.WriteTimeout != RedisTimeout ||
		o.PoolTimeout != RedisPoolTimeout || o.MaxRetries != -1 || o.DialerRetries != 1 {
		t.Fatalf("fail-fast defaults not applied: %+v", o)
	}
	// The URL's own parameters win.
	o, err = redis.ParseURL("redis://127.0.0.1:6379/0?dial_timeout=2s&read_timeout=1s&max_retries=2")
	if err != nil {
		t.Fatal(err)
	}
	redisDefaults(o)
	if o.DialTimeout != 2*time.Second || o.ReadTimeout != time.Second || o.MaxRetries != 2 || o.WriteTimeout != RedisTimeout {
		t.Fatalf("URL parameters overridden: %+v", o)
	}
}

func TestRedisPasswordNotEchoed(t *testing.T) {
	_, err := ConfigFromEnv(lookupMap(map[string]string{EnvSessionStore: "redis", EnvRedisURL: "redis://:hunter2@host:bad/0"}))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("err = %v", err)
	}
}

func TestSecretKeyFile(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{DatabaseURL: "sqlite:" + filepath.Join(dir, "app.sqlite3")}
	if got, want := cfg.SecretKeyFile(), filepath.Join(dir, "app.sqlite3.secret_key"); got != want {
		t.Fatalf("SecretKeyFile = %q, want %q", got, want)
	}
	var logs strings.Builder
	log := slog.New(slog.NewTextHandler(&logs, nil))
	k1, err := cfg.resolveSecretKey(log, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(k1) != SecretKeyLength || strings.Trim(k1, secretKeyChars) != "" {
		t.Fatalf("generated key %q", k1)
	}
	fi, err := os.Stat(cfg.SecretKeyFile())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}
	if !strings.Contains(logs.String(), "generated a secret key") || !strings.Contains(logs.String(), cfg.SecretKeyFile()) {
		t.Fatalf("log does not mention the generated key file: %s", logs.String())
	}
	k2, err := cfg.resolveSecretKey(slog.New(slog.NewTextHandler(io.Discard, nil)), true)
	if err != nil || k2 != k1 {
		t.Fatalf("second resolve = %q, %v; want the stored key", k2, err)
	}
	// A configured key wins and no file is consulted.
	cfg.SecretKey = "configured"
	if k, _ := cfg.resolveSecretKey(log, true); k != "configured" {
		t.Fatalf("got %q", k)
	}
	if NewSecretKey() == NewSecretKey() {
		t.Fatal("two generated keys are equal")
	}
}

func TestSecretKeyFileNone(t *testing.T) {
	for _, u := range []string{"postgres://h/db", "sqlite::memory:", "sqlite:file:x?mode=memory"} {
		if got := (Config{DatabaseURL: u}).SecretKeyFile(); got != "" {
			t.Errorf("%s: SecretKeyFile = %q, want none", u, got)
		}
	}
}
