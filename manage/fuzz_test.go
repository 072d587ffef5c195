package manage

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzConfigFromEnv: any environment either gives a valid configuration or an
// error naming the variable at fault; never a panic.
func FuzzConfigFromEnv(f *testing.F) {
	f.Add("sqlite:dmr.sqlite3", "", "db", "", "", "1")
	f.Add("postgres://u:p@h/db", "key", "cached_db", "redis://:pw@r:6379/1", "https://*.example.com,http://localhost:3000", "0")
	f.Add("sqlite:", "", "redis", "redis://[::1", "*", "yes")
	f.Add("postgresql://%zz", "k", "signed_cookies", "", "https://a.*.b", "")
	f.Fuzz(func(t *testing.T, db, key, store, redisURL, origins, useSessions string) {
		env := map[string]string{
			EnvDatabaseURL: db, EnvSecretKey: key, EnvSessionStore: store,
			EnvRedisURL: redisURL, EnvCSRFTrustedOrigins: origins, EnvCSRFUseSessions: useSessions,
		}
		cfg, err := ConfigFromEnv(lookupMap(env))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "DMR_") {
				t.Fatalf("error %q does not name the variable", err)
			}
			if p := redisPassword(redisURL); p != "" && len(p) > 3 && strings.Contains(err.Error(), p) && !strings.Contains(db+key+origins, p) {
				t.Fatalf("error %q repeats the Redis password", err)
			}
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("ConfigFromEnv accepted what Validate refuses: %v", err)
		}
		if cfg.DatabaseURL == "" || cfg.SessionStore == "" || cfg.RedisURL == "" {
			t.Fatalf("defaults missing: %+v", cfg)
		}
	})
}

func redisPassword(raw string) string {
	_, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return ""
	}
	userinfo, _, ok := strings.Cut(rest, "@")
	if !ok {
		return ""
	}
	_, pw, _ := strings.Cut(userinfo, ":")
	return pw
}

// FuzzValidateUsername: accepted usernames are what Django's validator
// accepts: 1 to 150 characters, no spaces or control characters.
func FuzzValidateUsername(f *testing.F) {
	for _, s := range []string{"test_user", "jane.doe+x@y", "Ünïcödé", "a b", "", strings.Repeat("a", 151), "\x00", "a\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidateUsername(s) != nil {
			return
		}
		n := utf8.RuneCountInString(s)
		if n == 0 || n > MaxUsernameLength || !utf8.ValidString(s) {
			t.Fatalf("accepted %q", s)
		}
		for _, r := range s {
			if unicode.IsSpace(r) || unicode.IsControl(r) || r == '/' || r == '\\' || r == '"' {
				t.Fatalf("accepted %q with %q", s, r)
			}
		}
	})
}

// FuzzDBTimeout: DMR_DB_TIMEOUT is a positive duration or an error naming
// the variable; the effective store timeout is always positive.
func FuzzDBTimeout(f *testing.F) {
	for _, s := range []string{"5s", "750ms", " 2s ", "0", "0s", "-1s", "5", "1h2m", "abc", "", "9223372036854775807ns", "1e3s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		cfg, err := ConfigFromEnv(lookupMap(map[string]string{EnvDBTimeout: v}))
		if err != nil {
			if !strings.HasPrefix(err.Error(), EnvDBTimeout) {
				t.Fatalf("error %q does not name %s", err, EnvDBTimeout)
			}
			return
		}
		if cfg.StoreTimeout() <= 0 {
			t.Fatalf("store timeout %v for %q", cfg.StoreTimeout(), v)
		}
		if strings.TrimSpace(v) != "" && cfg.DBTimeout <= 0 {
			t.Fatalf("%q accepted as %v", v, cfg.DBTimeout)
		}
	})
}
