package sessions

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dmr-go/dmr/signing"
)

func signedCookieEnv(t *testing.T, s Settings) (*env, *SignedCookieStore) {
	t.Helper()
	var e *env
	sc, err := NewSignedCookieStore(SignedCookieOptions{SecretKey: []byte(sk), Now: func() time.Time { return e.now }})
	if err != nil {
		t.Fatal(err)
	}
	e = newEnv(t, Options{Settings: s, CookieStore: sc})
	return e, sc
}

func TestSignedCookieSessions(t *testing.T) {
	e, sc := signedCookieEnv(t, Settings{CookieAge: time.Hour})
	rec := e.do("", func(w http.ResponseWriter, r *http.Request) {
		FromContext(r.Context()).Set("foo", "bar")
	})
	cookie := cookieOf(rec)
	// Byte-identical to Django's signed_cookies backend (same key, time).
	if cookie != "sessionid=eyJmb28iOiJiYXIifQ:1r31eq:utHZMJMLw1cpox9vMl069757fZn9x_HDNj0T4Uc-I8E" {
		t.Errorf("cookie = %s", cookie)
	}
	rec = e.do(cookie, func(w http.ResponseWriter, r *http.Request) {
		s := FromContext(r.Context())
		if v, _ := s.GetString("foo"); v != "bar" {
			t.Errorf("foo = %q", v)
		}
		s.Set("n", 1)
		if err := s.CycleKey(r.Context()); err != nil {
			t.Error(err)
		}
	})
	d, err := sc.DecodeCookie(strings.TrimPrefix(cookieOf(rec), "sessionid="), time.Hour)
	if err != nil || jsonOf(t, d) != `{"foo":"bar","n":1}` {
		t.Errorf("second cookie: %v %v", d, err)
	}
	// Older than the cookie age: a fresh session.
	e.now = fixed.Add(time.Hour + time.Second)
	rec = e.do(cookie, func(w http.ResponseWriter, r *http.Request) {
		if FromContext(r.Context()).Has("foo") {
			t.Error("expired cookie accepted")
		}
	})
	if !strings.Contains(e.log.String(), "expired") {
		t.Errorf("log = %s", e.log.String())
	}
	// Flush deletes the cookie.
	e.now = fixed
	rec = e.do(cookie, func(w http.ResponseWriter, r *http.Request) {
		FromContext(r.Context()).Flush(r.Context())
	})
	if !strings.HasPrefix(rec.Header().Get("Set-Cookie"), `sessionid="";`) {
		t.Errorf("flush: %v", rec.Header())
	}
}

func TestHostileCookies(t *testing.T) {
	key := []byte(sk)
	ts, _ := signing.NewTimestampSigner(signing.Options{Key: key, Salt: SignedCookieSalt, Now: fixedNow})
	good := ts.SignPayload([]byte(`{"_auth_user_id":"1"}`), false)
	var bomb bytes.Buffer
	zw := zlib.NewWriter(&bomb)
	zw.Write(make([]byte, 8<<20))
	zw.Close()
	bombPayload := "." + base64.RawURLEncoding.EncodeToString(bomb.Bytes())
	wrongKey, _ := signing.NewTimestampSigner(signing.Options{Key: []byte("attacker"), Salt: SignedCookieSalt, Now: fixedNow})
	otherSalt, _ := signing.NewTimestampSigner(signing.Options{Key: key, Salt: DefaultSalt, Now: fixedNow})
	cases := map[string]string{
		"tampered payload":     "eyJfYXV0aF91c2VyX2lkIjoiMiJ9" + good[strings.Index(good, ":"):],
		"tampered signature":   good[:len(good)-2] + "AA",
		"truncated":            good[:len(good)/2],
		"8 KiB":                strings.Repeat("A", 8<<10),
		"8 KiB signed-looking": strings.Repeat("eyJ", 2700) + ":1r31eq:" + strings.Repeat("x", 43),
		"bad base64 (signed)":  ts.Sign("!!not*base64!!"),
		"zlib bomb (signed)":   ts.Sign(bombPayload),
		"zlib bomb (forged)":   bombPayload + ":1r31eq:" + strings.Repeat("A", 43),
		"bad zlib (signed)":    ts.Sign("." + base64.RawURLEncoding.EncodeToString([]byte("xxxxxxxx"))),
		"bad JSON (signed)":    ts.SignPayload([]byte(`{"_auth_user_id":`), false),
		"JSON list (signed)":   ts.SignPayload([]byte(`["_auth_user_id"]`), false),
		"wrong key":            wrongKey.SignPayload([]byte(`{"_auth_user_id":"1"}`), false),
		"wrong salt":           otherSalt.SignPayload([]byte(`{"_auth_user_id":"1"}`), false),
		"bad timestamp":        ts.Signer.Sign("eyJhIjoxfQ:!!"),
		"no separators":        "eyJfYXV0aF91c2VyX2lkIjoiMSJ9",
		"control bytes":        "\x00\x01\x02:\x03:\x04",
	}
	for name, value := range cases {
		t.Run("signed_cookies/"+name, func(t *testing.T) {
			e, _ := signedCookieEnv(t, Settings{})
			rec := e.do("sessionid="+value, func(w http.ResponseWriter, r *http.Request) {
				s := FromContext(r.Context())
				if id, ok := s.Get("_auth_user_id"); ok {
					t.Errorf("hostile cookie gave _auth_user_id=%v", id)
				}
				w.Write([]byte("ok"))
			})
			if rec.Code != 200 || rec.Body.String() != "ok" {
				t.Errorf("status %d body %q", rec.Code, rec.Body.String())
			}
			if !strings.Contains(e.log.String(), "level=WARN") {
				t.Errorf("no warning logged: %q", e.log.String())
			}
			// Django: a fresh (empty) signed cookie replaces the bad one.
			if got := cookieOf(rec); !strings.HasPrefix(got, "sessionid=e30:1r31eq:") {
				t.Errorf("replacement cookie = %q", got)
			}
		})
	}
	// The good cookie is accepted (the cases above fail for their own reason).
	e, _ := signedCookieEnv(t, Settings{})
	e.do("sessionid="+good, func(w http.ResponseWriter, r *http.Request) {
		if id, _ := FromContext(r.Context()).GetString("_auth_user_id"); id != "1" {
			t.Error("good cookie rejected")
		}
	})

	// Server-side store: the cookie is only a key.
	for name, value := range map[string]string{
		"8 KiB":        strings.Repeat("a", 8<<10),
		"signed value": good,
		"short":        "abc",
		"upper case":   strings.ToUpper(NewKey()),
		"control":      "abcdefgh\x01",
	} {
		t.Run("store/"+name, func(t *testing.T) {
			e := newEnv(t, Options{})
			rec := e.do("sessionid="+value, func(w http.ResponseWriter, r *http.Request) {
				s := FromContext(r.Context())
				if _, ok := s.Get("_auth_user_id"); ok || s.Key() != "" {
					t.Error("hostile key adopted")
				}
			})
			if rec.Code != 200 || e.store.loads != 0 || !strings.Contains(e.log.String(), "level=WARN") {
				t.Errorf("status %d, loads %d, log %q", rec.Code, e.store.loads, e.log.String())
			}
			if !strings.HasPrefix(rec.Header().Get("Set-Cookie"), `sessionid="";`) {
				t.Errorf("bad cookie not deleted: %v", rec.Header())
			}
		})
	}
}

func TestHostileStoredData(t *testing.T) {
	// Session data in a shared table that fails to decode reads as an empty
	// session (the db stores turn Codec errors into empty data, as Django).
	c := newCodec(t, CodecOptions{})
	for name, data := range map[string]string{
		"tampered":  "eyJmb28iOiJiYXIifQ:1r31eq:Gs1AV0QVJZ9d2maCcgNyGDFLEpJ1jYtEx5VIK3g-641",
		"truncated": "eyJmb28iOiJiYXIifQ:1r31eq",
		"empty":     "",
		"garbage":   strings.Repeat("\xff", 100),
	} {
		if _, err := c.Decode(data); err == nil {
			t.Errorf("%s decoded", name)
		}
	}
}

// FuzzSessionCookie feeds arbitrary Cookie headers through the middleware
// with both kinds of store: it must never panic, never answer 500, and never
// produce session data that was not validly signed.
func FuzzSessionCookie(f *testing.F) {
	sc, _ := NewSignedCookieStore(SignedCookieOptions{SecretKey: []byte(sk), Now: fixedNow})
	good, _ := sc.EncodeCookie(obj("_auth_user_id", "1"))
	big, _ := sc.EncodeCookie(obj("k", strings.Repeat("x", 500)))
	for _, s := range []string{
		"sessionid=" + good, "sessionid=" + big, "sessionid=" + NewKey(), `sessionid="` + good + `"`,
		"a=1; sessionid=x; sessionid=" + good, "sessionid=eyJmb28iOiJiYXIifQ:1r31eq:utHZMJMLw1cpox9vMl069757fZn9x_HDNj0T4Uc-I8E",
		"sessionid=.eJx:1r31eq:AAAA", "sessionid", "=;=;;", `sessionid="\777\"`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		for _, useCookies := range []bool{true, false} {
			o := Options{Now: fixedNow, Logger: discard}
			mem := &MemoryStore{Now: fixedNow}
			if useCookies {
				o.CookieStore = sc
			} else {
				o.Store = mem
			}
			mw, err := NewMiddleware(o)
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest("GET", "/", nil)
			req.Header.Set("Cookie", header)
			rec := newRecorder()
			mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				s := FromContext(r.Context())
				v, ok := s.Get("_auth_user_id")
				if ok {
					value, _ := CookieValue(r.Header, "sessionid")
					if !useCookies {
						t.Fatalf("memory store has no sessions, got %v", v)
					}
					if d, err := sc.DecodeCookie(value, DefaultCookieAge); err != nil || d.Len() == 0 {
						t.Fatalf("data from an invalid cookie %q", value)
					}
				}
				s.Set("seen", true)
			})).ServeHTTP(rec, req)
			if rec.code >= 500 {
				t.Fatalf("status %d for %q", rec.code, header)
			}
		}
	})
}
