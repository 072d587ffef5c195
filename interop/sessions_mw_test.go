package interop_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/dmr-go/dmr/internal/djangotest"
	"github.com/dmr-go/dmr/pyjson"
	"github.com/dmr-go/dmr/sessions"
	"github.com/dmr-go/dmr/sessions/dbstore"
)

// goSessionApp is a Go app behind sessions.Middleware: GET returns the
// session dict, POST {"set": {...}, "delete": [...]} changes it.
func goSessionApp(t *testing.T, o sessions.Options) http.Handler {
	t.Helper()
	if o.Logger == nil {
		o.Logger = quietLogger
	}
	mw, err := sessions.NewMiddleware(o)
	if err != nil {
		t.Fatal(err)
	}
	return mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := sessions.FromContext(r.Context())
		if r.Method == http.MethodPost {
			var body struct {
				Set    json.RawMessage `json:"set"`
				Delete []string        `json:"delete"`
			}
			if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			if body.Set != nil {
				set, err := pyjson.UnmarshalObject(body.Set)
				if err != nil {
					http.Error(w, err.Error(), 400)
					return
				}
				for _, k := range set.Keys() {
					v, _ := set.Get(k)
					s.Set(k, v)
				}
			}
			for _, k := range body.Delete {
				s.Delete(k)
			}
		}
		data := pyjson.NewObject(0)
		for _, k := range s.Keys() {
			v, _ := s.Get(k)
			data.Set(k, v)
		}
		if err := s.Err(); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		b, _ := pyjson.Marshal(data)
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	}))
}

// goSessionRequest sends a request with an optional session cookie and
// returns the body and the session cookie the response set (nil if none).
func goSessionRequest(t *testing.T, app http.Handler, cookie string, post []byte) (string, *http.Cookie) {
	t.Helper()
	r := httptest.NewRequest("GET", "http://testserver/", nil)
	if post != nil {
		r = httptest.NewRequest("POST", "http://testserver/", bytes.NewReader(post))
	}
	if cookie != "" {
		r.AddCookie(&http.Cookie{Name: "sessionid", Value: cookie})
	}
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, r)
	if rec.Code != 200 {
		t.Fatalf("Go app: %d %s", rec.Code, rec.Body)
	}
	for _, c := range rec.Result().Cookies() {
		if c.Name == "sessionid" {
			return rec.Body.String(), c
		}
	}
	return rec.Body.String(), nil
}

// djangoSession sends a request to the Django project's /session/ view
// through Django's SessionMiddleware.
func djangoSession(t *testing.T, dj *djangotest.Django, cookie string, post any) (data string, setCookie *djangotest.Cookie) {
	t.Helper()
	req := map[string]any{"method": "GET", "path": "/session/"}
	if post != nil {
		req["method"], req["json"] = "POST", post
	}
	if cookie != "" {
		req["cookies"] = map[string]string{"sessionid": cookie}
	}
	var r struct {
		Status  int                               `json:"status"`
		Body    struct{ Session json.RawMessage } `json:"body"`
		Cookies map[string]djangotest.Cookie      `json:"cookies"`
	}
	dj.Run("request", req, &r)
	if r.Status != 200 {
		t.Fatalf("Django /session/: %d", r.Status)
	}
	if c, ok := r.Cookies["sessionid"]; ok {
		setCookie = &c
	}
	return canonical(t, r.Body.Session), setCookie
}

// The session cookie, end to end through both middlewares: a session Django's
// SessionMiddleware created is read and changed by Go's, and the reverse;
// cookies are Django's.
func sessionCookieRoundTrip(t *testing.T, dj *djangotest.Django, app http.Handler) {
	t.Helper()
	set := json.RawMessage(`{"name":"José 🐍","cart":[1,2,3],"n":7}`)
	// Django creates.
	_, dc := djangoSession(t, dj, "", map[string]any{"set": set})
	if dc == nil || dc.Value == "" {
		t.Fatal("Django set no session cookie")
	}
	body, _ := goSessionRequest(t, app, dc.Value, nil)
	if want := canonical(t, set); body != want {
		t.Errorf("Django's session through Go's middleware: %s, want %s", body, want)
	}
	// Go changes it; Django sees the change.
	body, gc := goSessionRequest(t, app, dc.Value, []byte(`{"set":{"from_go":true},"delete":["cart"]}`))
	if gc == nil {
		t.Fatal("Go set no cookie after changing the session")
	}
	if got, _ := djangoSession(t, dj, gc.Value, nil); got != body || got != `{"name":"Jos\u00e9 \ud83d\udc0d","n":7,"from_go":true}` {
		t.Errorf("after Go's change Django reads %s (Go: %s)", got, body)
	}
	// Go creates; Django reads and changes; Go sees it.
	_, gc = goSessionRequest(t, app, "", []byte(`{"set":{"made_in":"Go","x":[{"y":null}]}}`))
	if gc == nil {
		t.Fatal("Go set no session cookie")
	}
	if gc.MaxAge != 1209600 || !gc.HttpOnly || gc.SameSite != http.SameSiteLaxMode || gc.Path != "/" {
		t.Errorf("Go's session cookie %+v lacks Django's attributes", gc)
	}
	if got, _ := djangoSession(t, dj, gc.Value, nil); got != `{"made_in":"Go","x":[{"y":null}]}` {
		t.Errorf("Go's session read by Django: %s", got)
	}
	_, dc = djangoSession(t, dj, gc.Value, map[string]any{"set": map[string]any{"from_django": 1}})
	value := gc.Value
	if dc != nil {
		value = dc.Value // signed cookies: the data is the cookie
	}
	if body, _ := goSessionRequest(t, app, value, nil); body != `{"made_in":"Go","x":[{"y":null}],"from_django":1}` {
		t.Errorf("after Django's change Go reads %s", body)
	}
	// A forged cookie is a fresh, empty session on both sides.
	forged := value[:len(value)-2] + "xx"
	if forged == value { // the key happened to end in "xx" (1 in 1,296)
		forged = value[:len(value)-2] + "yy"
	}
	if body, _ := goSessionRequest(t, app, forged, nil); body != "{}" {
		t.Errorf("Go accepted a forged cookie: %s", body)
	}
	if got, _ := djangoSession(t, dj, forged, nil); got != "{}" {
		t.Errorf("Django accepted a forged cookie: %s", got)
	}
}

func signedCookieStore(t *testing.T, key string, fallbacks []string) *sessions.SignedCookieStore {
	t.Helper()
	o := sessions.SignedCookieOptions{SecretKey: []byte(key)}
	for _, f := range fallbacks {
		o.FallbackKeys = append(o.FallbackKeys, []byte(f))
	}
	cs, err := sessions.NewSignedCookieStore(o)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// Django's signed_cookies backend and Go's SignedCookieStore read each other's
// cookies, every value of the test set in both directions, and through both
// middlewares.
func TestSignedCookieSessions(t *testing.T) {
	forVersions(t, func(t *testing.T, v string) {
		dj := djangotest.New(t, v, djangotest.Config{SessionEngine: "signed_cookies"})
		cs := signedCookieStore(t, dj.Config().SecretKey, nil)
		for _, text := range testValues {
			want := canonical(t, []byte(text))
			ds := dj.SessionWrite(json.RawMessage(text))
			got, err := cs.DecodeCookie(ds.Key, 1209600e9)
			if err != nil {
				t.Fatalf("Go cannot read Django's cookie %s: %v", ds.Key, err)
			}
			if c := canonicalValue(t, got); c != want {
				t.Errorf("Django's cookie: Go read %s, want %s", c, want)
			}
			value, err := cs.EncodeCookie(object(t, text))
			if err != nil {
				t.Fatal(err)
			}
			if c := canonical(t, dj.SessionRead(value).Data); c != want {
				t.Errorf("Go's cookie: Django read %s, want %s", c, want)
			}
		}
		sessionCookieRoundTrip(t, dj, goSessionApp(t, sessions.Options{CookieStore: cs}))
	})
}

// Sessions signed with an old SECRET_KEY keep working through
// SECRET_KEY_FALLBACKS on both sides (Django 4.1+), for the db backend and
// signed cookies.
func TestSessionFallbacks(t *testing.T) {
	for _, v := range []string{"4.2", "5.2"} {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			const oldKey, newKey = "interop-old-session-key", "interop-new-session-key"
			db := newDatabase(t, "sqlite")
			// Before the rotation: Django and Go both on the old key.
			before := newSessionStack(t, v, db, djangotest.Config{SecretKey: oldKey})
			fromDjango := before.dj.SessionWrite(map[string]any{"who": "django"}).Key
			_, goCookie := goSessionRequest(t, goSessionApp(t, sessions.Options{Store: before.store}), "", []byte(`{"set":{"who":"go"}}`))
			// After: the new key, the old one as a fallback, on both sides.
			after := newSessionStack(t, v, db, djangotest.Config{SecretKey: newKey, Fallbacks: []string{oldKey}})
			app := goSessionApp(t, sessions.Options{Store: after.store})
			if body, _ := goSessionRequest(t, app, fromDjango, nil); body != `{"who":"django"}` {
				t.Errorf("Go with fallback reads Django's old-key session as %s", body)
			}
			if got := after.dj.SessionRead(goCookie.Value); canonical(t, got.Data) != `{"who":"go"}` {
				t.Errorf("Django with fallback reads Go's old-key session as %s", got.Data)
			}
			// Without the fallback, Go cannot read them.
			noFallback, err := dbstore.Open(context.Background(), db.URL, dbstore.Options{Codec: djangoCodec(t, newKey, nil), Logger: quietLogger})
			if err != nil {
				t.Fatal(err)
			}
			defer noFallback.Close()
			if body, _ := goSessionRequest(t, goSessionApp(t, sessions.Options{Store: noFallback}), fromDjango, nil); body != "{}" {
				t.Errorf("Go without fallback read %s", body)
			}

			// Signed cookies.
			djOld := djangotest.New(t, v, djangotest.Config{SessionEngine: "signed_cookies", SecretKey: oldKey})
			djNew := djangotest.New(t, v, djangotest.Config{SessionEngine: "signed_cookies", SecretKey: newKey, Fallbacks: []string{oldKey}})
			oldCookie := djOld.SessionWrite(map[string]any{"who": "django"}).Key
			if got, err := signedCookieStore(t, newKey, []string{oldKey}).DecodeCookie(oldCookie, 1209600e9); err != nil || canonicalValue(t, got) != `{"who":"django"}` {
				t.Errorf("Go with fallback reads Django's old signed cookie: %v %v", got, err)
			}
			if _, err := signedCookieStore(t, newKey, nil).DecodeCookie(oldCookie, 1209600e9); err == nil {
				t.Errorf("Go without fallback read an old-key signed cookie")
			}
			goOld, _ := signedCookieStore(t, oldKey, nil).EncodeCookie(object(t, `{"who":"go"}`))
			if got := djNew.SessionRead(goOld); canonical(t, got.Data) != `{"who":"go"}` {
				t.Errorf("Django with fallback reads Go's old signed cookie as %s", got.Data)
			}
		})
	}
}
