package sessionauth_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/hashers"
	"github.com/dmr-go/dmr/csrf"
	"github.com/dmr-go/dmr/security/sessionauth"
	"github.com/dmr-go/dmr/sessions"
)

// gateHasher is a pbkdf2_sha256 hasher whose Verify waits for a gate, so a
// test can hold the only hashing slot.
type gateHasher struct {
	hashers.PBKDF2
	entered chan struct{}
	gate    chan struct{}
}

func (g *gateHasher) Verify(pw, enc string) (bool, error) {
	g.entered <- struct{}{}
	<-g.gate
	return g.PBKDF2.Verify(pw, enc)
}

// A flood of logins beyond the hashing pool answers 503 with Retry-After, in
// the error model, and the document declares it.
func TestLoginBusyHasher(t *testing.T) {
	g := &gateHasher{PBKDF2: hashers.PBKDF2{Iterations: 10}, entered: make(chan struct{}, 1), gate: make(chan struct{})}
	hs := &hashers.Hashers{List: []hashers.Hasher{g}, MaxConcurrent: 1, MaxWait: -1}
	users := &auth.MemoryUsers{}
	a, err := auth.New(auth.Options{SecretKey: []byte("k"), Users: users, Hashers: hs})
	if err != nil {
		t.Fatal(err)
	}
	// Create the user with a plain hasher so creation does not pass the gate.
	plain, _ := auth.New(auth.Options{SecretKey: []byte("k"), Users: users,
		Hashers: &hashers.Hashers{List: []hashers.Hasher{&hashers.PBKDF2{Iterations: 10}}}})
	if _, err := plain.CreateUser(t.Context(), auth.NewUser{Username: "alice", Password: "pw"}); err != nil {
		t.Fatal(err)
	}
	sm, _ := sessions.NewMiddleware(sessions.Options{Store: &sessions.MemoryStore{}})
	p, _ := csrf.New(csrf.Options{})
	api := dmr.New(dmr.Config{Prefix: "/api"})
	sa, err := sessionauth.New(sessionauth.Options{Auth: a, CSRF: p})
	if err != nil {
		t.Fatal(err)
	}
	sa.RegisterLogin(api, sessionauth.DefaultLoginOptions{})
	h := sm.Handler(p.Middleware(a.Middleware(api)))
	login := func() *responseRecorder {
		w := newRecorder()
		h.ServeHTTP(w, newJSONRequest(`{"username":"alice","password":"pw"}`))
		return w
	}
	var wg sync.WaitGroup
	var first *responseRecorder
	wg.Add(1)
	go func() { defer wg.Done(); first = login() }()
	<-g.entered // the first login holds the only slot
	second := login()
	close(g.gate)
	wg.Wait()
	if first.Code != 200 {
		t.Fatalf("first login: %d %s", first.Code, first.Body.String())
	}
	if second.Code != http.StatusServiceUnavailable || second.Header().Get("Retry-After") == "" ||
		!strings.HasPrefix(second.Body.String(), `{"detail":[{"msg":`) {
		t.Fatalf("second login: %d %q %s", second.Code, second.Header(), second.Body.String())
	}
	if sc := second.Header().Values("Set-Cookie"); len(sc) != 0 {
		t.Fatalf("busy login set cookies: %q", sc)
	}
}
