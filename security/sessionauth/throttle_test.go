package sessionauth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/hashers"
	"github.com/dmr-go/dmr/auth/loginthrottle"
	"github.com/dmr-go/dmr/csrf"
	"github.com/dmr-go/dmr/security/sessionauth"
	"github.com/dmr-go/dmr/sessions"
)

// countingHasher counts every hash computed (checks and new hashes).
type countingHasher struct {
	hashers.PBKDF2
	n atomic.Int64
}

func (c *countingHasher) Verify(pw, enc string) (bool, error) {
	c.n.Add(1)
	return c.PBKDF2.Verify(pw, enc)
}

func (c *countingHasher) Encode(pw, salt string) (string, error) {
	c.n.Add(1)
	return c.PBKDF2.Encode(pw, salt)
}

type outcomes struct {
	mu  sync.Mutex
	got []string
}

func (o *outcomes) observe(_ context.Context, s string) {
	o.mu.Lock()
	o.got = append(o.got, s)
	o.mu.Unlock()
}

func (o *outcomes) take() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	got := o.got
	o.got = nil
	return got
}

type throttleApp struct {
	h       http.Handler
	hasher  *countingHasher
	seen    *outcomes
	api     *dmr.API
	now     *time.Time
	nowLock *sync.Mutex
}

func newThrottleApp(t *testing.T) *throttleApp {
	t.Helper()
	hasher := &countingHasher{PBKDF2: hashers.PBKDF2{Iterations: 10}}
	users := &auth.MemoryUsers{}
	a, err := auth.New(auth.Options{SecretKey: []byte("k"), Users: users,
		Hashers: &hashers.Hashers{List: []hashers.Hasher{hasher}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateUser(t.Context(), auth.NewUser{Username: "alice", Password: "right"}); err != nil {
		t.Fatal(err)
	}
	ta := &throttleApp{hasher: hasher, seen: &outcomes{}, nowLock: &sync.Mutex{}}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ta.now = &now
	clock := func() time.Time { ta.nowLock.Lock(); defer ta.nowLock.Unlock(); return *ta.now }
	th, err := loginthrottle.New(loginthrottle.Options{
		Store:        loginthrottle.NewMemoryStore(loginthrottle.MemoryOptions{Now: clock}),
		FailureLimit: 3, IPFailureLimit: 10, CoolOff: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	sm, _ := sessions.NewMiddleware(sessions.Options{Store: &sessions.MemoryStore{}})
	p, _ := csrf.New(csrf.Options{})
	ta.api = dmr.New(dmr.Config{Prefix: "/api"})
	sa, err := sessionauth.New(sessionauth.Options{Auth: a, CSRF: p})
	if err != nil {
		t.Fatal(err)
	}
	sa.RegisterLogin(ta.api, sessionauth.DefaultLoginOptions{Throttle: th, Observe: ta.seen.observe})
	ta.h = sm.Handler(p.Middleware(a.Middleware(ta.api)))
	hasher.n.Store(0)
	return ta
}

func (ta *throttleApp) advance(d time.Duration) {
	ta.nowLock.Lock()
	*ta.now = ta.now.Add(d)
	ta.nowLock.Unlock()
}

func (ta *throttleApp) login(remote, user, pw string) *responseRecorder {
	w := newRecorder()
	body, _ := json.Marshal(map[string]string{"username": user, "password": pw})
	r := newJSONRequest(string(body))
	r.RemoteAddr = remote
	ta.h.ServeHTTP(w, r)
	return w
}

// After the limit, logins answer 429 with Retry-After in the error model —
// with the right password too — and spend no hash; the cool-off ends it.
func TestLoginThrottle(t *testing.T) {
	ta := newThrottleApp(t)
	const me, other = "192.0.2.1:1000", "192.0.2.2:1000"
	steps := []struct {
		remote, user, pw string
		advance          time.Duration
		status           int
		hashes           int64 // hashes this attempt may cost
		outcome          string
		retryAfter       string
	}{
		{remote: me, user: "alice", pw: "wrong", status: 401, hashes: 1, outcome: "failure"},
		{remote: me, user: "alice", pw: "wrong", status: 401, hashes: 1, outcome: "failure"},
		{remote: me, user: "alice", pw: "wrong", status: 429, hashes: 1, outcome: "failure", retryAfter: "60"},
		{remote: me, user: "alice", pw: "right", status: 429, hashes: 0, outcome: "throttled", retryAfter: "60"},
		{remote: me, user: "ALICE", pw: "right", status: 429, hashes: 0, outcome: "throttled", retryAfter: "60"},
		{advance: 30 * time.Second, remote: me, user: "alice", pw: "right", status: 429, hashes: 0, outcome: "throttled", retryAfter: "30"},
		{remote: other, user: "alice", pw: "right", status: 200, hashes: 1, outcome: "success"},
		{remote: me, user: "bob", pw: "x", status: 401, hashes: 1, outcome: "failure"}, // unknown user: the dummy hash
		{advance: 30 * time.Second, remote: me, user: "alice", pw: "right", status: 200, hashes: 1, outcome: "success"},
		// Success reset the pair: three more tries before the lock.
		{remote: me, user: "alice", pw: "wrong", status: 401, hashes: 1, outcome: "failure"},
		{remote: me, user: "alice", pw: "wrong", status: 401, hashes: 1, outcome: "failure"},
		{remote: me, user: "alice", pw: "right", status: 200, hashes: 1, outcome: "success"},
	}
	for i, st := range steps {
		ta.advance(st.advance)
		before := ta.hasher.n.Load()
		w := ta.login(st.remote, st.user, st.pw)
		if w.Code != st.status {
			t.Fatalf("step %d: %d %s, want %d", i, w.Code, w.Body, st.status)
		}
		if got := ta.hasher.n.Load() - before; got != st.hashes {
			t.Fatalf("step %d: %d hashes, want %d", i, got, st.hashes)
		}
		if got := ta.seen.take(); len(got) != 1 || got[0] != st.outcome {
			t.Fatalf("step %d: outcomes %q, want [%s]", i, got, st.outcome)
		}
		if st.status == 429 {
			if got := w.Header().Get("Retry-After"); got != st.retryAfter {
				t.Fatalf("step %d: Retry-After %q, want %s", i, got, st.retryAfter)
			}
			want := `{"detail":[{"msg":"` + loginthrottle.LockoutMessage + `","type":"ratelimit"}]}`
			if w.Body.String() != want {
				t.Fatalf("step %d: body %s, want %s", i, w.Body, want)
			}
			if sc := w.Header().Values("Set-Cookie"); len(sc) != 0 {
				t.Fatalf("step %d: a refused login set cookies: %q", i, sc)
			}
		}
	}
}

// The per-IP limit refuses every username from that IP, without hashing.
func TestLoginThrottlePerIP(t *testing.T) {
	ta := newThrottleApp(t)
	for i := range 9 {
		if w := ta.login("198.51.100.7:1", "user"+strconv.Itoa(i), "x"); w.Code != 401 {
			t.Fatalf("attempt %d: %d", i, w.Code)
		}
	}
	if w := ta.login("198.51.100.7:1", "user9", "x"); w.Code != 429 {
		t.Fatalf("10th failure: %d, want 429", w.Code)
	}
	before := ta.hasher.n.Load()
	if w := ta.login("198.51.100.7:2", "alice", "right"); w.Code != 429 || w.Header().Get("Retry-After") != "60" {
		t.Fatalf("after the IP limit: %d %q", w.Code, w.Header())
	}
	if ta.hasher.n.Load() != before {
		t.Fatal("a throttled login computed a hash")
	}
	if w := ta.login("198.51.100.8:1", "alice", "right"); w.Code != 200 {
		t.Fatalf("another IP: %d", w.Code)
	}
}

// The 429 is declared with its Retry-After header, so response validation
// lets it through and the document is truthful.
func TestLoginThrottleDocumented(t *testing.T) {
	ta := newThrottleApp(t)
	w := newRecorder()
	ta.api.OpenAPIHandler().ServeHTTP(w, newJSONRequest(""))
	b := w.Body.Bytes()
	validateDocument(t, b)
	var doc struct {
		Paths map[string]map[string]struct {
			Responses map[string]struct {
				Description string
				Headers     map[string]any
			}
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	r, ok := doc.Paths["/api/auth/"]["post"].Responses["429"]
	if !ok || r.Description != sessionauth.ThrottledDescription || r.Headers["Retry-After"] == nil {
		t.Fatalf("429 response: %+v (declared %v)", r, ok)
	}
}
