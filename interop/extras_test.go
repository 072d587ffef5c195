package interop_test

import (
	"strings"
	"testing"

	"github.com/dmr-go/dmr/internal/djangotest"
)

// extrasApps installs DRF with its token app, SimpleJWT with its blacklist,
// and django-allauth's account app.
var extrasApps = []string{
	"rest_framework", "rest_framework.authtoken", "rest_framework_simplejwt",
	"rest_framework_simplejwt.token_blacklist", "allauth", "allauth.account",
}

// The extras each Django version is paired with (install.sh's pins) are the
// ones the interop project runs with: DRF's token authentication and
// SimpleJWT's views answer through the project's URLs.
func TestExtrasInstalled(t *testing.T) {
	pins := map[string]djangotest.Extras{
		"3.2": {DRF: "3.14", SimpleJWT: "5.2", PyJWT: "2.6", Allauth: "0.51"},
		"4.2": {DRF: "3.16", SimpleJWT: "5.5", PyJWT: "2.10", Allauth: "65"},
		"5.2": {DRF: "3.18", SimpleJWT: "5.5", PyJWT: "2.15", Allauth: "65"},
	}
	forVersions(t, func(t *testing.T, v string) {
		dj := djangotest.New(t, v, djangotest.Config{
			Apps: extrasApps,
			Settings: map[string]any{"REST_FRAMEWORK": map[string]any{"DEFAULT_AUTHENTICATION_CLASSES": []string{
				"rest_framework.authentication.TokenAuthentication",
				"rest_framework_simplejwt.authentication.JWTAuthentication",
			}}},
		})
		got, want := dj.Info().Extras, pins[v]
		for _, c := range [][3]string{
			{"DRF", got.DRF, want.DRF}, {"SimpleJWT", got.SimpleJWT, want.SimpleJWT},
			{"PyJWT", got.PyJWT, want.PyJWT}, {"allauth", got.Allauth, want.Allauth},
		} {
			if !strings.HasPrefix(c[1], c[2]+".") {
				t.Fatalf("Django %s runs with %s %q, want %s.x: the Debian suite moved on; update the pins in interop/django/install.sh and here", v, c[0], c[1], c[2])
			}
		}
		dj.Migrate(false)
		dj.CreateUser("alice", "pw")

		var pair struct {
			Status int `json:"status"`
			Body   struct {
				Access  string `json:"access"`
				Refresh string `json:"refresh"`
			} `json:"body"`
		}
		dj.Run("request", map[string]any{"method": "POST", "path": "/api/token/", "json": map[string]string{"username": "alice", "password": "pw"}}, &pair)
		if pair.Status != 200 || pair.Body.Access == "" || pair.Body.Refresh == "" {
			t.Fatalf("SimpleJWT obtain: %+v", pair)
		}
		var who struct {
			Status int `json:"status"`
			Body   struct {
				Username      string `json:"username"`
				Authenticator string `json:"authenticator"`
			} `json:"body"`
		}
		dj.Run("request", map[string]any{"path": "/drf/whoami/", "headers": map[string]string{"Authorization": "Bearer " + pair.Body.Access}}, &who)
		if who.Status != 200 || who.Body.Username != "alice" || who.Body.Authenticator != "JWTAuthentication" {
			t.Fatalf("DRF with a SimpleJWT access token: %+v", who)
		}
		dj.Run("request", map[string]any{"path": "/drf/whoami/"}, &who)
		if who.Status != 401 {
			t.Fatalf("DRF without credentials: %+v, want 401", who)
		}
	})
}
