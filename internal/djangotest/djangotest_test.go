package djangotest

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestCheckVersion(t *testing.T) {
	tests := []struct {
		want, got string
		ok        bool
	}{
		{"4.2", "4.2.28", true},
		{"4.2", "4.2", true},
		{"3.2", "3.2.25", true},
		{"4.2", "4.20.1", false},
		{"5.2", "6.0.1", false},
		{"5.2", "5.1.9", false},
		{"4.2", "", false},
	}
	for _, tt := range tests {
		err := CheckVersion(tt.want, tt.got)
		if (err == nil) != tt.ok {
			t.Errorf("CheckVersion(%q, %q) = %v, want ok=%v", tt.want, tt.got, err, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), `"`+tt.got+`"`) {
			t.Errorf("CheckVersion(%q, %q) = %v: does not name what was found", tt.want, tt.got, err)
		}
	}
}

func TestPythonPath(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("DMR_DJANGO_CACHE", cache)
	if p, err := PythonPath("3.2"); err != nil || p != "" {
		t.Errorf("PythonPath(3.2) = %q, %v; want the system's Django", p, err)
	}
	if _, err := PythonPath("4.1"); err == nil || errors.Is(err, ErrAbsent) {
		t.Errorf("PythonPath(4.1) = %v; want an unknown-version error", err)
	}
	if _, err := PythonPath("4.2"); !errors.Is(err, ErrAbsent) {
		t.Errorf("PythonPath(4.2) on an empty cache = %v; want ErrAbsent", err)
	}
	if err := os.MkdirAll(filepath.Join(cache, "4.2"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cache, "4.2", ".ok"), []byte("/a/b:/c/d"), 0o644); err != nil {
		t.Fatal(err)
	}
	if p, err := PythonPath("4.2"); err != nil || p != "/a/b:/c/d" {
		t.Errorf("PythonPath(4.2) = %q, %v", p, err)
	}
}

func TestVersionsAndAtLeast(t *testing.T) {
	if !slices.Equal(Versions(), []string{"3.2", "4.2", "5.2"}) {
		t.Fatalf("Versions() = %v", Versions())
	}
	d := &Django{version: "4.2"}
	for v, want := range map[string]bool{"3.2": true, "4.1": true, "4.2": true, "4.3": false, "5.0": false} {
		if got := d.AtLeast(v); got != want {
			t.Errorf("4.2 AtLeast(%s) = %v", v, got)
		}
	}
}

func TestConfig(t *testing.T) {
	c := Config{RedisPrefix: "p1", SessionEngine: "cache", Fallbacks: []string{"a", "b"}, CSRFUseSessions: true}.withDefaults(t)
	if !strings.HasPrefix(c.DB, "sqlite:") || c.SecretKey == "" || !strings.HasPrefix(c.RedisURL, "redis://") {
		t.Fatalf("defaults not filled: %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	env := c.Env()
	for _, want := range []string{"DMR_SECRET_KEY_FALLBACKS=a,b", "DMR_SESSION_ENGINE=cache", "DMR_CACHE_KEY_PREFIX=p1", "DMR_CSRF_USE_SESSIONS=1"} {
		if !slices.Contains(env, want) {
			t.Errorf("Env() lacks %s: %v", want, env)
		}
	}
	if err := (Config{SessionEngine: "file"}).Validate(); err == nil {
		t.Error("engine file accepted")
	}
	if err := (Config{SessionEngine: "cached_db"}).Validate(); err == nil {
		t.Error("cached_db without Redis accepted (Django would use a per-process cache)")
	}
}

func TestDir(t *testing.T) {
	dir, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "dmrsite", "settings.py")); err != nil {
		t.Fatal(err)
	}
}

func TestDjango(t *testing.T) {
	for _, v := range Versions() {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			d := New(t, v, Config{})
			info := d.Info()
			if info.MajorMinor != v || CheckVersion(v, info.Version) != nil {
				t.Fatalf("asked for %s, got %+v", v, info)
			}
			if info.SessionEngine != "django.contrib.sessions.backends.db" || info.DBVendor != "sqlite" {
				t.Errorf("configuration not applied: %+v", info)
			}
			want := map[string]int{"3.2": 260000, "4.2": 600000, "5.2": 1000000}[v]
			if info.PBKDF2Iterations != want {
				t.Errorf("PBKDF2 iterations = %d, want %d", info.PBKDF2Iterations, want)
			}
			// Errors come back typed, with Django's exception, and the
			// process keeps serving.
			err := d.Call("no-such-command", nil, nil)
			var e *Error
			if !errors.As(err, &e) || !strings.Contains(e.Message, "unknown command") {
				t.Errorf("unknown command: %v", err)
			}
			tables := d.Migrate(false)
			for _, want := range []string{"auth_user", "django_session"} {
				if !slices.Contains(tables, want) {
					t.Errorf("tables after migrate: %v lack %s", tables, want)
				}
			}
			if err := d.Call("get-hash", map[string]any{"username": "nobody"}, nil); !errors.As(err, &e) || !strings.Contains(e.Message, "DoesNotExist") {
				t.Errorf("missing user: %v", err)
			}
			s := d.SessionWrite(map[string]any{"k": "v"})
			if len(s.Key) != 32 {
				t.Fatalf("session key %q", s.Key)
			}
			if got := d.SessionRead(s.Key); got.Key != s.Key || string(got.Data) != `{"k": "v"}` {
				t.Errorf("read back %+v", got)
			}
			if got := d.SessionRead("nosuchkeynosuchkeynosuchkey12345"); got.Key != "" || string(got.Data) != "{}" {
				t.Errorf("unknown key adopted: %+v", got)
			}
		})
	}
}

// A Django of another major.minor than asked for fails loudly, naming it.
func TestVersionMismatch(t *testing.T) {
	real, err := PythonPath("5.2")
	if err != nil {
		t.Skipf("Django 5.2 not installed: %v", err)
	}
	cache := t.TempDir()
	if err := os.MkdirAll(filepath.Join(cache, "4.2"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cache, "4.2", ".ok"), []byte(real), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DMR_DJANGO_CACHE", cache)
	_, err = Start(t, "4.2", Config{})
	if err == nil || errors.Is(err, ErrAbsent) || !strings.Contains(err.Error(), `found Django "5.2.`) {
		t.Fatalf("Start(4.2) with 5.2 installed = %v", err)
	}
}
