package jwtauth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/hashers"
	"github.com/dmr-go/dmr/auth/loginthrottle"
	"github.com/dmr-go/dmr/security/jwtauth"
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

func obtain(h http.Handler, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", "/api/token/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.RemoteAddr = "192.0.2.1:1234"
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// The obtain endpoint takes the session login's path: a saturated hashing
// pool answers 503 with Retry-After.
func TestObtainBusyHasher(t *testing.T) {
	g := &gateHasher{PBKDF2: hashers.PBKDF2{Iterations: 10}, entered: make(chan struct{}, 1), gate: make(chan struct{})}
	users := &auth.MemoryUsers{}
	plain, _ := auth.New(auth.Options{SecretKey: secret, Users: users, Hashers: &hashers.Hashers{List: []hashers.Hasher{&hashers.PBKDF2{Iterations: 10}}}})
	if _, err := plain.CreateUser(t.Context(), auth.NewUser{Username: "alice", Password: "pw"}); err != nil {
		t.Fatal(err)
	}
	a, err := auth.New(auth.Options{SecretKey: secret, Users: users, Hashers: &hashers.Hashers{List: []hashers.Hasher{g}, MaxConcurrent: 1, MaxWait: -1}})
	if err != nil {
		t.Fatal(err)
	}
	j, _ := jwtauth.New(jwtauth.Options{Auth: a, SigningKey: secret})
	api := dmr.New(dmr.Config{Prefix: "/api"})
	var mu sync.Mutex
	var outcomes []string
	j.Register(api, jwtauth.EndpointOptions{Obtain: jwtauth.ObtainOptions[jwtauth.TokenObtainPayload]{
		Observe: func(_ context.Context, o string) { mu.Lock(); outcomes = append(outcomes, o); mu.Unlock() }}})
	done := make(chan *httptest.ResponseRecorder)
	go func() { done <- obtain(api, `{"username":"alice","password":"pw"}`) }()
	<-g.entered
	w := obtain(api, `{"username":"alice","password":"pw"}`)
	if w.Code != 503 || w.Header().Get("Retry-After") == "" {
		t.Fatalf("obtain while hashing is saturated: %d %v %s", w.Code, w.Header(), w.Body)
	}
	close(g.gate)
	if w := <-done; w.Code != 200 {
		t.Fatalf("the first obtain: %d %s", w.Code, w.Body)
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(outcomes, ",") != "hashing_busy,success" {
		t.Fatalf("outcomes %v", outcomes)
	}
}

// The failed-login throttle: after the limit, even the right password
// answers 429 with Retry-After.
func TestObtainThrottle(t *testing.T) {
	f := newFixture(t)
	j := f.jwt(t, jwtauth.Options{})
	th, err := loginthrottle.New(loginthrottle.Options{FailureLimit: 2})
	if err != nil {
		t.Fatal(err)
	}
	api := dmr.New(dmr.Config{Prefix: "/api"})
	j.Register(api, jwtauth.EndpointOptions{Obtain: jwtauth.ObtainOptions[jwtauth.TokenObtainPayload]{Throttle: th}})
	for i, want := range []int{401, 429, 429} {
		if w := obtain(api, `{"username":"alice","password":"wrong"}`); w.Code != want {
			t.Fatalf("attempt %d: %d %s", i, w.Code, w.Body)
		}
	}
	if w := obtain(api, `{"username":"alice","password":"pw"}`); w.Code != 429 || w.Header().Get("Retry-After") == "" {
		t.Fatalf("right password while locked: %d", w.Code)
	}
	// Inactive users get SimpleJWT's message, like a wrong password.
	if w := obtain(api, `{"username":"bob","password":"pw"}`); w.Code != 401 || !strings.Contains(w.Body.String(), jwtauth.MsgNoActiveAccount) {
		t.Fatalf("inactive user: %d %s", w.Code, w.Body)
	}
}

// EmailObtainPayload: SimpleJWT names the field after USERNAME_FIELD.
func TestObtainEmailPayload(t *testing.T) {
	f := newFixture(t)
	j := f.jwt(t, jwtauth.Options{})
	api := dmr.New(dmr.Config{Prefix: "/api"})
	j.Register(api, jwtauth.EndpointOptions{Obtain: jwtauth.ObtainOptions[jwtauth.EmailObtainPayload]{}})
	if w := obtain(api, `{"email":"alice","password":"pw"}`); w.Code != 200 {
		t.Fatalf("obtain by email field: %d %s", w.Code, w.Body)
	}
}
