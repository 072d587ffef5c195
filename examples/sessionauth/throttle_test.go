package main

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/manage"
)

// TestLoginThrottle: with every session store, the third failure locks the
// (IP, username) pair with 429 and Retry-After in the error model, the right
// password is refused too, and a second instance sharing the store sees the
// same counters.
func TestLoginThrottle(t *testing.T) {
	for _, setup := range storeSetups {
		t.Run(setup.name, func(t *testing.T) {
			cfg := setup.config(t)
			cfg.LoginFailureLimit = 3
			a := startServer(t, cfg, manage.Options{})
			b := startServer(t, cfg, manage.Options{}) // another instance on the same stores
			a.createUser(t, auth.NewUser{Username: "alice", Password: "right"})
			login := func(s *server, pw string) exchange {
				return s.do(t, "POST", "/api/auth/", `{"username":"alice","password":"`+pw+`"}`, nil)
			}
			login(a, "wrong").want(t, 401, "")
			login(b, "wrong").want(t, 401, "")
			const locked = `{"detail":[{"msg":"Account locked: too many login attempts. Please try again later.","type":"ratelimit"}]}`
			for i, s := range []*server{a, a, b} {
				pw := "right"
				if i == 0 {
					pw = "wrong" // the failure that reaches the limit
				}
				e := login(s, pw)
				e.want(t, http.StatusTooManyRequests, locked)
				if ra, err := strconv.Atoi(e.res.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 900 {
					t.Fatalf("Retry-After %d (%v), want 1 to 900 s", ra, err)
				}
				if e.cookie("sessionid") != nil {
					t.Fatal("a refused login set a session cookie")
				}
			}
			// Another username from the same IP is not locked.
			b.do(t, "POST", "/api/auth/", `{"username":"bob","password":"x"}`, nil).want(t, 401, "")
		})
	}
}

// TestLoginThrottleOff: both limits at 0 (off) register no throttle and do
// not declare the 429.
func TestLoginThrottleOff(t *testing.T) {
	cfg := sqliteConfig(t)
	cfg.LoginFailureLimit, cfg.LoginIPFailureLimit = -1, -1
	s := startServer(t, cfg, manage.Options{})
	s.createUser(t, auth.NewUser{Username: "alice", Password: "right"})
	for range 8 {
		s.do(t, "POST", "/api/auth/", `{"username":"alice","password":"wrong"}`, nil).want(t, 401, "")
	}
	s.do(t, "POST", "/api/auth/", `{"username":"alice","password":"right"}`, nil).want(t, 200, "")
	doc := decode(t, []byte(s.do(t, "GET", "/api/openapi.json", "", nil).body))
	if r := dig(doc, "paths", "/api/auth/", "post", "responses", "429"); r != nil {
		t.Fatalf("429 declared without a throttle: %v", r)
	}
}
