package interop_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dmr-go/dmr/internal/djangotest"
	"github.com/dmr-go/dmr/internal/testenv"
)

const (
	allauthBackend = "allauth.account.auth_backends.AuthenticationBackend"
	modelBackend   = "django.contrib.auth.backends.ModelBackend"
	// allauthCacheTTL is the example's DMR_AUTH_CACHE_TTL here: the bound
	// on how late Go sees allauth's logout.
	allauthCacheTTL = 250 * time.Millisecond
)

// allauthConfig is the Django project as django-allauth's documentation
// sets it up for the allauth that Django version is paired with (0.51 for
// 3.2, 65.0.x for 4.2, 65.19.x for 5.2; TestExtrasInstalled checks the
// pins): AUTHENTICATION_BACKENDS = [ModelBackend, allauth's
// AuthenticationBackend], Django's template engine with the request context
// processor (allauth's views render templates), login by email only, no
// email verification.
//
//   - 0.51 (3.2): ACCOUNT_AUTHENTICATION_METHOD = "email",
//     ACCOUNT_EMAIL_REQUIRED = True, ACCOUNT_USERNAME_REQUIRED = False. Its
//     bundled account/login.html loads the socialaccount template tags
//     whether or not social login is used, so the page only renders with
//     allauth.socialaccount installed; that app needs django.contrib.sites
//     and SITE_ID. Both are in 0.51's installation instructions, so the
//     project installs them (a 500 TemplateSyntaxError otherwise).
//   - 65.0.x (4.2): the same three settings (ACCOUNT_LOGIN_METHODS does not
//     exist yet in 65.0.2; 65 needs no socialaccount app).
//   - 65.19.x (5.2): ACCOUNT_LOGIN_METHODS = {"email"} and ACCOUNT_SIGNUP_FIELDS
//     = ["email*", "password1*", "password2*"] (the replacements of the
//     deprecated settings above). The set travels as a JSON list: allauth
//     reads the setting through frozenset(...), so a list is accepted as is.
func allauthConfig(v, dbURL string) djangotest.Config {
	settings := map[string]any{
		"TEMPLATES": []map[string]any{{
			"BACKEND":  "django.template.backends.django.DjangoTemplates",
			"APP_DIRS": true,
			"OPTIONS":  map[string]any{"context_processors": []string{"django.template.context_processors.request"}},
		}},
		"ACCOUNT_EMAIL_VERIFICATION": "none",
	}
	apps := []string{"allauth", "allauth.account"}
	switch v {
	case "3.2":
		apps = []string{"django.contrib.sites", "allauth", "allauth.account", "allauth.socialaccount"}
		settings["SITE_ID"] = 1
		fallthrough
	case "4.2":
		settings["ACCOUNT_AUTHENTICATION_METHOD"] = "email"
		settings["ACCOUNT_EMAIL_REQUIRED"] = true
		settings["ACCOUNT_USERNAME_REQUIRED"] = false
	default:
		settings["ACCOUNT_LOGIN_METHODS"] = []string{"email"}
		settings["ACCOUNT_SIGNUP_FIELDS"] = []string{"email*", "password1*", "password2*"}
	}
	return djangotest.Config{
		DB:                     dbURL,
		AuthenticationBackends: []string{modelBackend, allauthBackend},
		Apps:                   apps,
		Settings:               settings,
	}
}

// allauthMatrix: every version on SQLite; the newest allauth (65.19, Django
// 5.2) and the oldest (0.51, Django 3.2) also on PostgreSQL and MariaDB.
var allauthMatrix = []struct{ version, kind string }{
	{"3.2", "sqlite"}, {"4.2", "sqlite"}, {"5.2", "sqlite"},
	{"3.2", "postgres"}, {"3.2", "mariadb"},
	{"5.2", "postgres"}, {"5.2", "mariadb"},
}

// A login through django-allauth's own login view (by email, through
// allauth's AuthenticationBackend) is a logged-in user for the example
// configured with allauth's backend path and anonymous for one without it;
// the example's login with allauth's path first writes that path into the
// session, which Django with allauth honours, and allauth's logout view ends
// it for Go too.
func TestAllauth(t *testing.T) {
	bin := testenv.BuildBinary(t, "github.com/dmr-go/dmr/examples/sessionauth")
	for _, m := range allauthMatrix {
		t.Run(m.version+"/"+m.kind, func(t *testing.T) {
			t.Parallel()
			testAllauth(t, bin, m.version, newDatabase(t, m.kind))
		})
	}
}

func testAllauth(t *testing.T, bin, v string, db database) {
	dj := djangotest.New(t, v, allauthConfig(v, db.URL))
	want := map[string]string{"3.2": "0.51.", "4.2": "65.0.", "5.2": "65.19."}[v]
	if got := dj.Info().Extras.Allauth; !strings.HasPrefix(got, want) {
		t.Fatalf("Django %s runs with django-allauth %q, want %sx (the settings here are per allauth version)", v, got, want)
	}
	t.Logf("Django %s, django-allauth %s, %s", dj.Info().Version, dj.Info().Extras.Allauth, db.Kind)
	if tables := dj.Migrate(false); !contains(tables, "account_emailaddress") {
		t.Fatalf("Django's migrate made %v", tables)
	}
	secret := dj.Config().SecretKey
	// DMR_DJANGO_VERSION: the example hashes as this Django does, so its
	// login does not upgrade the hash (which would end allauth's session).
	env := []string{"DMR_AUTH_CACHE_TTL=" + allauthCacheTTL.String(), "DMR_DJANGO_VERSION=" + v}
	withAllauth := startExample(t, bin, db.URL, secret, append(env, "DMR_AUTHENTICATION_BACKENDS="+allauthBackend+","+modelBackend)...)
	withoutAllauth := startExample(t, bin, db.URL, secret, append(env, "DMR_AUTHENTICATION_BACKENDS="+modelBackend)...)

	var alice struct {
		djangotest.User
		EmailAddress struct {
			Email    string `json:"email"`
			Verified bool   `json:"verified"`
			Primary  bool   `json:"primary"`
			UserID   string `json:"user_id"`
		} `json:"emailaddress"`
	}
	dj.Run("allauth-user", map[string]any{"username": "alice", "email": "alice@example.com", "password": "alice password"}, &alice)
	if !alice.EmailAddress.Verified || alice.EmailAddress.UserID != alice.ID {
		t.Fatalf("allauth-user: %+v", alice)
	}

	// allauth → Go. allauth's login page, then its form: by username it is
	// refused (login is by email only), by email it logs in.
	if r := allauthLogin(t, dj, "alice", "alice password"); r.Status != 200 || r.Cookies["sessionid"].Value != "" {
		t.Errorf("allauth's login by username (email only configured): %d, cookies %v", r.Status, r.Cookies)
	}
	if r := allauthLogin(t, dj, "alice@example.com", "wrong"); r.Status != 200 || r.Cookies["sessionid"].Value != "" {
		t.Errorf("allauth's login with a wrong password: %d, cookies %v", r.Status, r.Cookies)
	}
	r := allauthLogin(t, dj, "alice@example.com", "alice password")
	djSession := r.Cookies["sessionid"].Value
	if r.Status != 302 || djSession == "" {
		t.Fatalf("allauth's login by email: %d, cookies %v, body %.300s", r.Status, r.Cookies, r.Body)
	}
	if backend, id := sessionAuth(t, dj, djSession); backend != allauthBackend || id != alice.ID {
		t.Errorf("allauth's login session: _auth_user_backend %q, _auth_user_id %q; want %q, %q", backend, id, allauthBackend, alice.ID)
	}
	if w := dj.GetUser(djSession); !w.Authenticated || w.Username != "alice" {
		t.Errorf("Django's get_user on allauth's session: %+v", w)
	}
	if code, body := exampleGet(t, withAllauth+"/api/apicontroller/", djSession); code != 200 || body != `"alice"` {
		t.Errorf("Go with allauth's path, allauth's session: %d %s, want 200 \"alice\"", code, body)
	}
	if code, body := exampleGet(t, withoutAllauth+"/api/apicontroller/", djSession); code != 401 {
		t.Errorf("Go without allauth's path, allauth's session: %d %s, want 401", code, body)
	}

	// Go → allauth. The example's login with allauth's path first names it.
	goSession, userID := exampleLogin(t, withAllauth, "alice", "alice password")
	if goSession == "" || userID != alice.ID {
		t.Fatalf("Go login: session %q, user_id %q (Django's pk %q)", goSession, userID, alice.ID)
	}
	if row := dj.UserRow("alice"); row.Password != alice.Password {
		t.Errorf("Go's login rehashed Django %s's password: %s → %s", v, alice.Password, row.Password)
	}
	if backend, id := sessionAuth(t, dj, goSession); backend != allauthBackend || id != alice.ID {
		t.Errorf("Go's login session: _auth_user_backend %q, _auth_user_id %q; want %q, %q", backend, id, allauthBackend, alice.ID)
	}
	if w := dj.GetUser(goSession); !w.Authenticated || w.Username != "alice" || w.UserID != alice.ID {
		t.Errorf("Django with allauth, get_user on Go's session: %+v", w)
	}
	// A Django without allauth's backend treats that session as anonymous,
	// as the Go side without the path does.
	plain := djangotest.New(t, v, djangotest.Config{DB: db.URL, SecretKey: secret})
	if w := plain.GetUser(goSession); w.Authenticated {
		t.Errorf("Django without allauth's backend, get_user on Go's allauth session: %+v, want anonymous", w)
	}
	if code, body := exampleGet(t, withoutAllauth+"/api/apicontroller/", goSession); code != 401 {
		t.Errorf("Go without allauth's path, Go's allauth session: %d %s, want 401", code, body)
	}
	waitStatus(t, withAllauth+"/api/apicontroller/", goSession, 200, 0, "Go's allauth session before allauth's logout")

	// allauth's logout view (its confirmation page, then the POST) ends the
	// session for Django at once and for Go within the cache bound.
	page := djRequest(t, dj, map[string]any{"path": "/accounts/logout/", "cookies": map[string]string{"sessionid": goSession}})
	token := formToken(t, page, "allauth's logout page")
	out := djRequest(t, dj, map[string]any{
		"method":  "POST",
		"path":    "/accounts/logout/",
		"cookies": map[string]string{"sessionid": goSession, "csrftoken": page.Cookies["csrftoken"].Value},
		"form":    map[string]string{"csrfmiddlewaretoken": token},
	})
	if out.Status != 302 {
		t.Fatalf("allauth's logout: %d %.300s", out.Status, out.Body)
	}
	if w := dj.GetUser(goSession); w.Authenticated {
		t.Errorf("Django after allauth's logout: %+v", w)
	}
	waitStatus(t, withAllauth+"/api/apicontroller/", goSession, 401, allauthCacheTTL, "Go after allauth's logout")
	// allauth's own session is untouched by that logout.
	if code, body := exampleGet(t, withAllauth+"/api/apicontroller/", djSession); code != 200 {
		t.Errorf("allauth's other session after the logout of Go's: %d %s", code, body)
	}
}

// djResponse is what djangoctl's request command answers.
type djResponse struct {
	Status  int                          `json:"status"`
	Body    json.RawMessage              `json:"body"`
	Cookies map[string]djangotest.Cookie `json:"cookies"`
}

func djRequest(t *testing.T, dj *djangotest.Django, req map[string]any) djResponse {
	t.Helper()
	var r djResponse
	dj.Run("request", req, &r)
	return r
}

var csrfInput = regexp.MustCompile(`name="csrfmiddlewaretoken" value="([^"]+)"`)

// formToken is the csrfmiddlewaretoken of the HTML form a page holds.
func formToken(t *testing.T, r djResponse, what string) string {
	t.Helper()
	var html string
	if err := json.Unmarshal(r.Body, &html); err != nil || r.Status != 200 {
		t.Fatalf("%s: %d %.300s", what, r.Status, r.Body)
	}
	m := csrfInput.FindStringSubmatch(html)
	if m == nil {
		t.Fatalf("%s has no csrfmiddlewaretoken: %.500s", what, html)
	}
	return m[1]
}

// allauthLogin opens allauth's login page (for the CSRF cookie and the
// form's token) and posts its form, CSRF enforced.
func allauthLogin(t *testing.T, dj *djangotest.Django, login, password string) djResponse {
	t.Helper()
	page := djRequest(t, dj, map[string]any{"path": "/accounts/login/"})
	token := formToken(t, page, "allauth's login page")
	return djRequest(t, dj, map[string]any{
		"method":  "POST",
		"path":    "/accounts/login/",
		"cookies": map[string]string{"csrftoken": page.Cookies["csrftoken"].Value},
		"form":    map[string]string{"login": login, "password": password, "csrfmiddlewaretoken": token},
	})
}

// sessionAuth reads the session row through Django's SessionStore and
// returns its _auth_user_backend and _auth_user_id.
func sessionAuth(t *testing.T, dj *djangotest.Django, key string) (backend, id string) {
	t.Helper()
	var data struct {
		Backend string `json:"_auth_user_backend"`
		ID      string `json:"_auth_user_id"`
	}
	s := dj.SessionRead(key)
	if err := json.Unmarshal(s.Data, &data); err != nil {
		t.Fatalf("session %s: %v (%s)", key, err, s.Data)
	}
	return data.Backend, data.ID
}
