package sessions

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/commit"
	"github.com/dmr-go/dmr/internal/pycompat"
	"github.com/dmr-go/dmr/pyjson"
)

// countingStore counts calls and can fail them.
type countingStore struct {
	Store
	mu       sync.Mutex
	loads    int
	saves    int
	creates  int
	deletes  []string
	failLoad error
	failSave error
	// beforeSave runs before each Save (to simulate a concurrent request).
	beforeSave func()
}

func (c *countingStore) Load(ctx context.Context, key string) (Record, error) {
	c.mu.Lock()
	c.loads++
	err := c.failLoad
	c.mu.Unlock()
	if err != nil {
		return Record{}, err
	}
	return c.Store.Load(ctx, key)
}

func (c *countingStore) Create(ctx context.Context, r Record) (string, error) {
	c.mu.Lock()
	c.creates++
	c.mu.Unlock()
	return c.Store.Create(ctx, r)
}

func (c *countingStore) Save(ctx context.Context, r Record) (string, error) {
	c.mu.Lock()
	c.saves++
	hook, err := c.beforeSave, c.failSave
	c.beforeSave = nil
	c.mu.Unlock()
	if hook != nil {
		hook()
	}
	if err != nil {
		return "", err
	}
	return c.Store.Save(ctx, r)
}

func (c *countingStore) Delete(ctx context.Context, key string) error {
	c.mu.Lock()
	c.deletes = append(c.deletes, key)
	c.mu.Unlock()
	return c.Store.Delete(ctx, key)
}

type env struct {
	t     *testing.T
	mem   *MemoryStore
	store *countingStore
	mw    *Middleware
	log   *bytes.Buffer
	now   time.Time
}

func newEnv(t *testing.T, o Options) *env {
	e := &env{t: t, log: &bytes.Buffer{}, now: fixed}
	e.mem = &MemoryStore{Now: func() time.Time { return e.now }}
	e.store = &countingStore{Store: e.mem}
	if o.CookieStore == nil {
		o.Store = e.store
	}
	o.Logger = slog.New(slog.NewTextHandler(e.log, nil))
	o.Now = func() time.Time { return e.now }
	mw, err := NewMiddleware(o)
	if err != nil {
		t.Fatal(err)
	}
	e.mw = mw
	return e
}

// seed stores a session and returns its key.
func (e *env) seed(d *pyjson.Object) string {
	e.t.Helper()
	key := NewKey()
	if _, err := e.mem.Create(context.Background(), Record{Key: key, Data: d, Expiry: e.now.Add(time.Hour)}); err != nil {
		e.t.Fatal(err)
	}
	return key
}

func (e *env) stored(key string) string {
	e.t.Helper()
	r, err := e.mem.Load(context.Background(), key)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return jsonOf(e.t, r.Data)
}

// do runs handler through the middleware with cookie (if not "") and
// returns the recorder.
func (e *env) do(cookie string, h http.HandlerFunc) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", "/", nil)
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	rec := httptest.NewRecorder()
	e.mw.Handler(h).ServeHTTP(rec, req)
	return rec
}

func cookieOf(rec *httptest.ResponseRecorder) string {
	return strings.SplitN(rec.Header().Get("Set-Cookie"), ";", 2)[0]
}

func TestNewKey(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		k := NewKey()
		if len(k) != 32 || !ValidKey(k) || seen[k] {
			t.Fatalf("bad or repeated key %q", k)
		}
		seen[k] = true
	}
	for _, k := range []string{"", "short", "abcdefg", strings.Repeat("a", 41), "ABCDEFGHIJ", "abcdefgh-", "abcdefgh\x00"} {
		if ValidKey(k) {
			t.Errorf("ValidKey(%q)", k)
		}
	}
	if !ValidKey("abcdefgh") || !ValidKey(strings.Repeat("z9", 20)) {
		t.Error("valid keys rejected")
	}
}

func TestLazyLoadAndFlags(t *testing.T) {
	e := newEnv(t, Options{})
	key := e.seed(obj("foo", "bar"))
	s := e.mw.NewSession(context.Background(), key, true)
	if e.store.loads != 0 || s.Accessed() || s.Modified() || s.IsEmpty() {
		t.Fatal("session loaded or flagged before access")
	}
	if v, ok := s.GetString("foo"); !ok || v != "bar" {
		t.Errorf("Get = %v %v", v, ok)
	}
	s.Get("x")
	s.Keys()
	if e.store.loads != 1 || !s.Accessed() || s.Modified() {
		t.Errorf("loads=%d accessed=%v modified=%v", e.store.loads, s.Accessed(), s.Modified())
	}
	if s.Delete("missing") || s.Modified() {
		t.Error("deleting a missing key modified the session")
	}
	s.Set("n", 3)
	if v, _ := s.Get("n"); v != int64(3) {
		t.Errorf("Set normalizes ints: %T", v)
	}
	if !s.Modified() || s.Key() != key || !s.CookieSent() || s.Len() != 2 || !s.Has("n") {
		t.Error("after Set")
	}
	if v, ok := s.Pop("foo"); !ok || v != "bar" {
		t.Errorf("Pop = %v %v", v, ok)
	}
	if got := strings.Join(s.Keys(), ","); got != "n" {
		t.Errorf("Keys = %s", got)
	}
}

func TestUnknownKeyNeverAdopted(t *testing.T) {
	e := newEnv(t, Options{})
	unknown := NewKey()
	rec := e.do("sessionid="+unknown, func(w http.ResponseWriter, r *http.Request) {
		s := FromContext(r.Context())
		if _, ok := s.Get("x"); ok || s.Key() != "" {
			t.Errorf("unknown key adopted: %q", s.Key())
		}
		s.Set("x", "y")
	})
	got := cookieOf(rec)
	if got == "sessionid="+unknown || !strings.HasPrefix(got, "sessionid=") || len(got) != len("sessionid=")+32 {
		t.Errorf("cookie = %q", got)
	}
	if e.stored(unknown) != "<"+ErrNotFound.Error()+">" {
		t.Error("unknown key stored")
	}
	// Expired keys too.
	key := e.seed(obj("a", 1))
	e.now = e.now.Add(2 * time.Hour)
	s := e.mw.NewSession(context.Background(), key, true)
	if s.Has("a") || s.Key() != "" || !s.IsEmpty() {
		t.Error("expired session adopted")
	}
}

func TestIsEmpty(t *testing.T) {
	e := newEnv(t, Options{})
	if !e.mw.NewSession(context.Background(), "", false).IsEmpty() {
		t.Error("new session not empty")
	}
	s := e.mw.NewSession(context.Background(), NewKey(), true)
	if s.IsEmpty() {
		t.Error("unloaded session with a key is empty")
	}
	s.Len()
	if !s.IsEmpty() {
		t.Error("unknown key loaded: not empty")
	}
	s.Set("a", 1)
	if s.IsEmpty() {
		t.Error("session with data is empty")
	}
}

func TestExpiry(t *testing.T) {
	e := newEnv(t, Options{})
	s := e.mw.NewSession(context.Background(), "", false)
	if s.ExpiryAge() != 1209600 || !s.ExpiryDate().Equal(fixed.Add(DefaultCookieAge)) || s.ExpireAtBrowserClose() {
		t.Errorf("defaults: %d %v %v", s.ExpiryAge(), s.ExpiryDate(), s.ExpireAtBrowserClose())
	}
	s.SetExpiry(300)
	if s.ExpiryAge() != 300 || !s.ExpiryDate().Equal(fixed.Add(300*time.Second)) || s.ExpireAtBrowserClose() {
		t.Error("SetExpiry(300)")
	}
	s.SetExpiry(0)
	if s.ExpiryAge() != 1209600 || !s.ExpireAtBrowserClose() {
		t.Error("SetExpiry(0)")
	}
	at := fixed.Add(36*time.Hour + 500*time.Millisecond)
	s.SetExpiryAt(at)
	v, _ := s.Get(ExpiryKey)
	if v != "2023-11-16T10:13:20.500000+00:00" {
		t.Errorf("ISO expiry = %v", v)
	}
	if s.ExpiryAge() != 36*3600 || !s.ExpiryDate().Equal(at) || s.ExpireAtBrowserClose() {
		t.Errorf("SetExpiryAt: %d %v", s.ExpiryAge(), s.ExpiryDate())
	}
	// In the past: timedelta floors.
	s.SetExpiryAt(fixed.Add(-1500 * time.Millisecond))
	if s.ExpiryAge() != -2 {
		t.Errorf("past expiry age = %d", s.ExpiryAge())
	}
	s.ClearExpiry()
	if s.Has(ExpiryKey) || s.ExpiryAge() != 1209600 {
		t.Error("ClearExpiry")
	}
	if got := pycompat.ISOFormat(time.Date(2026, 11, 26, 18, 12, 52, 0, time.FixedZone("", 2*3600))); got != "2026-11-26T18:12:52+02:00" {
		t.Errorf("PyISOFormat = %s", got)
	}
	e2 := newEnv(t, Options{Settings: Settings{ExpireAtBrowserClose: true, CookieAge: time.Hour}})
	s2 := e2.mw.NewSession(context.Background(), "", false)
	if !s2.ExpireAtBrowserClose() || s2.ExpiryAge() != 3600 {
		t.Error("ExpireAtBrowserClose setting")
	}
	s2.SetExpiry(60)
	if s2.ExpireAtBrowserClose() {
		t.Error("custom expiry overrides the setting")
	}
}

func TestMiddlewareCookies(t *testing.T) {
	e := newEnv(t, Options{})
	var key string
	rec := e.do("", func(w http.ResponseWriter, r *http.Request) {
		s := FromContext(r.Context())
		s.Set("foo", "bar")
		w.WriteHeader(201)
		key = s.Key()
	})
	want := "sessionid=" + key + "; expires=Tue, 28 Nov 2023 22:13:20 GMT; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax"
	if got := rec.Header().Get("Set-Cookie"); got != want || rec.Code != 201 {
		t.Errorf("Set-Cookie = %q (%d), want %q", got, rec.Code, want)
	}
	if rec.Header().Get("Vary") != "Cookie" || e.stored(key) != `{"foo":"bar"}` {
		t.Errorf("Vary %q, stored %s", rec.Header().Get("Vary"), e.stored(key))
	}

	// Read only: no cookie, Vary: Cookie, no save.
	saves, creates := e.store.saves, e.store.creates
	rec = e.do("sessionid="+key, func(w http.ResponseWriter, r *http.Request) {
		FromContext(r.Context()).Get("foo")
	})
	if rec.Header().Get("Set-Cookie") != "" || rec.Header().Get("Vary") != "Cookie" || e.store.saves != saves || e.store.creates != creates {
		t.Errorf("read-only request: %v", rec.Header())
	}
	// Untouched: nothing at all.
	rec = e.do("sessionid="+key, func(w http.ResponseWriter, r *http.Request) {})
	if len(rec.Header()) != 0 {
		t.Errorf("untouched session: %v", rec.Header())
	}
	// Modified but status >= 500: not saved, no cookie.
	rec = e.do("sessionid="+key, func(w http.ResponseWriter, r *http.Request) {
		FromContext(r.Context()).Set("foo", "changed")
		w.WriteHeader(500)
	})
	if rec.Header().Get("Set-Cookie") != "" || e.stored(key) != `{"foo":"bar"}` {
		t.Errorf("500 saved: %v %s", rec.Header(), e.stored(key))
	}
	// Became empty with a cookie sent: cookie deleted.
	rec = e.do("sessionid="+key, func(w http.ResponseWriter, r *http.Request) {
		if err := FromContext(r.Context()).Flush(r.Context()); err != nil {
			t.Error(err)
		}
	})
	if got := rec.Header().Get("Set-Cookie"); got != `sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax` {
		t.Errorf("delete cookie = %q", got)
	}
	if rec.Header().Get("Vary") != "Cookie" || e.stored(key) != "<"+ErrNotFound.Error()+">" {
		t.Error("flush did not delete")
	}
	// A malformed cookie is dropped even if the session is not touched
	// (Django: invalid key -> None -> empty).
	rec = e.do("sessionid=bad", func(w http.ResponseWriter, r *http.Request) {})
	if !strings.HasPrefix(rec.Header().Get("Set-Cookie"), `sessionid="";`) {
		t.Errorf("bad key cookie kept: %v", rec.Header())
	}
}

func TestMiddlewareSettings(t *testing.T) {
	e := newEnv(t, Options{Settings: Settings{
		CookieName: "__Secure-sid", CookieAge: time.Hour, CookieDomain: "example.com", CookiePath: "/app",
		CookieSecure: true, CookieNoHTTPOnly: true, CookieSameSite: http.SameSiteStrictMode,
	}})
	var key string
	rec := e.do("", func(w http.ResponseWriter, r *http.Request) {
		s := FromContext(r.Context())
		s.Set("a", 1)
		w.Header().Set("Vary", "Accept-Encoding")
	})
	key = strings.TrimPrefix(cookieOf(rec), "__Secure-sid=")
	want := "__Secure-sid=" + key + "; Domain=example.com; expires=Tue, 14 Nov 2023 23:13:20 GMT; Max-Age=3600; Path=/app; SameSite=Strict; Secure"
	if got := rec.Header().Get("Set-Cookie"); got != want {
		t.Errorf("Set-Cookie = %q\nwant %q", got, want)
	}
	if got := rec.Header().Values("Vary"); len(got) != 2 || got[1] != "Cookie" {
		t.Errorf("Vary = %q", got)
	}
	rec = e.do("__Secure-sid="+key, func(w http.ResponseWriter, r *http.Request) {
		FromContext(r.Context()).Clear()
	})
	// Cleared: has a key, so not empty: saved with {}.
	if e.stored(key) != "{}" {
		t.Errorf("cleared session stored %s", e.stored(key))
	}
	rec = e.do("__Secure-sid="+key, func(w http.ResponseWriter, r *http.Request) {
		FromContext(r.Context()).Flush(r.Context())
	})
	if got := rec.Header().Get("Set-Cookie"); got != `__Secure-sid=""; Domain=example.com; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/app; SameSite=Strict; Secure` {
		t.Errorf("delete = %q", got)
	}

	// Browser-session cookies and no SameSite attribute.
	e = newEnv(t, Options{Settings: Settings{ExpireAtBrowserClose: true, CookieSameSite: http.SameSiteDefaultMode}})
	rec = e.do("", func(w http.ResponseWriter, r *http.Request) {
		FromContext(r.Context()).Set("a", 1)
	})
	key = strings.TrimPrefix(cookieOf(rec), "sessionid=")
	if got := rec.Header().Get("Set-Cookie"); !ValidKey(key) || got != "sessionid="+key+"; HttpOnly; Path=/" {
		t.Errorf("browser-session cookie = %q", got)
	}

	for _, bad := range []Options{
		{},
		{Store: &MemoryStore{}, CookieStore: &SignedCookieStore{}},
		{Store: &MemoryStore{}, Settings: Settings{CookieAge: 1500 * time.Millisecond}},
		{Store: &MemoryStore{}, Settings: Settings{CookieAge: -time.Second}},
		{Store: &MemoryStore{}, Settings: Settings{CookieName: "a b"}},
		{Store: &MemoryStore{}, Settings: Settings{CookiePath: "/;x"}},
	} {
		if _, err := NewMiddleware(bad); err == nil {
			t.Errorf("NewMiddleware(%+v) succeeded", bad)
		}
	}
}

func TestSaveEveryRequest(t *testing.T) {
	e := newEnv(t, Options{Settings: Settings{SaveEveryRequest: true}})
	key := e.seed(obj("a", 1))
	e.now = e.now.Add(time.Minute)
	rec := e.do("sessionid="+key, func(w http.ResponseWriter, r *http.Request) {})
	if !strings.HasPrefix(rec.Header().Get("Set-Cookie"), "sessionid="+key+";") || e.store.saves != 1 {
		t.Errorf("not saved: %v", rec.Header())
	}
	if r, _ := e.mem.Load(context.Background(), key); !r.Expiry.Equal(e.now.Add(DefaultCookieAge)) {
		t.Errorf("expiry not slid: %v", r.Expiry)
	}
	// Unknown key: empty, cookie deleted, nothing saved.
	rec = e.do("sessionid="+NewKey(), func(w http.ResponseWriter, r *http.Request) {})
	if !strings.HasPrefix(rec.Header().Get("Set-Cookie"), `sessionid="";`) || e.store.creates != 0 {
		t.Errorf("unknown key with SaveEveryRequest: %v", rec.Header())
	}
	// No cookie, nothing touched: empty, nothing sent.
	rec = e.do("", func(w http.ResponseWriter, r *http.Request) {})
	if rec.Header().Get("Set-Cookie") != "" {
		t.Errorf("empty session saved: %v", rec.Header())
	}
}

func TestCycleKey(t *testing.T) {
	e := newEnv(t, Options{})
	old := e.seed(obj("csrf", "x"))
	var newKey string
	rec := e.do("sessionid="+old, func(w http.ResponseWriter, r *http.Request) {
		s := FromContext(r.Context())
		if err := s.CycleKey(r.Context()); err != nil {
			t.Fatal(err)
		}
		s.Set("_auth_user_id", "1")
		newKey = s.Key()
	})
	if newKey == old || !ValidKey(newKey) || cookieOf(rec) != "sessionid="+newKey {
		t.Errorf("cycled key %q, cookie %q", newKey, cookieOf(rec))
	}
	if e.stored(newKey) != `{"csrf":"x","_auth_user_id":"1"}` || !strings.HasPrefix(e.stored(old), "<") {
		t.Errorf("new %s, old %s", e.stored(newKey), e.stored(old))
	}
	if e.store.creates != 1 || e.store.saves != 0 {
		t.Errorf("creates=%d saves=%d", e.store.creates, e.store.saves)
	}
	// On a 500 the old key is still deleted and nothing is created.
	old = e.seed(obj("a", 1))
	e.do("sessionid="+old, func(w http.ResponseWriter, r *http.Request) {
		FromContext(r.Context()).CycleKey(r.Context())
		w.WriteHeader(503)
	})
	if !strings.HasPrefix(e.stored(old), "<") || e.store.creates != 1 {
		t.Errorf("after 503: old %s, creates %d", e.stored(old), e.store.creates)
	}
	// CycleKey then Flush: nothing created, old deleted.
	old = e.seed(obj("a", 1))
	rec = e.do("sessionid="+old, func(w http.ResponseWriter, r *http.Request) {
		s := FromContext(r.Context())
		s.CycleKey(r.Context())
		s.Flush(r.Context())
	})
	if !strings.HasPrefix(e.stored(old), "<") || e.store.creates != 1 || !strings.HasPrefix(rec.Header().Get("Set-Cookie"), `sessionid="";`) {
		t.Errorf("cycle+flush: %s %d %v", e.stored(old), e.store.creates, rec.Header())
	}
}

func TestConcurrentRequestsMerge(t *testing.T) {
	e := newEnv(t, Options{})
	key := e.seed(obj("a", 1, "b", 2, "same", "orig"))
	ctx := context.Background()
	// Two requests load the same session.
	r1 := e.mw.NewSession(ctx, key, true)
	r2 := e.mw.NewSession(ctx, key, true)
	r1.Set("a", 10)
	r1.Set("same", "r1")
	r2.Set("b", 20)
	r2.Delete("a2")
	r2.Set("same", "r2")
	r2.Set("c", 3)
	if err := r1.Commit(ctx, http.Header{}, 200); err != nil {
		t.Fatal(err)
	}
	if err := r2.Commit(ctx, http.Header{}, 200); err != nil {
		t.Fatal(err)
	}
	// Different keys both survive; for the same key the last writer wins.
	if got := e.stored(key); got != `{"a":10,"b":20,"same":"r2","c":3}` {
		t.Errorf("merged = %s", got)
	}

	// A Clear replaces everything, even what a concurrent request added.
	r3 := e.mw.NewSession(ctx, key, true)
	r4 := e.mw.NewSession(ctx, key, true)
	r3.Get("a")
	r4.Clear()
	r4.Set("only", true)
	r3.Set("d", 4)
	r3.Commit(ctx, http.Header{}, 200)
	if err := r4.Commit(ctx, http.Header{}, 200); err != nil {
		t.Fatal(err)
	}
	if got := e.stored(key); got != `{"only":true}` {
		t.Errorf("after clear = %s", got)
	}

	// A delete survives a concurrent change of another key.
	r5 := e.mw.NewSession(ctx, key, true)
	r6 := e.mw.NewSession(ctx, key, true)
	r5.Pop("only")
	r5.Set("x", 1)
	r6.Set("y", 2)
	r6.Commit(ctx, http.Header{}, 200)
	if err := r5.Commit(ctx, http.Header{}, 200); err != nil {
		t.Fatal(err)
	}
	if got := e.stored(key); got != `{"y":2,"x":1}` {
		t.Errorf("after delete = %s", got)
	}
}

func TestConflictRetriesBounded(t *testing.T) {
	e := newEnv(t, Options{MaxSaveAttempts: 3})
	key := e.seed(obj("a", 1))
	e.store.failSave = ErrConflict
	s := e.mw.NewSession(context.Background(), key, true)
	s.Set("a", 2)
	err := s.Commit(context.Background(), http.Header{}, 200)
	if !errors.Is(err, ErrConflict) || e.store.saves != 3 {
		t.Errorf("err %v after %d saves", err, e.store.saves)
	}
}

func TestInterrupted(t *testing.T) {
	e := newEnv(t, Options{})
	key := e.seed(obj("a", 1))
	rec := e.do("sessionid="+key, func(w http.ResponseWriter, r *http.Request) {
		s := FromContext(r.Context())
		s.Set("a", 2)
		// A concurrent logout deletes the session.
		e.mem.Delete(r.Context(), key)
		w.Write([]byte("handler body"))
	})
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), interruptedMsg) || strings.Contains(rec.Body.String(), "handler body") {
		t.Errorf("%d %q", rec.Code, rec.Body.String())
	}
	if rec.Header().Get("Set-Cookie") != "" || e.stored(key) != "<"+ErrNotFound.Error()+">" {
		t.Error("interrupted session saved or cookie set")
	}
	// Deleted between a conflict and the reload.
	key = e.seed(obj("a", 1))
	s := e.mw.NewSession(context.Background(), key, true)
	s.Set("b", 1)
	e.store.beforeSave = func() {
		e.mem.Save(context.Background(), Record{Key: key, Data: obj("z", 1), Expiry: e.now.Add(time.Hour)})
		e.mem.Delete(context.Background(), key)
	}
	err := s.Commit(context.Background(), http.Header{}, 200)
	var ie *InterruptedError
	if !errors.Is(err, ErrInterrupted) || !errors.As(err, &ie) || ie.Key != key || !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v", err)
	}
	ae, ok := apierror.As(err)
	if !ok || ae.Status != 400 || ae.Details[0].Msg != "The request's session was deleted before the request completed. The user may have logged out in a concurrent request, for example." {
		t.Errorf("APIError = %+v", ae)
	}
}

func TestLoadErrorNeverOverwrites(t *testing.T) {
	e := newEnv(t, Options{})
	key := e.seed(obj("a", 1))
	e.store.failLoad = errors.New("connection refused")
	var loadErr error
	rec := e.do("sessionid="+key, func(w http.ResponseWriter, r *http.Request) {
		s := FromContext(r.Context())
		if s.Has("a") {
			t.Error("data despite load error")
		}
		loadErr = s.Err()
		s.Set("b", 2)
		if err := s.CycleKey(r.Context()); err == nil {
			t.Error("CycleKey ignored the load error")
		}
	})
	if loadErr == nil || rec.Code != 500 || rec.Header().Get("Set-Cookie") != "" {
		t.Errorf("load error: %v, %d %v", loadErr, rec.Code, rec.Header())
	}
	e.store.failLoad = nil
	if e.stored(key) != `{"a":1}` || e.store.saves != 0 || e.store.creates != 0 {
		t.Errorf("stored data touched: %s", e.stored(key))
	}
	e.store.failLoad = errors.New("down")
	s := e.mw.NewSession(context.Background(), key, true)
	if err := s.Load(); err == nil {
		t.Error("Load hid the error")
	}
	// An error response stays as it is.
	if err := s.Commit(context.Background(), http.Header{}, 502); err != nil {
		t.Errorf("commit on 502: %v", err)
	}
}

func TestLateChangeLogged(t *testing.T) {
	e := newEnv(t, Options{})
	e.do("", func(w http.ResponseWriter, r *http.Request) {
		s := FromContext(r.Context())
		w.Write([]byte("x"))
		s.Set("late", 1)
	})
	if !strings.Contains(e.log.String(), "level=ERROR") || !strings.Contains(e.log.String(), "Set late") {
		t.Errorf("log = %s", e.log.String())
	}
	if e.mem.Len() != 0 {
		t.Error("late change saved")
	}
}

func TestHandlerWithoutWriteStillCommits(t *testing.T) {
	e := newEnv(t, Options{})
	rec := e.do("", func(w http.ResponseWriter, r *http.Request) {
		FromContext(r.Context()).Set("a", 1)
	})
	if rec.Code != 200 || cookieOf(rec) == "" || e.mem.Len() != 1 {
		t.Errorf("%d %v", rec.Code, rec.Header())
	}
	// An outer wrapper (API layer style): the middleware does not Finish it;
	// the outer layer runs the commit.
	var inner http.ResponseWriter
	h := e.mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inner = w
		FromContext(r.Context()).Set("b", 2)
	}))
	outer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = commit.Register(r, func(context.Context, http.Header, int) error { return nil })
		cw := commit.Wrap(w, r, nil)
		h.ServeHTTP(cw, r)
		if commit.Done(r.Context()) {
			t.Error("inner middleware committed the outer writer")
		}
		if inner != cw {
			t.Error("writer wrapped twice")
		}
		cw.(*commit.ResponseWriter).Finish()
	})
	rec = httptest.NewRecorder()
	outer.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if cookieOf(rec) == "" || e.mem.Len() != 2 {
		t.Errorf("outer commit: %v", rec.Header())
	}
}

func TestCommitByAPILayer(t *testing.T) {
	// An API layer calls commit.Run with the status it is about to send.
	e := newEnv(t, Options{})
	key := e.seed(obj("a", 1))
	rec := e.do("sessionid="+key, func(w http.ResponseWriter, r *http.Request) {
		FromContext(r.Context()).Set("a", 2)
		e.mem.Delete(r.Context(), key)
		err := commit.Run(r.Context(), w.Header(), 200)
		if ae, ok := apierror.As(err); !ok || ae.Status != 400 {
			t.Errorf("commit.Run = %v", err)
		}
		w.WriteHeader(400)
	})
	if rec.Code != 400 {
		t.Errorf("code %d", rec.Code)
	}
}

func TestCookieValue(t *testing.T) {
	tests := []struct {
		header []string
		want   string
		ok     bool
	}{
		{nil, "", false},
		{[]string{"a=1; sessionid=abc; b=2"}, "abc", true},
		{[]string{"sessionid=first; sessionid=last"}, "last", true},
		{[]string{"sessionid=first", "x=1; sessionid=second"}, "second", true},
		{[]string{`sessionid="quoted\"\\\101"`}, `quoted"\A`, true},
		{[]string{"  sessionid  =  spaced  "}, "spaced", true},
		{[]string{"sessionid="}, "", true},
		{[]string{"sessionidx=1; xsessionid=2"}, "", false},
		{[]string{"sessionid"}, "", false},
		{[]string{"a=b=c; sessionid=x=y"}, "x=y", true},
	}
	for _, tt := range tests {
		h := http.Header{"Cookie": tt.header}
		got, ok := CookieValue(h, "sessionid")
		if got != tt.want || ok != tt.ok {
			t.Errorf("%q: %q %v, want %q %v", tt.header, got, ok, tt.want, tt.ok)
		}
	}
}

// TestMemoryStore checks what the conformance suite (conformance_test.go)
// does not: Exists, reuse of an expired key, ClearExpired's removal and
// unmarshalable data.
func TestMemoryStore(t *testing.T) {
	now := fixed
	s := &MemoryStore{Now: func() time.Time { return now }}
	ctx := context.Background()
	if _, err := s.Create(ctx, Record{Key: "k1234567", Data: obj("a", 1), Expiry: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Exists(ctx, "k1234567"); !ok {
		t.Error("Exists")
	}
	now = now.Add(time.Minute)
	if ok, _ := s.Exists(ctx, "k1234567"); ok {
		t.Error("expired exists")
	}
	if _, err := s.Create(ctx, Record{Key: "k1234567", Data: obj(), Expiry: now.Add(time.Minute)}); err != nil {
		t.Errorf("create over expired: %v", err)
	}
	s.Create(ctx, Record{Key: "old12345", Expiry: now})
	s.ClearExpired(ctx)
	if s.Len() != 1 {
		t.Errorf("ClearExpired left %d", s.Len())
	}
	s.Delete(ctx, "k1234567")
	if s.Len() != 0 {
		t.Error("Delete")
	}
	if _, err := s.Create(ctx, Record{Key: "bad12345", Data: obj("f", func() {})}); err == nil {
		t.Error("unmarshalable data stored")
	}
}

var discard = slog.New(slog.DiscardHandler)

// recorder is a minimal ResponseWriter for fuzzing (httptest.ResponseRecorder
// works too, but this avoids its per-call allocations).
type recorder struct {
	h    http.Header
	code int
}

func newRecorder() *recorder                    { return &recorder{h: http.Header{}} }
func (r *recorder) Header() http.Header         { return r.h }
func (r *recorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}

func TestParallelRequestsAllSurvive(t *testing.T) {
	e := newEnv(t, Options{MaxSaveAttempts: 100})
	key := e.seed(obj())
	const n = 20
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := e.do("sessionid="+key, func(w http.ResponseWriter, r *http.Request) {
				FromContext(r.Context()).Set("k"+strings.Repeat("x", i), i)
			})
			if rec.Code != 200 {
				t.Errorf("request %d: %d", i, rec.Code)
			}
		}()
	}
	wg.Wait()
	r, err := e.mem.Load(context.Background(), key)
	if err != nil || r.Data.Len() != n {
		t.Errorf("%d of %d keys survived (%v)", r.Data.Len(), n, err)
	}
}
