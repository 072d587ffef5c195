package sessions_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/dmr-go/dmr/pyjson"
	"github.com/dmr-go/dmr/sessions"
)

const secret = "django-insecure-test-secret-key-0123456789abcdefghijklmnopqrstuv"

func ExampleNewCodec() {
	codec, err := sessions.NewCodec(sessions.CodecOptions{
		SecretKey: []byte(secret),
		Now:       func() time.Time { return time.Unix(1700000000, 0) },
	})
	if err != nil {
		panic(err)
	}
	data := pyjson.NewObject(1)
	data.Set("foo", "bar")
	s, _ := codec.Encode(data) // what Django stores in django_session.session_data
	fmt.Println(s)
	back, _ := codec.Decode(s)
	fmt.Println(back.Get("foo"))
	// Output:
	// eyJmb28iOiJiYXIifQ:1r31eq:Gs1AV0QVJZ9d2maCcgNyGDFLEpJ1jYtEx5VIK3g-640
	// bar true
}

func ExampleNewSignedCookieStore() {
	store, err := sessions.NewSignedCookieStore(sessions.SignedCookieOptions{SecretKey: []byte(secret)})
	if err != nil {
		panic(err)
	}
	mw, err := sessions.NewMiddleware(sessions.Options{CookieStore: store})
	if err != nil {
		panic(err)
	}
	h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sessions.FromContext(r.Context()).Set("theme", "dark")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	c := rec.Result().Cookies()[0]
	data, _ := store.DecodeCookie(c.Value, sessions.DefaultCookieAge)
	fmt.Println(c.Name, data.Keys())
	// Output: sessionid [theme]
}

func ExampleSession_CycleKey() {
	store := &sessions.MemoryStore{}
	mw, _ := sessions.NewMiddleware(sessions.Options{Store: store})
	ctx := context.Background()

	// A login: keep the data, change the key (against session fixation).
	s := mw.NewSession(ctx, "", false)
	s.Set("cart", "3 items")
	_ = s.Commit(ctx, http.Header{}, 200)
	before := s.Key()

	s = mw.NewSession(ctx, before, true)
	if err := s.CycleKey(ctx); err != nil {
		panic(err)
	}
	s.Set("_auth_user_id", "42")
	h := http.Header{}
	_ = s.Commit(ctx, h, 200)
	fmt.Println(s.Key() != before, len(s.Keys()))
	gone, _ := store.Exists(ctx, before)
	fmt.Println("old key exists:", gone)
	// Output:
	// true 2
	// old key exists: false
}

func ExampleSession_Flush() {
	store := &sessions.MemoryStore{}
	mw, _ := sessions.NewMiddleware(sessions.Options{Store: store})
	ctx := context.Background()
	s := mw.NewSession(ctx, "", false)
	s.Set("_auth_user_id", "42")
	_ = s.Commit(ctx, http.Header{}, 200)

	// A logout: the stored session is deleted and the cookie removed.
	s = mw.NewSession(ctx, s.Key(), true)
	if err := s.Flush(ctx); err != nil {
		panic(err)
	}
	h := http.Header{}
	_ = s.Commit(ctx, h, 200)
	fmt.Println(h.Get("Set-Cookie"))
	fmt.Println(store.Len())
	// Output:
	// sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax
	// 0
}

func ExampleFromContext() {
	mw, _ := sessions.NewMiddleware(sessions.Options{Store: &sessions.MemoryStore{}})
	h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := sessions.FromContext(r.Context())
		_, loggedIn := s.GetString("_auth_user_id")
		fmt.Println("cookie sent:", s.CookieSent(), "logged in:", loggedIn)
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	fmt.Println(sessions.FromContext(context.Background()) == nil)
	// Output:
	// cookie sent: false logged in: false
	// true
}

func ExampleSession_SetExpiryAt() {
	mw, _ := sessions.NewMiddleware(sessions.Options{
		Store: &sessions.MemoryStore{},
		Now:   func() time.Time { return time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC) },
	})
	s := mw.NewSession(context.Background(), "", false)
	s.SetExpiryAt(time.Date(2026, 11, 26, 18, 12, 52, 213363000, time.UTC))
	v, _ := s.Get(sessions.ExpiryKey)
	fmt.Println(v, s.ExpiryAge())
	s.SetExpiry(0)
	fmt.Println(s.ExpireAtBrowserClose())
	// Output:
	// 2026-11-26T18:12:52.213363+00:00 87172
	// true
}

func ExampleMemoryStore() {
	var store sessions.MemoryStore
	ctx := context.Background()
	data := pyjson.NewObject(1)
	data.Set("a", int64(1))
	v1, _ := store.Create(ctx, sessions.Record{Key: "abcdefgh12345678", Data: data, Expiry: time.Now().Add(time.Hour)})
	_, _ = store.Save(ctx, sessions.Record{Key: "abcdefgh12345678", Data: data, Expiry: time.Now().Add(time.Hour), Version: v1})
	_, err := store.Save(ctx, sessions.Record{Key: "abcdefgh12345678", Data: data, Expiry: time.Now().Add(time.Hour), Version: v1})
	fmt.Println(err)
	// Output: sessions: session changed concurrently
}

func ExampleCookieValue() {
	h := http.Header{"Cookie": {`csrftoken=abc; sessionid=first; sessionid="last"`}}
	fmt.Println(sessions.CookieValue(h, "sessionid"))
	// Output: last true
}
