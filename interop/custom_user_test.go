package interop_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dmr-go/dmr/internal/djangotest"
	"github.com/dmr-go/dmr/internal/testenv"
)

// A Django project with a custom user model (AbstractBaseUser +
// PermissionsMixin, email login, UUID key, a display_name column) and its
// own email backend first in AUTHENTICATION_BACKENDS shares logins with the
// example configured for the same model, both ways; a permission granted
// through a group in Django opens GET /api/users/, and revoking it,
// deactivating the user or changing the password in Django ends access here
// within the example's cache bound (1 s).
func TestCustomUserModel(t *testing.T) {
	bin := testenv.BuildBinary(t, "github.com/dmr-go/dmr/examples/sessionauth")
	const (
		emailBackend = "accounts.backends.EmailBackend"
		modelBackend = "django.contrib.auth.backends.ModelBackend"
		bound        = time.Second // the example's DMR_AUTH_CACHE_TTL default
	)
	for _, v := range []string{"4.2", "5.2"} {
		for _, kind := range databaseKinds() {
			t.Run(v+"/"+kind, func(t *testing.T) {
				t.Parallel()
				db := newDatabase(t, kind)
				dj := djangotest.New(t, v, djangotest.Config{
					DB: db.URL, AuthUserModel: "accounts.CustomUser",
					AuthenticationBackends: []string{emailBackend, modelBackend},
				})
				tables := dj.Migrate(false)
				if !contains(tables, "accounts_customuser") || contains(tables, "auth_user") {
					t.Fatalf("Django's migrate made %v", tables)
				}
				base := startExample(t, bin, db.URL, dj.Config().SecretKey,
					"DMR_AUTH_USER_MODEL=accounts.CustomUser", "DMR_AUTH_USERNAME_FIELD=email",
					"DMR_AUTHENTICATION_BACKENDS="+emailBackend+","+modelBackend)

				ann := dj.CreateUserWith("ann@example.com", "ann password", map[string]any{"extra": map[string]any{"display_name": "Ann"}})
				if len(ann.ID) != 36 {
					t.Fatalf("Django's key %q is not a hyphenated UUID", ann.ID)
				}
				// Django's login (through the email backend, any case) → Go.
				djLogin := dj.Login("ANN@example.com", "ann password")
				if !djLogin.OK {
					t.Fatalf("Django login: %+v", djLogin)
				}
				if !strings.Contains(string(djLogin.Session), emailBackend) {
					t.Errorf("Django's session does not name the email backend: %s", djLogin.Session)
				}
				if code, body := exampleGet(t, base+"/api/apicontroller/", djLogin.SessionID); code != 200 || body != `"ann@example.com"` {
					t.Errorf("GET /api/apicontroller/ with Django's session: %d %s", code, body)
				}

				// Go's login → Django, with the backend that authenticated.
				goSession, userID := exampleLogin(t, base, "Ann@Example.com", "ann password")
				if userID != ann.ID {
					t.Errorf("Go login answered user_id %q, Django's pk is %q", userID, ann.ID)
				}
				if w := dj.GetUser(goSession); !w.Authenticated || w.UserID != ann.ID || w.Username != "ann@example.com" {
					t.Errorf("Django's get_user on Go's session: %+v", w)
				}
				if s := dj.SessionRead(goSession); !strings.Contains(string(s.Data), emailBackend) {
					t.Errorf("Go's session row does not name the email backend: %s", s.Data)
				}
				if _, id := exampleLogin(t, base, "ann@example.com", "wrong"); id != "" {
					t.Error("a wrong password logged in")
				}

				// Permissions: none → 403; through a group in Django → 200; revoked → 403.
				if code, body := exampleGet(t, base+"/api/users/", goSession); code != 403 {
					t.Errorf("GET /api/users/ without the permission: %d %s", code, body)
				}
				if !dj.GrantPerm("ann@example.com", "accounts.view_customuser", "viewers") {
					t.Fatal("Django: the group permission did not take")
				}
				waitStatus(t, base+"/api/users/", goSession, 200, bound, "the permission granted through a group in Django")
				code, body := exampleGet(t, base+"/api/users/", goSession)
				var list []struct{ ID, Username string }
				if code != 200 || json.Unmarshal([]byte(body), &list) != nil || len(list) != 1 || list[0].ID != ann.ID || list[0].Username != "ann@example.com" {
					t.Errorf("GET /api/users/: %d %s", code, body)
				}
				if dj.RevokePerm("ann@example.com", "accounts.view_customuser", "viewers") {
					t.Fatal("Django: the revoke did not take")
				}
				waitStatus(t, base+"/api/users/", goSession, 403, bound, "the permission revoked in Django")

				// Deactivation and a password change in Django end Go's sessions.
				bob := dj.CreateUserWith("bob@example.com", "bob password", nil)
				bobSession, _ := exampleLogin(t, base, "bob@example.com", "bob password")
				waitStatus(t, base+"/api/apicontroller/", bobSession, 200, 0, "Bob's Go session")
				dj.Run("set-active", map[string]any{"username": "bob@example.com", "is_active": false}, nil)
				waitStatus(t, base+"/api/apicontroller/", bobSession, 401, bound, "Bob deactivated in Django")
				_ = bob
				dj.SetPassword("ann@example.com", "new password")
				waitStatus(t, base+"/api/apicontroller/", goSession, 401, bound, "Ann's password changed in Django")
				waitStatus(t, base+"/api/apicontroller/", djLogin.SessionID, 401, bound, "Ann's password changed in Django (her Django session)")
			})
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// exampleLogin posts the login and returns the session cookie and user_id
// ("" and "" when refused).
func exampleLogin(t *testing.T, base, username, password string) (session, userID string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	resp, err := http.Post(base+"/api/auth/", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return "", ""
	}
	var r struct {
		UserID string `json:"user_id"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("login answer %s", b)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "sessionid" {
			session = c.Value
		}
	}
	return session, r.UserID
}

// waitStatus polls url until it answers want, failing when that takes longer
// than bound (plus a second for the round trips of a loaded machine), and
// logs how long it took: the staleness bound, checked end to end.
func waitStatus(t *testing.T, url, session string, want int, bound time.Duration, what string) {
	t.Helper()
	start := time.Now()
	deadline := start.Add(bound + time.Second)
	for {
		code, body := exampleGet(t, url, session)
		if code == want {
			t.Logf("%s: %d after %v", what, want, time.Since(start).Round(time.Millisecond))
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %d %s after %v (want %d within %v)", what, code, body, time.Since(start), want, bound)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// databaseKinds are the databases the custom-model test runs on.
func databaseKinds() []string { return []string{"sqlite", "postgres", "mariadb"} }
