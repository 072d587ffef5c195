package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dmr-go/dmr/internal/testenv"
	"github.com/dmr-go/dmr/sqldb"
)

// The CLI tests run the real binary, built once per test run.
var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "sessionauth-bin-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(buildDir, "sessionauth")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// cliResult is one run of the binary.
type cliResult struct {
	code           int
	stdout, stderr string
}

// run runs the binary in dir with only the given environment (plus PATH and
// HOME) and stdin.
func run(t *testing.T, dir string, env map[string]string, stdin string, args ...string) cliResult {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return cliResult{code: code, stdout: out.String(), stderr: errb.String()}
}

// wantFail checks exit status 1 with exactly one line on stderr that
// contains want.
func (r cliResult) wantFail(t *testing.T, want string) {
	t.Helper()
	if r.code != 1 || strings.Count(r.stderr, "\n") != 1 || !strings.HasSuffix(r.stderr, "\n") || !strings.Contains(r.stderr, want) {
		t.Fatalf("exit %d, stderr %q; want 1 and one line containing %q", r.code, r.stderr, want)
	}
	if !strings.HasPrefix(r.stderr, "sessionauth: ") {
		t.Errorf("stderr %q does not start with the program name", r.stderr)
	}
}

func (r cliResult) wantOK(t *testing.T) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
}

func sqliteEnv(dir string) map[string]string {
	return map[string]string{"DMR_DATABASE_URL": "sqlite:" + filepath.Join(dir, "db.sqlite3"), "DMR_SECRET_KEY": testSecretKey}
}

func TestCLICreateUser(t *testing.T) {
	dir := t.TempDir()
	env := sqliteEnv(dir)
	r := run(t, dir, env, "password", "createuser", "--username", "test_user", "--password-stdin")
	r.wantOK(t)
	if r.stdout != "User \"test_user\" created (id 1).\n" || r.stderr != "" {
		t.Fatalf("stdout %q stderr %q", r.stdout, r.stderr)
	}
	run(t, dir, env, "password", "createuser", "--username", "test_user", "--password-stdin").wantFail(t, `user "test_user" already exists`)
	run(t, dir, env, "", "createuser", "--username", "admin", "--email", "Admin@EXAMPLE.com", "--superuser", "--no-password").wantOK(t)
	run(t, dir, env, "pw\n", "createuser", "--username", "staffer", "--staff", "--password-stdin").wantOK(t)

	db, err := sql.Open("sqlite", filepath.Join(dir, "db.sqlite3"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	type row struct {
		password, email      string
		staff, super, active bool
	}
	get := func(name string) row {
		var r row
		err := db.QueryRow(`SELECT password, email, is_staff, is_superuser, is_active FROM auth_user WHERE username = ?`, name).
			Scan(&r.password, &r.email, &r.staff, &r.super, &r.active)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if u := get("test_user"); !strings.HasPrefix(u.password, "pbkdf2_sha256$1000000$") || u.staff || u.super || !u.active {
		t.Errorf("test_user row %+v", u)
	}
	if u := get("admin"); !strings.HasPrefix(u.password, "!") || len(u.password) != 41 || !u.staff || !u.super || u.email != "Admin@example.com" {
		t.Errorf("admin row %+v (want an unusable password, staff, superuser, normalized email)", u)
	}
	if u := get("staffer"); !u.staff || u.super {
		t.Errorf("staffer row %+v", u)
	}

	for _, tc := range []struct {
		name, stdin string
		args        []string
		want        string
	}{
		{"no terminal", "", []string{"createuser", "--username", "x"}, "no terminal to prompt for the password: use --password-stdin or --no-password"},
		{"no username", "pw", []string{"createuser", "--password-stdin"}, "--username: the username must be set"},
		{"bad username", "pw", []string{"createuser", "--username", "a b", "--password-stdin"}, "enter a valid username"},
		{"blank password", "\n", []string{"createuser", "--username", "y", "--password-stdin"}, "blank passwords are not allowed"},
		{"both password flags", "pw", []string{"createuser", "--username", "y", "--password-stdin", "--no-password"}, "exclude each other"},
		{"unknown flag", "", []string{"createuser", "--bogus"}, "flag provided but not defined: -bogus"},
		{"extra argument", "", []string{"migrate", "now"}, `unexpected argument "now"`},
		{"unknown command", "", []string{"runserver"}, `unknown command "runserver"`},
		{"bad addr", "", []string{"serve", "--addr", "8000"}, `--addr "8000": want HOST:PORT`},
		{"bad openapi version", "", []string{"openapi", "--version", "2.0"}, "want 3.2 or 3.1"},
		{"changepassword unknown user", "pw", []string{"changepassword", "--username", "nobody", "--password-stdin"}, `user "nobody" does not exist`},
		{"changepassword no terminal", "", []string{"changepassword", "--username", "test_user"}, "no terminal to prompt for the password: use --password-stdin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run(t, dir, env, tc.stdin, tc.args...).wantFail(t, tc.want)
		})
	}
}

func TestCLIEnvironmentErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"postgres without key", map[string]string{"DMR_DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test"}, "DMR_SECRET_KEY is required with postgres"},
		{"database unreachable", map[string]string{"DMR_DATABASE_URL": "postgres://postgres@127.0.0.1:1/x?connect_timeout=2", "DMR_SECRET_KEY": "k"}, "database postgres unreachable"},
		{"sqlite directory missing", map[string]string{"DMR_DATABASE_URL": "sqlite:" + filepath.Join(dir, "missing", "db.sqlite3"), "DMR_SECRET_KEY": "k"}, "database sqlite unreachable"},
		{"unsupported database", map[string]string{"DMR_DATABASE_URL": "oracle://x"}, "DMR_DATABASE_URL: unsupported database URL"},
		{"bad store", map[string]string{"DMR_SESSION_STORE": "files"}, `DMR_SESSION_STORE="files"`},
		{"redis unreachable", map[string]string{"DMR_SESSION_STORE": "redis", "DMR_REDIS_URL": "redis://127.0.0.1:1/0", "DMR_DATABASE_URL": "sqlite:" + filepath.Join(dir, "r.sqlite3"), "DMR_SECRET_KEY": "k"}, "redis at 127.0.0.1:1 unreachable"},
		{"bad trusted origin", map[string]string{"DMR_CSRF_TRUSTED_ORIGINS": "example.com"}, "DMR_CSRF_TRUSTED_ORIGINS"},
		{"bad bool", map[string]string{"DMR_CSRF_USE_SESSIONS": "maybe"}, "DMR_CSRF_USE_SESSIONS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run(t, dir, tc.env, "", "migrate").wantFail(t, tc.want)
		})
	}
}

func TestCLIGeneratedSecretKey(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"DMR_DATABASE_URL": "sqlite:db.sqlite3"} // relative to the working directory
	r := run(t, dir, env, "", "migrate")
	r.wantOK(t)
	keyFile := filepath.Join(dir, "db.sqlite3.secret_key")
	fi, err := os.Stat(keyFile)
	if err != nil {
		t.Fatalf("no key file: %v (stderr %q)", err, r.stderr)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v", fi.Mode().Perm())
	}
	if !strings.Contains(r.stderr, "generated a secret key") || !strings.Contains(r.stderr, "db.sqlite3.secret_key") {
		t.Errorf("the log does not mention the generated key: %q", r.stderr)
	}
	key, _ := os.ReadFile(keyFile)
	if len(strings.TrimSpace(string(key))) != 50 {
		t.Errorf("key %q is not 50 characters", key)
	}
	// The second run reuses it silently.
	r = run(t, dir, env, "", "migrate")
	r.wantOK(t)
	if r.stderr != "" {
		t.Errorf("second run logged %q", r.stderr)
	}
	if again, _ := os.ReadFile(keyFile); !bytes.Equal(again, key) {
		t.Error("the key changed")
	}
}

func TestCLIOpenAPI(t *testing.T) {
	dir := t.TempDir()
	// No secret key and no database: printing the document touches nothing.
	env := map[string]string{"DMR_DATABASE_URL": "sqlite:" + filepath.Join(dir, "db.sqlite3")}
	r := run(t, dir, env, "", "openapi")
	r.wantOK(t)
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("openapi created files: %v", entries)
	}
	m := decode(t, []byte(r.stdout))
	if m["openapi"] != "3.2.0" {
		t.Fatalf("openapi = %v", m["openapi"])
	}
	validateDocument(t, []byte(r.stdout))
	r31 := run(t, dir, env, "", "openapi", "--version", "3.1")
	r31.wantOK(t)
	if m := decode(t, []byte(r31.stdout)); m["openapi"] != "3.1.0" {
		t.Fatalf("openapi --version 3.1 printed version %v", m["openapi"])
	}
	validateDocument(t, []byte(r31.stdout))
	// The printed document is the one the server serves.
	srv := startServer(t, sqliteConfig(t), optsQuiet(t))
	served := srv.do(t, "GET", "/api/openapi.json", "", nil)
	served.want(t, 200, "")
	if strings.TrimSpace(served.body) != strings.TrimSpace(r.stdout) {
		t.Error("openapi output differs from GET /api/openapi.json")
	}
}

func TestCLIHelp(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"help"}, {"-h"}, {"createuser", "--help"}} {
		r := run(t, dir, nil, "", args...)
		r.wantOK(t)
		if !strings.Contains(r.stdout, "createuser --username U") {
			t.Errorf("%v: stdout %q", args, r.stdout)
		}
	}
}

func TestCLIClearSessions(t *testing.T) {
	dir := t.TempDir()
	env := sqliteEnv(dir)
	run(t, dir, env, "", "migrate").wantOK(t)
	db, err := sql.Open("sqlite", filepath.Join(dir, "db.sqlite3"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	past := sqldb.FormatTime(time.Now().Add(-time.Hour).UTC())
	future := sqldb.FormatTime(time.Now().Add(time.Hour).UTC())
	if _, err := db.Exec(`INSERT INTO django_session VALUES ('expiredexpiredexpiredexpired0001', 'x', ?), ('liveliveliveliveliveliveliveli01', 'x', ?)`, past, future); err != nil {
		t.Fatal(err)
	}
	run(t, dir, env, "", "clearsessions").wantOK(t)
	var keys []string
	rows, err := db.Query(`SELECT session_key FROM django_session ORDER BY session_key`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		rows.Scan(&k)
		keys = append(keys, k)
	}
	rows.Close()
	if len(keys) != 1 || keys[0] != "liveliveliveliveliveliveliveli01" {
		t.Fatalf("after clearsessions: %v", keys)
	}
	// Signed cookies keep nothing on the server: nothing to clear, success.
	env["DMR_SESSION_STORE"] = "signed_cookies"
	run(t, dir, env, "", "clearsessions").wantOK(t)
}

// TestCLIServe runs the seed's quick start with the binary: createuser, serve
// on a free port, the seed's login, changepassword ending the session, and a
// graceful stop on SIGTERM.
func TestCLIServe(t *testing.T) {
	dir := t.TempDir()
	env := sqliteEnv(dir)
	run(t, dir, env, "password", "createuser", "--username", "test_user", "--password-stdin").wantOK(t)

	cmd := exec.Command(binary(t), "serve", "--addr", "127.0.0.1:0")
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(stderr)
	urlRe := regexp.MustCompile(`msg=serving url=(http://\S+/)`)
	base := ""
	for base == "" && lines.Scan() {
		if m := urlRe.FindStringSubmatch(lines.Text()); m != nil {
			base = strings.TrimSuffix(m[1], "/")
		}
	}
	if base == "" {
		t.Fatal("serve never logged its address")
	}
	var rest bytes.Buffer
	done := make(chan struct{})
	go func() { io.Copy(&rest, stderr); close(done) }()

	login := func(pw string) *http.Response {
		res, err := http.Post(base+"/api/auth/", "application/json", strings.NewReader(`{"username": "test_user", "password": "`+pw+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		res.Body = io.NopCloser(bytes.NewReader(body))
		return res
	}
	first := login("password")
	if b, _ := io.ReadAll(first.Body); first.StatusCode != 200 || string(b) != `{"user_id":"1"}` {
		t.Fatalf("seed login: %d %s", first.StatusCode, b)
	}
	var sid *http.Cookie
	for _, c := range first.Cookies() {
		if c.Name == "sessionid" {
			sid = c
		}
	}
	get := func() int {
		req, _ := http.NewRequest("GET", base+"/api/apicontroller/", nil)
		req.AddCookie(&http.Cookie{Name: sid.Name, Value: sid.Value})
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := get(); got != 200 {
		t.Fatalf("GET with the session: %d", got)
	}
	// changepassword ends the user's sessions (the session auth hash changes).
	// It runs in another process, so the server honours it once its user
	// cache entry has expired: within the example's TTL (1 s). Poll with a
	// generous deadline rather than assert a timing.
	r := run(t, dir, env, "new password\n", "changepassword", "--username", "test_user", "--password-stdin")
	r.wantOK(t)
	for deadline := time.Now().Add(20 * time.Second); ; {
		got := get()
		if got == 401 {
			break
		}
		if got != 200 || time.Now().After(deadline) {
			t.Fatalf("GET after changepassword: %d, want 401 within the cache TTL", got)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if res := login("password"); res.StatusCode != 401 {
		t.Errorf("old password after changepassword: %d", res.StatusCode)
	}
	if res := login("new password"); res.StatusCode != 200 {
		t.Errorf("new password: %d", res.StatusCode)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	waited := make(chan error, 1)
	go func() { <-done; waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM; stderr:\n%s", err, rest.String())
		}
	case <-ctx.Done():
		t.Fatal("serve did not stop after SIGTERM")
	}
	if !strings.Contains(rest.String(), "shutting down") {
		t.Errorf("no shutdown log: %q", rest.String())
	}
}

// ptyDriver runs argv on a pseudo-terminal, answers each prompt with the
// next answer, and prints the exit status and everything the terminal showed.
const ptyDriver = `
import os, pty, sys, json, termios, time
args = json.loads(sys.argv[1]); answers = json.loads(sys.argv[2])
pid, fd = pty.fork()
if pid == 0:
    os.execv(args[0], args)
seen = b""
def read_until(marker):
    global seen
    while marker not in seen:
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            return False
        if not chunk:
            return False
        seen += chunk
    seen = seen.split(marker, 1)[1]
    return True
shown = b""
for prompt, answer in answers:
    if not read_until(prompt.encode()):
        break
    shown += prompt.encode()
    # Answer once the program has turned echo off (as a person would, after
    # the prompt), so that an echo seen afterwards is a real one.
    deadline = time.time() + 10
    while termios.tcgetattr(fd)[3] & termios.ECHO and time.time() < deadline:
        time.sleep(0.01)
    os.write(fd, answer.encode() + b"\r")
rest = b""
while True:
    try:
        chunk = os.read(fd, 1024)
    except OSError:
        break
    if not chunk:
        break
    rest += chunk
_, status = os.waitpid(pid, 0)
print(os.waitstatus_to_exitcode(status))
sys.stdout.write((seen + rest).decode(errors="replace"))
`

// TestCLIPromptOnTerminal: on a terminal, createuser asks twice without
// echo; different answers fail with one line.
func TestCLIPromptOnTerminal(t *testing.T) {
	_, err := exec.LookPath("python3")
	testenv.Require(t, "python3 (for a pseudo-terminal)", err == nil, fmt.Sprint(err))
	dir := t.TempDir()
	bin := binary(t)
	drive := func(answers [][2]string, args ...string) (int, string) {
		t.Helper()
		a, _ := json.Marshal(append([]string{bin}, args...))
		b, _ := json.Marshal(answers)
		cmd := exec.Command("python3", "-c", ptyDriver, string(a), string(b))
		cmd.Dir = dir
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "DMR_DATABASE_URL=sqlite:" + filepath.Join(dir, "db.sqlite3"), "DMR_SECRET_KEY=" + testSecretKey}
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("pty driver: %v %s", err, out)
		}
		first, rest, _ := strings.Cut(string(out), "\n")
		var code int
		fmt.Sscan(first, &code)
		return code, rest
	}
	code, shown := drive([][2]string{{"Password: ", "s3cret pw"}, {"Password (again): ", "s3cret pw"}}, "createuser", "--username", "tty_user")
	if code != 0 || !strings.Contains(shown, `User "tty_user" created`) {
		t.Fatalf("exit %d, terminal showed %q", code, shown)
	}
	if strings.Contains(shown, "s3cret") {
		t.Errorf("the password was echoed: %q", shown)
	}
	code, shown = drive([][2]string{{"Password: ", "one"}, {"Password (again): ", "two"}}, "createuser", "--username", "tty_user2")
	if code != 1 || !strings.Contains(shown, "the passwords do not match") {
		t.Fatalf("mismatch: exit %d, terminal showed %q", code, shown)
	}
	// The user typed on the terminal exists.
	r := run(t, dir, map[string]string{"DMR_DATABASE_URL": "sqlite:" + filepath.Join(dir, "db.sqlite3"), "DMR_SECRET_KEY": testSecretKey}, "", "createuser", "--username", "tty_user", "--no-password")
	r.wantFail(t, "already exists")
}

// TestCLIPostgres: the commands on PostgreSQL (a private database).
func TestCLIPostgres(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"DMR_DATABASE_URL": testenv.PostgresURL(t), "DMR_SECRET_KEY": testSecretKey}
	run(t, dir, env, "", "migrate").wantOK(t)
	run(t, dir, env, "", "migrate").wantOK(t)
	r := run(t, dir, env, "password", "createuser", "--username", "test_user", "--password-stdin")
	r.wantOK(t)
	if r.stdout != "User \"test_user\" created (id 1).\n" {
		t.Errorf("stdout %q", r.stdout)
	}
	run(t, dir, env, "password", "createuser", "--username", "test_user", "--password-stdin").wantFail(t, `user "test_user" already exists`)
	run(t, dir, env, "", "createuser", "--username", "svc", "--no-password").wantOK(t)
	run(t, dir, env, "pw2", "changepassword", "--username", "test_user", "--password-stdin").wantOK(t)
	run(t, dir, env, "", "clearsessions").wantOK(t)
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("PostgreSQL setup wrote files: %v", entries)
	}
}
