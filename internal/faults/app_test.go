package faults

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dmr-go/dmr/internal/testenv"
)

// dbTimeout is the example's DMR_DB_TIMEOUT in this suite; slack is what
// an answer may take beyond it on a loaded CI machine. The bound checks
// availability (no request hangs on a dead store), not speed.
const (
	dbTimeout = time.Second
	slack     = 3 * time.Second
	bound     = dbTimeout + slack
	// recovery is how soon after a store returns requests must succeed.
	recovery = 3 * time.Second
)

// exampleBinary builds examples/sessionauth once per test binary.
func exampleBinary(t *testing.T) string {
	t.Helper()
	return testenv.BuildBinary(t, "github.com/dmr-go/dmr/examples/sessionauth")
}

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.RemoveBuilt()
	os.Exit(code)
}

// app is the example application running as its own process.
type app struct {
	base string
	env  []string
	p    *proc
}

const (
	username = "ada"
	password = "correct horse battery staple"
)

// startApp creates the user and serves the example with env (DMR_* values
// on top of the suite's defaults).
func startApp(t *testing.T, env ...string) *app {
	t.Helper()
	bin := exampleBinary(t)
	dir := t.TempDir()
	full := append([]string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		"DMR_SECRET_KEY=fault-injection-secret-key-0123456789abcdefghijklmnop",
		"DMR_DB_TIMEOUT=" + dbTimeout.String(),
		"DMR_AUTH_CACHE_TTL=0",   // every request reaches the stores
		"DMR_DJANGO_VERSION=3.2", // PBKDF2 with 260,000 iterations: cheaper logins on a busy machine
		"DMR_DATABASE_URL=sqlite:" + filepath.Join(dir, "dmr.sqlite3"),
	}, env...)
	create := exec.Command(bin, "createuser", "--username", username, "--password-stdin")
	create.Env, create.Dir, create.Stdin = full, dir, strings.NewReader(password)
	if out, err := create.CombinedOutput(); err != nil {
		t.Fatalf("createuser: %v\n%s", err, out)
	}
	port := freePort(t)
	a := &app{base: fmt.Sprintf("http://127.0.0.1:%d", port), env: full}
	a.p = startProc(t, "sessionauth", nil, dir, full, bin, "serve", "--addr", fmt.Sprintf("127.0.0.1:%d", port))
	return a.wait(t)
}

func (a *app) wait(t *testing.T) *app {
	t.Helper()
	waitFor(t, 60*time.Second, "the example at "+a.base, func() error {
		select {
		case <-a.p.done:
			t.Fatalf("the example exited:\n%s", a.p.out.String())
		default:
		}
		resp, err := http.Get(a.base + "/api/openapi.json")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	})
	return a
}

// logLines counts the example's log lines containing s.
func (a *app) logLines(s string) int {
	n := 0
	for _, l := range strings.Split(a.p.out.String(), "\n") {
		if strings.Contains(l, s) {
			n++
		}
	}
	return n
}

// client is one browser: a cookie jar and the CSRF header.
type client struct {
	a   *app
	jar *cookiejar.Jar
	hc  *http.Client
	// token is the last token GET /api/csrf/ answered, for the X-CSRFToken
	// header when there is no csrftoken cookie (CSRF_USE_SESSIONS).
	token string
}

func (a *app) client() *client {
	jar, _ := cookiejar.New(nil)
	// The client's own timeout only catches hangs far beyond the bound.
	return &client{a: a, jar: jar, hc: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

type answer struct {
	status  int
	header  http.Header
	body    []byte
	elapsed time.Duration
	err     error
}

func (c *client) do(method, path, body string) answer {
	req, err := http.NewRequest(method, c.a.base+path, strings.NewReader(body))
	if err != nil {
		return answer{err: err}
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	u, _ := url.Parse(c.a.base)
	if c.token != "" {
		req.Header.Set("X-CSRFToken", c.token)
	}
	for _, ck := range c.jar.Cookies(u) {
		if ck.Name == "csrftoken" {
			req.Header.Set("X-CSRFToken", ck.Value)
		}
	}
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return answer{err: err, elapsed: time.Since(start)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: b, elapsed: time.Since(start), err: err}
}

func (c *client) login() answer {
	return c.do("POST", "/api/auth/", fmt.Sprintf(`{"username":%q,"password":%q}`, username, password))
}

// mustLogin logs in (fetching a CSRF cookie first, as a browser would).
func (c *client) mustLogin(t *testing.T) {
	t.Helper()
	c.fetchToken(t)
	if r := c.login(); r.status != 200 {
		t.Fatalf("login: %d %s %v", r.status, r.body, r.err)
	}
	c.fetchToken(t) // the login rotated the secret
}

func (c *client) fetchToken(t *testing.T) {
	t.Helper()
	r := c.do("GET", "/api/csrf/", "")
	var body struct {
		Token string `json:"csrftoken"`
	}
	if r.status != 200 || json.Unmarshal(r.body, &body) != nil || body.Token == "" {
		t.Fatalf("GET /api/csrf/: %d %s %v", r.status, r.body, r.err)
	}
	c.token = body.Token
}

type note struct {
	ID   int64  `json:"id"`
	Text string `json:"text"`
}

// addNote creates a note; ok reports a 2xx (the note is acknowledged).
func (c *client) addNote(text string) (note, answer) {
	r := c.do("POST", "/api/notes/", fmt.Sprintf(`{"text":%q}`, text))
	var n note
	if r.status/100 == 2 {
		_ = json.Unmarshal(r.body, &n)
	}
	return n, r
}

func (c *client) notes(t *testing.T) []note {
	t.Helper()
	r := c.do("GET", "/api/notes/", "")
	if r.status != 200 {
		t.Fatalf("GET /api/notes/: %d %s %v", r.status, r.body, r.err)
	}
	var ns []note
	if err := json.Unmarshal(r.body, &ns); err != nil {
		t.Fatal(err)
	}
	return ns
}

// request is one of the endpoints a fault is checked on.
type request struct {
	name               string
	method, path, body string
	// other lists the statuses allowed besides 503 (for an endpoint that
	// does not need the failed store in this configuration).
	other []int
	// fresh sends it from a new browser (no cookies), as a login is.
	fresh bool
}

// endpoints: a protected GET and POST, the login, the logout, the CSRF
// endpoint. The logout comes last, in case it succeeds.
func endpoints() []request {
	return []request{
		{name: "protected GET", method: "GET", path: "/api/notes/"},
		{name: "protected POST", method: "POST", path: "/api/notes/", body: `{"text":"during the fault"}`},
		{name: "staff GET", method: "GET", path: "/api/staff/"},
		{name: "login", method: "POST", path: "/api/auth/", body: fmt.Sprintf(`{"username":%q,"password":%q}`, username, password), fresh: true},
		{name: "csrf", method: "GET", path: "/api/csrf/", other: []int{200}},
		{name: "logout", method: "POST", path: "/api/auth/logout/"},
	}
}

// checkUnavailable sends every request concurrently (each from its own
// copy of c's cookies) and checks 503 + Retry-After + the error model, within
// the bound; a status listed in other is accepted instead.
func checkUnavailable(t *testing.T, c *client, reqs []request) {
	t.Helper()
	var wg sync.WaitGroup
	answers := make([]answer, len(reqs))
	for i, rq := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := c.clone()
			if rq.fresh {
				d = c.a.client()
			}
			answers[i] = d.do(rq.method, rq.path, rq.body)
		}()
	}
	wg.Wait()
	for i, rq := range reqs {
		r := answers[i]
		t.Logf("%s %s: %d after %v (Retry-After %q)", rq.method, rq.path, r.status, r.elapsed.Round(time.Millisecond), r.header.Get("Retry-After"))
		if r.err != nil {
			t.Errorf("%s: %v after %v", rq.name, r.err, r.elapsed)
			continue
		}
		if r.elapsed > bound {
			t.Errorf("%s: answered after %v, beyond the %v deadline + %v slack", rq.name, r.elapsed, dbTimeout, slack)
		}
		if ct := r.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: %d with Content-Type %q, want the JSON error model: %s", rq.name, r.status, ct, r.body)
			continue
		}
		if r.status != http.StatusServiceUnavailable {
			ok := false
			for _, s := range rq.other {
				ok = ok || s == r.status
			}
			if !ok {
				t.Errorf("%s: %d %s, want 503", rq.name, r.status, r.body)
			}
			continue
		}
		checkErrorModel503(t, rq.name, r)
	}
}

func checkErrorModel503(t *testing.T, name string, r answer) {
	t.Helper()
	if n, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || n < 1 {
		t.Errorf("%s: 503 with Retry-After %q, want a positive number of seconds", name, r.header.Get("Retry-After"))
	}
	var body struct {
		Detail []struct {
			Msg  string `json:"msg"`
			Type string `json:"type"`
		} `json:"detail"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil || len(body.Detail) != 1 || body.Detail[0].Msg == "" || body.Detail[0].Type != "unavailable" {
		t.Errorf("%s: 503 body %s, want the error model with type unavailable", name, r.body)
	}
}

// clone is another client with the same cookies (so that one request's
// cookie changes do not affect the others).
func (c *client) clone() *client {
	d := c.a.client()
	d.token = c.token
	u, _ := url.Parse(c.a.base)
	d.jar.SetCookies(u, c.jar.Cookies(u))
	return d
}

// recovers polls f until it succeeds and fails the test if that takes more
// than recovery after the store came back (since).
func recovers(t *testing.T, what string, since time.Time, f func() error) {
	t.Helper()
	var err error
	for time.Since(since) < recovery {
		if err = f(); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err = f(); err != nil {
		t.Fatalf("%s: not recovered %v after the store came back: %v", what, time.Since(since).Round(time.Millisecond), err)
	}
}

// wantNotes checks that every acknowledged note is listed.
func wantNotes(t *testing.T, c *client, acked []note) {
	t.Helper()
	have := map[int64]string{}
	for _, n := range c.notes(t) {
		have[n.ID] = n.Text
	}
	for _, n := range acked {
		if have[n.ID] != n.Text {
			t.Errorf("acknowledged note %d %q lost (have %q)", n.ID, n.Text, have[n.ID])
		}
	}
}

// okNotes is a recovery probe: the protected GET answers 200.
func okNotes(c *client) func() error {
	return func() error {
		r := c.do("GET", "/api/notes/", "")
		if r.err != nil {
			return r.err
		}
		if r.status != 200 {
			return fmt.Errorf("GET /api/notes/: %d %s", r.status, r.body)
		}
		return nil
	}
}
