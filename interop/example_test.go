package interop_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/dmr-go/dmr/internal/djangotest"
	"github.com/dmr-go/dmr/internal/testenv"
)

// The example application (examples/sessionauth) shares its database and
// SECRET_KEY with Django: a session made by Django's login() calls
// GET /api/apicontroller/, and a login through POST /api/auth/ is a
// logged-in user in Django.
func TestExampleApp(t *testing.T) {
	bin := testenv.BuildBinary(t, "github.com/dmr-go/dmr/examples/sessionauth")
	forMatrix(t, func(t *testing.T, v string, db database) {
		st := newSessionStack(t, v, db, djangotest.Config{}) // Django migrates first
		base := startExample(t, bin, db.URL, st.dj.Config().SecretKey)

		st.dj.CreateUser("alice", "alice password")
		djSession := st.dj.Login("alice", "alice password").SessionID
		code, body := exampleGet(t, base+"/api/apicontroller/", djSession)
		if code != 200 || body != `"alice"` {
			t.Errorf("GET /api/apicontroller/ with Django's login session: %d %s", code, body)
		}
		if code, _ := exampleGet(t, base+"/api/apicontroller/", ""); code != 401 {
			t.Errorf("GET /api/apicontroller/ without a session: %d", code)
		}

		resp, err := http.Post(base+"/api/auth/", "application/json", strings.NewReader(`{"username":"alice","password":"alice password"}`))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var login struct {
			UserID string `json:"user_id"`
		}
		json.Unmarshal(b, &login)
		var goSession string
		for _, c := range resp.Cookies() {
			if c.Name == "sessionid" {
				goSession = c.Value
			}
		}
		if resp.StatusCode != 200 || goSession == "" {
			t.Fatalf("POST /api/auth/: %d %s", resp.StatusCode, b)
		}
		w := st.dj.GetUser(goSession)
		if !w.Authenticated || w.Username != "alice" || login.UserID != w.UserID {
			t.Errorf("Django's get_user on the example's login session: %+v (login said %s)", w, b)
		}
	})
}

func startExample(t *testing.T, bin, dbURL, secret string, env ...string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "serve", "--addr", addr)
	cmd.Dir = t.TempDir()
	cmd.Env = append(append(os.Environ(), "DMR_DATABASE_URL="+dbURL, "DMR_SECRET_KEY="+secret, "DMR_SESSION_STORE=db"), env...)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	base := "http://" + addr
	for i := 0; ; i++ {
		resp, err := http.Get(base + "/api/csrf/")
		if err == nil {
			resp.Body.Close()
			return base
		}
		if cmd.ProcessState != nil || (i > 20 && strings.Contains(logs.String(), "Error")) {
			t.Fatalf("the example stopped: %s", logs.String())
		}
		if i == 600 {
			t.Fatalf("the example did not start on %s: %v\n%s", addr, err, logs.String())
		}
		time.Sleep(100 * time.Millisecond) // polling for the server to listen, not a timed assertion
	}
}

func exampleGet(t *testing.T, url, session string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if session != "" {
		req.AddCookie(&http.Cookie{Name: "sessionid", Value: session})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}
