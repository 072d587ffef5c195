package interop_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/userdb"
	"github.com/dmr-go/dmr/csrf"
	"github.com/dmr-go/dmr/internal/djangotest"
	"github.com/dmr-go/dmr/sessions"
	"github.com/dmr-go/dmr/sqldb"
)

// goAuthApp is a Go service sharing Django's database and SECRET_KEY:
// session middleware, CSRF state, the auth middleware, and
//
//	POST /login/     {"username","password"} → authenticate + Login
//	GET  /whoami/    the current user
//	POST /password/  {"password"} → ChangePassword (this session survives)
type goAuthApp struct {
	http.Handler
	auth *auth.Auth
}

func newGoAuthApp(t *testing.T, st sessionStack, users auth.UserStore) goAuthApp {
	t.Helper()
	cfg := st.dj.Config()
	o := auth.Options{SecretKey: []byte(cfg.SecretKey), Users: users, Hashers: goHashers(t, st.dj), Logger: quietLogger}
	for _, f := range cfg.Fallbacks {
		o.FallbackKeys = append(o.FallbackKeys, []byte(f))
	}
	a, err := auth.New(o)
	if err != nil {
		t.Fatal(err)
	}
	mw, err := sessions.NewMiddleware(sessions.Options{Store: st.store, Logger: quietLogger})
	if err != nil {
		t.Fatal(err)
	}
	p, err := csrf.New(csrf.Options{Logger: quietLogger})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login/", func(w http.ResponseWriter, r *http.Request) {
		var c struct{ Username, Password string }
		json.NewDecoder(r.Body).Decode(&c)
		u, err := a.Authenticate(r.Context(), auth.Credentials{"username": c.Username, "password": c.Password})
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		if u == nil {
			http.Error(w, "bad credentials", 401)
			return
		}
		if err := a.Login(r.Context(), u); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		writeWho(w, u)
	})
	mux.HandleFunc("GET /whoami/", func(w http.ResponseWriter, r *http.Request) {
		u, err := auth.CurrentUser(r.Context())
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		writeWho(w, u)
	})
	mux.HandleFunc("POST /password/", func(w http.ResponseWriter, r *http.Request) {
		var c struct{ Password string }
		json.NewDecoder(r.Body).Decode(&c)
		u, err := auth.CurrentUser(r.Context())
		if err != nil || !u.IsAuthenticated() {
			http.Error(w, "not logged in", 401)
			return
		}
		if err := a.ChangePassword(r.Context(), u, c.Password); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		writeWho(w, u)
	})
	return goAuthApp{mw.Handler(p.Middleware(a.Middleware(mux))), a}
}

func writeWho(w http.ResponseWriter, u *auth.User) {
	json.NewEncoder(w).Encode(djangotest.Who{Authenticated: u.IsAuthenticated(), UserID: u.ID, Username: u.Username})
}

// do sends a request to the Go app with an optional session cookie and
// returns the status, who the app says the user is, and the session cookie
// it set ("" if none).
func (g goAuthApp) do(t *testing.T, method, path, sessionID string, body any) (int, djangotest.Who, string) {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	r := httptest.NewRequest(method, "http://testserver"+path, rd)
	if sessionID != "" {
		r.AddCookie(&http.Cookie{Name: "sessionid", Value: sessionID})
	}
	rec := httptest.NewRecorder()
	g.ServeHTTP(rec, r)
	var who djangotest.Who
	if rec.Code == 200 {
		if err := json.Unmarshal(rec.Body.Bytes(), &who); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, rec.Body)
		}
	}
	set := ""
	for _, c := range rec.Result().Cookies() {
		if c.Name == "sessionid" {
			set = c.Value
		}
	}
	return rec.Code, who, set
}

// Users, login sessions and password changes shared with Django, on each
// version and database: a user created by either side logs in through the
// other without a rehash; a session from Django's login() is a logged-in
// user in Go and the reverse; a password change on either side ends the
// other side's sessions.
func TestAuth(t *testing.T) {
	forMatrix(t, func(t *testing.T, v string, db database) {
		ctx := context.Background()
		st := newSessionStack(t, v, db, djangotest.Config{})
		users := openUsers(t, db)
		app := newGoAuthApp(t, st, users)

		// A Django user logs in through Go; Go does not rewrite the hash.
		du := st.dj.CreateUser("django_user", "django password é")
		code, who, goSession := app.do(t, "POST", "/login/", "", map[string]string{"username": "django_user", "password": "django password é"})
		if code != 200 || !who.Authenticated || who.UserID != du.ID || goSession == "" {
			t.Fatalf("Go login of Django's user: %d %+v cookie %q", code, who, goSession)
		}
		if row := st.dj.UserRow("django_user"); row.Password != du.Password || row.LastLogin == nil {
			t.Errorf("after Go's login: hash %q (was %q), last_login %v", row.Password, du.Password, row.LastLogin)
		}
		if code, _, _ := app.do(t, "POST", "/login/", "", map[string]string{"username": "django_user", "password": "wrong"}); code != 401 {
			t.Errorf("Go login with a wrong password: %d", code)
		}
		// Go's login session is a logged-in user in Django.
		if w := st.dj.GetUser(goSession); !w.Authenticated || w.UserID != du.ID {
			t.Errorf("Django's get_user on Go's login session: %+v", w)
		}

		// A Go user logs in through Django; Django does not rehash.
		gu, err := app.auth.CreateUser(ctx, auth.NewUser{Username: "go_user", Password: "go password 🐍", Email: "go@EXAMPLE.com"})
		if err != nil {
			t.Fatal(err)
		}
		if c := st.dj.CheckPassword("go_user", "go password 🐍"); !c.OK || c.Changed {
			t.Errorf("Django's check_password on Go's hash %s: %+v", gu.Password, c)
		}
		dl := st.dj.Login("go_user", "go password 🐍")
		if !dl.OK || dl.SessionID == "" {
			t.Fatalf("Django login of Go's user: %+v", dl)
		}
		if row := st.dj.UserRow("go_user"); row.Password != gu.Password || row.Email != "go@example.com" {
			t.Errorf("Go's user as Django sees it after login: %+v", row)
		}
		// Django's login() session is a logged-in user in Go.
		if code, who, _ := app.do(t, "GET", "/whoami/", dl.SessionID, nil); code != 200 || !who.Authenticated || who.UserID != gu.ID {
			t.Errorf("Go's current user on Django's login session: %d %+v", code, who)
		}
		forced := st.dj.Login("django_user", "") // Client.force_login
		if _, who, _ := app.do(t, "GET", "/whoami/", forced.SessionID, nil); who.UserID != du.ID {
			t.Errorf("Go's current user on Django's force_login session: %+v", who)
		}

		// A password change in Django ends Go's session for that user.
		st.dj.SetPassword("django_user", "new django password")
		if _, who, _ := app.do(t, "GET", "/whoami/", goSession, nil); who.Authenticated {
			t.Errorf("Go session survived a password change in Django: %+v", who)
		}
		if _, err := st.store.Load(ctx, goSession); err == nil {
			t.Errorf("Go kept the session row after the hash mismatch (Django flushes it)")
		}
		// A password change in Go ends Django's sessions, keeps Go's own.
		_, _, goGoSession := app.do(t, "POST", "/login/", "", map[string]string{"username": "go_user", "password": "go password 🐍"})
		code, who, kept := app.do(t, "POST", "/password/", goGoSession, map[string]string{"password": "changed in Go"})
		if code != 200 {
			t.Fatalf("Go password change: %d", code)
		}
		if kept == "" {
			kept = goGoSession
		}
		if _, who, _ := app.do(t, "GET", "/whoami/", kept, nil); !who.Authenticated {
			t.Errorf("the session that changed the password was logged out in Go")
		}
		if w := st.dj.GetUser(kept); !w.Authenticated {
			t.Errorf("the session that changed the password in Go is anonymous in Django")
		}
		if w := st.dj.GetUser(dl.SessionID); w.Authenticated {
			t.Errorf("Django's session survived a password change in Go: %+v", w)
		}
		if c := st.dj.CheckPassword("go_user", "changed in Go"); !c.OK || c.Changed {
			t.Errorf("Django on Go's new password: %+v", c)
		}
	})
}

// A login session whose auth hash was made with an old SECRET_KEY stays
// logged in through SECRET_KEY_FALLBACKS on both sides (Django 4.1.8+), with
// the session key cycled.
func TestAuthFallbacks(t *testing.T) {
	for _, v := range []string{"4.2", "5.2"} {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			const oldKey, newKey = "interop-old-auth-key", "interop-new-auth-key"
			db := newDatabase(t, "sqlite")
			before := newSessionStack(t, v, db, djangotest.Config{SecretKey: oldKey})
			users := openUsers(t, db)
			oldApp := newGoAuthApp(t, before, users)
			du := before.dj.CreateUser("u", "pw")
			djSession := before.dj.Login("u", "").SessionID
			_, _, goSession := oldApp.do(t, "POST", "/login/", "", map[string]string{"username": "u", "password": "pw"})

			after := newSessionStack(t, v, db, djangotest.Config{SecretKey: newKey, Fallbacks: []string{oldKey}})
			app := newGoAuthApp(t, after, users)
			_, who, cycled := app.do(t, "GET", "/whoami/", djSession, nil)
			if !who.Authenticated || who.UserID != du.ID {
				t.Errorf("Go with fallback: Django's old-key login session is %+v", who)
			}
			if cycled == "" || cycled == djSession {
				t.Errorf("Go did not cycle the session key after a fallback match (cookie %q)", cycled)
			}
			w := after.dj.GetUser(goSession)
			if !w.Authenticated || w.UserID != du.ID {
				t.Errorf("Django with fallback: Go's old-key login session is %+v", w)
			}
			if c, ok := w.Cookies["sessionid"]; !ok || c.Value == goSession {
				t.Errorf("Django did not cycle the key of Go's session: %+v", w.Cookies)
			}
		})
	}
}

// openUsers is Go's auth_user store on the shared database; its CreateTables
// accepts the table Django migrated.
func openUsers(t *testing.T, db database) *userdb.Store {
	t.Helper()
	ctx := context.Background()
	sqlDB, err := sqldb.Open(ctx, db.URL, sqldb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlDB.Close() })
	s, err := userdb.New(sqlDB)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.CreateTables(ctx); err != nil {
		t.Fatalf("userdb.CreateTables on a Django-migrated %s database: %v", db.Kind, err)
	}
	return s
}
