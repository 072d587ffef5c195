package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/manage"
)

// TestClientAuths: the example's contract for non-browser clients. A DRF
// token, a SimpleJWT access token from POST /api/token/ and an API key each
// authenticate GET /api/apicontroller/ and GET/POST /api/notes/ without
// CSRF; refresh rotates and blacklists; verify answers 200 {} or 401; a 401
// lists the Token and Bearer challenges.
func TestClientAuths(t *testing.T) {
	ctx := context.Background()
	cfg := sqliteConfig(t)
	cfg.JWT.RotateRefresh, cfg.JWT.BlacklistAfterRotation = true, true
	s := startServer(t, cfg, manage.Options{})
	alice := s.createUser(t, auth.NewUser{Username: "alice", Password: "right"})

	tok, _, err := s.env.DRFTokens.Create(ctx, alice.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := s.env.APIKeys()
	if err != nil {
		t.Fatal(err)
	}
	key, _, err := keys.Create(ctx, alice.ID, "script", nil)
	if err != nil {
		t.Fatal(err)
	}
	pair := s.do(t, "POST", "/api/token/", `{"username":"alice","password":"right"}`, nil)
	pair.want(t, 200, "")
	var p struct{ Access, Refresh string }
	if err := json.Unmarshal([]byte(pair.body), &p); err != nil || p.Access == "" || p.Refresh == "" {
		t.Fatalf("POST /api/token/: %s (%v)", pair.body, err)
	}

	for name, h := range map[string]http.Header{
		"drf token": {"Authorization": {"Token " + tok.Key}},
		"jwt":       {"Authorization": {"Bearer " + p.Access}},
		"api key":   {"X-API-Key": {key}},
	} {
		s.do(t, "GET", "/api/apicontroller/", "", h).want(t, 200, `"alice"`)
		note := s.do(t, "POST", "/api/notes/", `{"text":"from `+name+`"}`, h) // no CSRF token
		note.want(t, 201, "")
		if list := s.do(t, "GET", "/api/notes/", "", h); !strings.Contains(list.body, "from "+name) {
			t.Errorf("%s: notes %s", name, list.body)
		}
	}

	// Wrong credentials: 401 in the error model; no credentials: the
	// challenges of the schemes that have one.
	s.do(t, "GET", "/api/apicontroller/", "", http.Header{"Authorization": {"Token " + strings.Repeat("0", 40)}}).
		want(t, 401, `{"detail":[{"msg":"Invalid token.","type":"security"}]}`)
	s.do(t, "GET", "/api/notes/", "", http.Header{"Authorization": {"Bearer " + p.Refresh}}).want(t, 401, "")
	none := s.do(t, "GET", "/api/notes/", "", nil)
	none.want(t, 401, `{"detail":[{"msg":"Not authenticated","type":"security"}]}`)
	if got := strings.Join(none.res.Header.Values("WWW-Authenticate"), " | "); got != `Token | Bearer realm="api"` {
		t.Errorf("WWW-Authenticate %q", got)
	}

	// Verify, refresh with rotation, and the rotated token blacklisted.
	s.do(t, "POST", "/api/token/verify/", `{"token":"`+p.Access+`"}`, nil).want(t, 200, `{}`)
	s.do(t, "POST", "/api/token/verify/", `{"token":"x.y.z"}`, nil).want(t, 401, "")
	r := s.do(t, "POST", "/api/token/refresh/", `{"refresh":"`+p.Refresh+`"}`, nil)
	r.want(t, 200, "")
	var p2 struct{ Access, Refresh string }
	if err := json.Unmarshal([]byte(r.body), &p2); err != nil || p2.Access == "" || p2.Refresh == "" || p2.Refresh == p.Refresh {
		t.Fatalf("refresh with rotation: %s (%v)", r.body, err)
	}
	s.do(t, "POST", "/api/token/refresh/", `{"refresh":"`+p.Refresh+`"}`, nil).want(t, 401, "")
	s.do(t, "GET", "/api/apicontroller/", "", http.Header{"Authorization": {"Bearer " + p2.Access}}).want(t, 200, `"alice"`)

	// A wrong password at the obtain endpoint is a 401, as a failed login.
	s.do(t, "POST", "/api/token/", `{"username":"alice","password":"wrong"}`, nil).want(t, 401, "")
}
