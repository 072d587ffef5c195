package djangotest

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dmr-go/dmr/internal/testenv"
)

// Versions lists the Django versions (major.minor) the interop suite covers.
func Versions() []string { return []string{"3.2", "4.2", "5.2"} }

// Engines lists Django's session engines the interop project can use.
func Engines() []string { return []string{"db", "cache", "cached_db", "signed_cookies"} }

// Config is the Django project's configuration. Zero values are Django's
// defaults, a SQLite file in the test's temporary directory and a random
// SECRET_KEY.
type Config struct {
	// DB is "sqlite:PATH", a postgres:// or a mysql:// URL. Default: a fresh SQLite file
	// in t.TempDir().
	DB string
	// SecretKey is SECRET_KEY; default: random.
	SecretKey string
	// Fallbacks is SECRET_KEY_FALLBACKS (Django 4.1+; ignored by 3.2).
	Fallbacks []string
	// SessionEngine is db (default), cache, cached_db or signed_cookies.
	SessionEngine string
	// RedisURL makes Django's default cache a RedisCache (Django 4.0+) at this
	// location. Default: redis://<testenv.RedisAddr()>/0 when RedisPrefix is set.
	RedisURL string
	// RedisPrefix is the cache's KEY_PREFIX (keys become "<prefix>:1:<key>").
	RedisPrefix string
	// CacheBackend is "django" (default: Django's own RedisCache) or
	// "django_redis" (django_redis.cache.RedisCache, from the Django
	// version's Debian suite; see DjangoRedisPath).
	CacheBackend string
	// CacheCompressor "zlib" sets django-redis's ZlibCompressor.
	CacheCompressor string
	// CSRFUseSessions sets CSRF_USE_SESSIONS.
	CSRFUseSessions bool
	// CSRFTrustedOrigins sets CSRF_TRUSTED_ORIGINS.
	CSRFTrustedOrigins []string
	// AuthUserModel is "" (Django's auth.User) or "accounts.CustomUser", the
	// interop project's custom model (UUID key, email login, display_name).
	AuthUserModel string
	// AuthenticationBackends sets AUTHENTICATION_BACKENDS (default Django's).
	AuthenticationBackends []string
	// Apps are appended to INSTALLED_APPS, for example "rest_framework",
	// "rest_framework.authtoken", "rest_framework_simplejwt.token_blacklist",
	// "allauth", "allauth.account". Any app puts the Django version's extras
	// (DRF, SimpleJWT, PyJWT, django-allauth from its Debian suite; see
	// ExtrasPath) on the path; allauth's AccountMiddleware is added when
	// allauth.account is installed and has one.
	Apps []string
	// Settings are further settings, as JSON values (for example
	// "REST_FRAMEWORK" or "SIMPLE_JWT"; in SIMPLE_JWT, numbers under keys
	// ending in LIFETIME or LEEWAY are seconds, made timedeltas).
	Settings map[string]any
	// Timeout bounds one command (default 2 minutes).
	Timeout time.Duration
}

// Info is what the running Django reports about itself.
type Info struct {
	Version          string   `json:"version"`     // e.g. "4.2.28"
	Extras           Extras   `json:"extras"`      // versions of the extras on the path
	MajorMinor       string   `json:"major_minor"` // e.g. "4.2"
	Python           string   `json:"python"`
	DjangoPath       string   `json:"django_path"`
	Asgiref          string   `json:"asgiref"`
	Sqlparse         string   `json:"sqlparse"`
	SessionEngine    string   `json:"session_engine"`
	CacheBackend     string   `json:"cache_backend"`
	CacheCompressor  string   `json:"cache_compressor"`
	DjangoRedis      string   `json:"django_redis"` // django_redis.__version__ when it is the cache backend
	DBVendor         string   `json:"db_vendor"`
	PBKDF2Iterations int      `json:"pbkdf2_iterations"`
	PasswordHashers  []string `json:"password_hashers"`
}

// Extras are the versions of the optional Django packages importable by the
// project ("" when absent).
type Extras struct {
	DRF       string `json:"drf"`
	SimpleJWT string `json:"simplejwt"`
	PyJWT     string `json:"pyjwt"`
	Allauth   string `json:"allauth"`
}

// Django is one running Django project (a djangoctl.py serve process).
type Django struct {
	t       testing.TB
	version string
	cfg     Config
	info    Info

	mu     sync.Mutex
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Reader
	stderr *tailBuffer
	dead   error
}

// Python is the interpreter Django runs with.
func Python() string {
	if p := os.Getenv("DMR_DJANGO_PYTHON"); p != "" {
		return p
	}
	return "/usr/bin/python3"
}

// CacheDir is where install.sh unpacks Django 4.2 and 5.2.
func CacheDir() string {
	if d := os.Getenv("DMR_DJANGO_CACHE"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = "/root"
	}
	return filepath.Join(home, ".cache", "dmr", "django")
}

// PythonPath returns the PYTHONPATH that selects the given Django version:
// empty for 3.2 (the system's python3-django), the path install.sh recorded
// in CacheDir()/<version>/.ok otherwise.
func PythonPath(version string) (string, error) {
	if version == "3.2" {
		return "", nil
	}
	return recordedPath(version, "", "Django "+version)
}

// DjangoRedisPath returns the PYTHONPATH entries (to go before Django's)
// holding the python3-django-redis of the Django version's Debian suite, as
// install.sh recorded it in CacheDir()/django-redis/<version>/.ok.
func DjangoRedisPath(version string) (string, error) {
	return recordedPath(version, "django-redis", "django-redis for Django "+version)
}

// ExtrasPath returns the PYTHONPATH entries (to go before Django's) holding
// the Django version's extras (DRF, SimpleJWT, PyJWT, django-allauth), as
// install.sh recorded them in CacheDir()/extras/<version>/.ok: empty for 3.2,
// whose extras are bookworm's, installed system-wide.
func ExtrasPath(version string) (string, error) {
	return recordedPath(version, "extras", "DRF, SimpleJWT and allauth for Django "+version)
}

// recordedPath returns the PYTHONPATH install.sh recorded for a known Django
// version in CacheDir()/dir/<version>/.ok; what names the installed thing in
// the ErrAbsent error.
func recordedPath(version, dir, what string) (string, error) {
	if !slices.Contains(Versions(), version) {
		return "", fmt.Errorf("djangotest: unknown Django version %q (want one of %v)", version, Versions())
	}
	b, err := os.ReadFile(filepath.Join(CacheDir(), dir, version, ".ok"))
	if err != nil {
		return "", fmt.Errorf("djangotest: %s %w in %s (run interop/django/install.sh): %w", what, ErrAbsent, CacheDir(), err)
	}
	return strings.TrimSpace(string(b)), nil
}

// Dir returns the interop Django project directory (interop/django in the
// module).
func Dir() (string, error) {
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		starts = append(starts, filepath.Dir(file))
	}
	for _, dir := range starts {
		for d := dir; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				p := filepath.Join(d, "interop", "django")
				if _, err := os.Stat(filepath.Join(p, "djangoctl.py")); err == nil {
					return p, nil
				}
				break
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	return "", errors.New("djangotest: interop/django/djangoctl.py not found above the working directory")
}

// CheckVersion reports an error naming what was found when got (a full
// Django version such as "4.2.28") is not of the major.minor want.
func CheckVersion(want, got string) error {
	if got == want || strings.HasPrefix(got, want+".") {
		return nil
	}
	return fmt.Errorf("djangotest: wanted Django %s.x, found Django %q: the Debian suite moved on; update the pin in interop/django/install.sh and the interop suite", want, got)
}

// Env returns the environment variables that configure the interop project
// (see interop/django/README.md).
func (c Config) Env() []string {
	env := []string{
		"DMR_DJANGO_DB=" + c.DB,
		"DMR_SECRET_KEY=" + c.SecretKey,
		"DMR_SECRET_KEY_FALLBACKS=" + strings.Join(c.Fallbacks, ","),
		"DMR_SESSION_ENGINE=" + c.SessionEngine,
		"DMR_CSRF_TRUSTED_ORIGINS=" + strings.Join(c.CSRFTrustedOrigins, ","),
		"DMR_AUTH_USER_MODEL=" + c.AuthUserModel,
		"DMR_AUTHENTICATION_BACKENDS=" + strings.Join(c.AuthenticationBackends, ","),
	}
	if c.RedisURL != "" {
		env = append(env, "DMR_REDIS_URL="+c.RedisURL, "DMR_CACHE_KEY_PREFIX="+c.RedisPrefix)
	}
	if c.CacheBackend != "" {
		env = append(env, "DMR_CACHE_BACKEND="+c.CacheBackend, "DMR_CACHE_COMPRESSOR="+c.CacheCompressor)
	}
	if c.CSRFUseSessions {
		env = append(env, "DMR_CSRF_USE_SESSIONS=1")
	}
	if len(c.Apps) > 0 {
		env = append(env, "DMR_EXTRA_APPS="+strings.Join(c.Apps, ","))
	}
	if len(c.Settings) > 0 {
		b, err := json.Marshal(c.Settings)
		if err != nil {
			panic(fmt.Sprintf("djangotest: Config.Settings: %v", err))
		}
		env = append(env, "DMR_EXTRA_SETTINGS="+string(b))
	}
	return env
}

func (c Config) withDefaults(t testing.TB) Config {
	if c.DB == "" {
		c.DB = "sqlite:" + filepath.Join(t.TempDir(), "django.sqlite3")
	}
	if c.SecretKey == "" {
		c.SecretKey = "django-interop-" + rand.Text()
	}
	if c.SessionEngine == "" {
		c.SessionEngine = "db"
	}
	if c.RedisURL == "" && c.RedisPrefix != "" {
		c.RedisURL = "redis://" + testenv.RedisAddr() + "/0"
	}
	if c.Timeout == 0 {
		c.Timeout = 2 * time.Minute
	}
	return c
}

// ErrAbsent marks errors meaning Python or the requested Django is not
// installed (the test skips, or fails under DMR_TEST_REQUIRE_ALL=1).
var ErrAbsent = errors.New("not installed")

// New starts Django of the given major.minor with cfg. It skips t (or fails
// it under DMR_TEST_REQUIRE_ALL=1) when Python or that Django is not
// installed, and fails t when the installed Django has another version. The
// process stops when t ends.
func New(t testing.TB, version string, cfg Config) *Django {
	t.Helper()
	d, err := Start(t, version, cfg)
	if errors.Is(err, ErrAbsent) {
		testenv.Require(t, "Django "+version, false, err.Error())
	}
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Start is New returning its error instead of failing t. t is used for
// defaults (t.TempDir), for Run's failures and to stop the process at the
// end of the test.
func Start(t testing.TB, version string, cfg Config) (*Django, error) {
	cfg = cfg.withDefaults(t)
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	py := Python()
	if _, err := os.Stat(py); err != nil {
		return nil, fmt.Errorf("djangotest: Python for Django: %w: %w", ErrAbsent, err)
	}
	pp, err := PythonPath(version)
	if err != nil {
		return nil, err
	}
	if cfg.CacheBackend == "django_redis" {
		djr, err := DjangoRedisPath(version)
		if err != nil {
			return nil, err
		}
		pp = strings.Trim(djr+":"+pp, ":")
	}
	if len(cfg.Apps) > 0 {
		ex, err := ExtrasPath(version)
		if err != nil {
			return nil, err
		}
		pp = strings.Trim(ex+":"+pp, ":")
	}
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	d := &Django{t: t, version: version, cfg: cfg, stderr: &tailBuffer{max: 16 << 10}}
	if err := d.start(py, pp, dir); err != nil {
		return nil, fmt.Errorf("djangotest: start Django %s: %w", version, err)
	}
	t.Cleanup(d.Close)
	if err := d.Call("version", nil, &d.info); err != nil {
		if strings.Contains(err.Error(), "ModuleNotFoundError") {
			err = fmt.Errorf("%w: %w", ErrAbsent, err)
		}
		d.Close()
		return nil, fmt.Errorf("djangotest: Django %s: %w", version, err)
	}
	if err := CheckVersion(version, d.info.Version); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// Validate reports configuration errors.
func (c Config) Validate() error {
	var errs []error
	if !slices.Contains(Engines(), c.SessionEngine) {
		errs = append(errs, fmt.Errorf("djangotest: session engine %q: want one of %v", c.SessionEngine, Engines()))
	}
	switch c.CacheBackend {
	case "", "django", "django_redis":
	default:
		errs = append(errs, fmt.Errorf("djangotest: cache backend %q: want django or django_redis", c.CacheBackend))
	}
	if c.CacheCompressor != "" && (c.CacheCompressor != "zlib" || c.CacheBackend != "django_redis") {
		errs = append(errs, fmt.Errorf("djangotest: cache compressor %q: want zlib, with the django_redis backend", c.CacheCompressor))
	}
	if (c.SessionEngine == "cache" || c.SessionEngine == "cached_db") && c.RedisURL == "" {
		// Django would use its per-process LocMemCache, which Go cannot see.
		errs = append(errs, fmt.Errorf("djangotest: session engine %q needs RedisPrefix or RedisURL", c.SessionEngine))
	}
	return errors.Join(errs...)
}

func (d *Django) start(py, pythonPath, dir string) error {
	cmd := exec.Command(py, "-s", filepath.Join(dir, "djangoctl.py"), "serve")
	cmd.Dir = dir
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PYTHON") || strings.HasPrefix(kv, "DMR_DJANGO_DB=") || strings.HasPrefix(kv, "DJANGO_") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "PYTHONPATH="+pythonPath, "PYTHONDONTWRITEBYTECODE=1", "PYTHONIOENCODING=utf-8",
		"DJANGO_SETTINGS_MODULE=dmrsite.settings")
	cmd.Env = append(env, d.cfg.Env()...)
	cmd.Stderr = d.stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	d.cmd, d.stdin, d.stdout = cmd, stdin, bufio.NewReaderSize(stdout, 1<<16)
	return nil
}

// Info returns what Django reported at start.
func (d *Django) Info() Info { return d.info }

// Version returns the requested major.minor ("3.2", "4.2", "5.2").
func (d *Django) Version() string { return d.version }

// Config returns the configuration with defaults filled in (the DB URL, the
// SECRET_KEY in use).
func (d *Django) Config() Config { return d.cfg }

// AtLeast reports whether this Django's major.minor is at least v ("4.1").
func (d *Django) AtLeast(v string) bool { return versionLess(v, d.version) || v == d.version }

func versionLess(a, b string) bool {
	var a1, a2, b1, b2 int
	fmt.Sscanf(a, "%d.%d", &a1, &a2)
	fmt.Sscanf(b, "%d.%d", &b1, &b2)
	return a1 < b1 || a1 == b1 && a2 < b2
}

// Error is a command that Django answered with an exception.
type Error struct {
	Cmd       string
	Message   string // "ExceptionType: text"
	Traceback string
}

func (e *Error) Error() string { return fmt.Sprintf("djangoctl %s: %s", e.Cmd, e.Message) }

// Call runs one djangoctl command: in is marshalled as its arguments (nil:
// none), the result is unmarshalled into out (nil: ignored).
func (d *Django) Call(cmd string, in, out any) error {
	args := json.RawMessage("{}")
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("djangotest: marshal %s arguments: %w", cmd, err)
		}
		args = b
	}
	line, err := json.Marshal(struct {
		Cmd  string          `json:"cmd"`
		Args json.RawMessage `json:"args"`
	}{cmd, args})
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dead != nil {
		return d.dead
	}
	resp, err := d.roundTrip(append(line, '\n'))
	if err != nil {
		d.dead = fmt.Errorf("djangotest: Django %s process: %w; stderr:\n%s", d.version, err, d.stderr.String())
		return d.dead
	}
	var r struct {
		OK        bool            `json:"ok"`
		Result    json.RawMessage `json:"result"`
		Error     string          `json:"error"`
		Traceback string          `json:"traceback"`
	}
	if err := json.Unmarshal(resp, &r); err != nil {
		return fmt.Errorf("djangotest: %s: bad reply %q: %w", cmd, resp, err)
	}
	if !r.OK {
		return &Error{Cmd: cmd, Message: r.Error, Traceback: r.Traceback}
	}
	if out != nil {
		if err := json.Unmarshal(r.Result, out); err != nil {
			return fmt.Errorf("djangotest: %s: decode result %s: %w", cmd, r.Result, err)
		}
	}
	return nil
}

func (d *Django) roundTrip(line []byte) ([]byte, error) {
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		if _, err := d.stdin.Write(line); err != nil {
			done <- result{nil, err}
			return
		}
		b, err := d.stdout.ReadBytes('\n')
		if err == io.EOF {
			err = errors.New("exited")
		}
		done <- result{b, err}
	}()
	timer := time.NewTimer(d.cfg.Timeout)
	defer timer.Stop()
	select {
	case r := <-done:
		return r.b, r.err
	case <-timer.C:
		_ = d.cmd.Process.Kill()
		<-done
		return nil, fmt.Errorf("no reply within %v (killed)", d.cfg.Timeout)
	}
}

// Run is Call that fails the test on error.
func (d *Django) Run(cmd string, in, out any) {
	d.t.Helper()
	if err := d.Call(cmd, in, out); err != nil {
		var e *Error
		if errors.As(err, &e) && e.Traceback != "" {
			d.t.Fatalf("Django %s: %v\n%s", d.info.Version, err, e.Traceback)
		}
		d.t.Fatalf("Django %s: %v", d.info.Version, err)
	}
}

// Close stops the process. It is called when the test ends.
func (d *Django) Close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cmd == nil {
		return
	}
	_ = d.stdin.Close()
	waited := make(chan struct{})
	go func() { _ = d.cmd.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(10 * time.Second):
		_ = d.cmd.Process.Kill()
		<-waited
	}
	d.cmd = nil
	if d.dead == nil {
		d.dead = errors.New("djangotest: Django closed")
	}
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   bytes.Buffer
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b.Write(p)
	if over := t.b.Len() - t.max; over > 0 {
		t.b.Next(over)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.b.String()
}
