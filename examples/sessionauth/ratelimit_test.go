package main

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/manage"
)

const tooMany = `{"detail":[{"msg":"Too many requests","type":"ratelimit"}]}`

func wantThrottled(t *testing.T, e exchange, maxWait int) {
	t.Helper()
	e.want(t, http.StatusTooManyRequests, tooMany)
	if ra, err := strconv.Atoi(e.res.Header.Get("Retry-After")); err != nil || ra < 1 || ra > maxWait {
		t.Fatalf("Retry-After %q, want 1 to %d s", e.res.Header.Get("Retry-After"), maxWait)
	}
}

// TestThrottleRates: DMR_THROTTLE_RATES applies DRF's anon and user rates to
// every /api/ endpoint, in memory and in Redis (shared by two instances).
func TestThrottleRates(t *testing.T) {
	for _, setup := range []storeSetup{storeSetups[0], storeSetups[3]} { // db-sqlite (memory), redis
		t.Run(setup.name, func(t *testing.T) {
			cfg := setup.config(t)
			var err error
			if cfg.ThrottleRates, err = manage.ParseThrottleRates("anon=2/min,user=3/hour"); err != nil {
				t.Fatal(err)
			}
			a := startServer(t, cfg, manage.Options{})
			// Anonymous: 2 per minute from this address, whatever the endpoint.
			e := a.do(t, "GET", "/api/csrf/", "", nil)
			e.want(t, 200, "")
			if got := strings.Join(e.res.Header.Values("RateLimit-Policy"), ", "); got != `"anon";q=2;w=60, "user";q=3;w=3600` {
				t.Errorf("RateLimit-Policy %q", got)
			}
			a.do(t, "GET", "/api/csrf/", "", nil).want(t, 200, "")
			wantThrottled(t, a.do(t, "GET", "/api/csrf/", "", nil), 60)
			wantThrottled(t, a.do(t, "POST", "/api/auth/", `{"username":"alice","password":"right"}`, nil), 60)
			if setup.name == "redis" { // another instance shares the counts
				b := startServer(t, cfg, manage.Options{})
				wantThrottled(t, b.do(t, "GET", "/api/csrf/", "", nil), 60)
			}

			// A signed-in user is counted per user (3 per hour; the anon
			// limit no longer applies).
			cfg.RedisKeyPrefix += "u:"
			c := startServer(t, cfg, manage.Options{})
			c.createUser(t, auth.NewUser{Username: "alice", Password: "right"})
			login := c.do(t, "POST", "/api/auth/", `{"username":"alice","password":"right"}`, nil) // anonymous: 1 of 2
			login.want(t, 200, "")
			sid := login.cookie("sessionid")
			for i := range 3 {
				e := c.do(t, "GET", "/api/apicontroller/", "", nil, sid)
				e.want(t, 200, `"alice"`)
				if want := `"user";r=` + strconv.Itoa(2-i) + `;t=`; !strings.HasPrefix(e.res.Header.Get("RateLimit"), want) {
					t.Errorf("request %d: RateLimit %q, want %s…", i, e.res.Header.Values("RateLimit"), want)
				}
			}
			wantThrottled(t, c.do(t, "GET", "/api/apicontroller/", "", nil, sid), 3600)
			// The document declares the 429 with its headers on every endpoint.
			raw := []byte(c.do(t, "GET", "/api/openapi.json", "", nil).body)
			validateDocument(t, raw)
			doc := decode(t, raw)
			for _, op := range [][]string{{"/api/auth/", "post"}, {"/api/apicontroller/", "get"}, {"/api/notes/", "post"}} {
				r := dig(doc, "paths", op[0], op[1], "responses", "429", "headers")
				for _, h := range []string{"Retry-After", "RateLimit", "RateLimit-Policy"} {
					if dig(r, h) == nil {
						t.Errorf("%s %s: 429 lacks %s", op[1], op[0], h)
					}
				}
			}
		})
	}
}
