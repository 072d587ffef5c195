package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/auth/hashers"
	"github.com/dmr-go/dmr/sessions"
)

// TestSessionAuthHashVectors reproduces Django's get_session_auth_hash and
// its fallback variant.
func TestSessionAuthHashVectors(t *testing.T) {
	const pw = "pbkdf2_sha256$600000$seasalt$abc="
	a, err := New(Options{SecretKey: []byte(testSK), Users: &MemoryUsers{}})
	if err != nil {
		t.Fatal(err)
	}
	if got := a.SessionAuthHash(pw); got != "96b8b771fa611b472c044a35bf0e96d35f932046cb025f1736085488001ece60" {
		t.Errorf("SessionAuthHash = %s", got)
	}
	if got := sessionAuthHash([]byte("old-secret-key"), pw, "sha256"); got != "cc6783b67396e3a09963f73dbdfec552ad87cd05482f850b51ea74414ba765df" {
		t.Errorf("fallback hash = %s", got)
	}
}

// TestLoginSessionFixation: the pre-login key never survives login, data
// set while anonymous does, and Django's three keys are stored.
func TestLoginSessionFixation(t *testing.T) {
	e := newEnv(t, Options{})
	u := e.mustCreate("alice", "s3cret", nil)
	b := browser{}
	var oldToken string
	e.do(b, func(ctx context.Context) {
		sessions.FromContext(ctx).Set("cart", "3 apples")
	})
	e.do(b, func(ctx context.Context) {}) // get the CSRF cookie
	preKey := b["sessionid"]
	if preKey == "" {
		t.Fatal("no session before login")
	}
	oldToken = b["csrftoken"]

	before := time.Now()
	e.do(b, func(ctx context.Context) {
		got, err := e.a.Authenticate(ctx, Credentials{"username": "alice", "password": "s3cret"})
		if err != nil || got == nil || got.ID != u.ID || got.Backend != DefaultBackendPath {
			t.Fatalf("Authenticate = %+v, %v", got, err)
		}
		if err := e.a.Login(ctx, got); err != nil {
			t.Fatal(err)
		}
		if cu := UserFromContext(ctx); cu.ID != u.ID {
			t.Errorf("current user after Login = %v", cu)
		}
	})
	key := b["sessionid"]
	if key == "" || key == preKey {
		t.Fatalf("session key after login %q (before %q)", key, preKey)
	}
	if _, ok := e.stored(preKey); ok {
		t.Error("the pre-login session still exists")
	}
	rec, ok := e.stored(key)
	if !ok {
		t.Fatal("no stored session after login")
	}
	want := map[string]string{
		"cart":            "3 apples",
		SessionKeyUserID:  u.ID,
		SessionKeyBackend: DefaultBackendPath,
		SessionKeyHash:    e.a.SessionAuthHash(u.Password),
	}
	for k, v := range want {
		if got, _ := rec.Data.Get(k); got != v {
			t.Errorf("session[%s] = %v, want %v", k, got, v)
		}
	}
	if b["csrftoken"] == "" || b["csrftoken"] == oldToken {
		t.Error("login did not rotate the CSRF secret")
	}
	stored, _ := e.users.UserByID(context.Background(), u.ID)
	if stored.LastLogin == nil || stored.LastLogin.Before(before) {
		t.Errorf("last_login = %v", stored.LastLogin)
	}
	if cu := e.current(b); cu.ID != u.ID || !cu.IsAuthenticated() {
		t.Errorf("next request's user = %v", cu)
	}

	// Logging in again as the same user keeps the session and its key.
	e.login(b, "alice", "s3cret")
	if b["sessionid"] != key {
		t.Error("re-login as the same user changed the key")
	}
	// Another user: the session is flushed (data dropped, new key).
	e.mustCreate("bob", "pw", nil)
	e.login(b, "bob", "pw")
	if b["sessionid"] == key {
		t.Error("login as another user kept the key")
	}
	if _, ok := e.stored(key); ok {
		t.Error("the other user's session still exists")
	}
	rec, _ = e.stored(b["sessionid"])
	if rec.Data.Len() != 3 || rec.Data.Keys()[0] != SessionKeyUserID {
		t.Errorf("session after switching users: %v", rec.Data.Keys())
	}
}

func TestLogout(t *testing.T) {
	e := newEnv(t, Options{})
	e.mustCreate("alice", "s3cret", nil)
	b := browser{}
	e.login(b, "alice", "s3cret")
	key := b["sessionid"]
	res := e.do(b, func(ctx context.Context) {
		if !UserFromContext(ctx).IsAuthenticated() {
			t.Error("not logged in before logout")
		}
		if err := e.a.Logout(ctx); err != nil {
			t.Fatal(err)
		}
		if u := UserFromContext(ctx); u.IsAuthenticated() || u.String() != "AnonymousUser" {
			t.Errorf("user after Logout = %v", u)
		}
	})
	if _, ok := e.stored(key); ok {
		t.Error("session row survived logout")
	}
	if _, ok := b["sessionid"]; ok {
		t.Errorf("session cookie not deleted: %v", res.Header.Values("Set-Cookie"))
	}
	if u := e.current(b); u.IsAuthenticated() {
		t.Errorf("user after logout = %v", u)
	}
	// Replaying the old cookie does not log anyone in.
	if u := e.current(browser{"sessionid": key}); u.IsAuthenticated() {
		t.Error("old session key still logged in")
	}
}

func TestInactiveUser(t *testing.T) {
	e := newEnv(t, Options{})
	e.mustCreate("sleepy", "pw", func(n *NewUser) { n.Inactive = true })
	ctx := context.Background()
	if u, err := e.a.Authenticate(ctx, Credentials{"username": "sleepy", "password": "pw"}); u != nil || err != nil {
		t.Errorf("inactive user authenticated: %v, %v", u, err)
	}
	// Deactivated while logged in: anonymous, the session is left alone.
	active := e.mustCreate("alice", "pw", nil)
	b := browser{}
	e.login(b, "alice", "pw")
	key := b["sessionid"]
	e.users.update(active.ID, func(u *User) { u.IsActive = false })
	if u := e.current(b); u.IsAuthenticated() {
		t.Error("deactivated user still logged in")
	}
	if _, ok := e.stored(key); !ok || b["sessionid"] != key {
		t.Error("the session of a deactivated user was touched")
	}
	// AllowAllUsersModelBackend.
	e2 := newEnv(t, Options{Backends: []Backend{&ModelBackend{AllowInactive: true}}})
	e2.mustCreate("sleepy", "pw", func(n *NewUser) { n.Inactive = true })
	if u, _ := e2.a.Authenticate(ctx, Credentials{"username": "sleepy", "password": "pw"}); u == nil {
		t.Error("AllowInactive refused an inactive user")
	}
}

// TestUnknownUserHashesDummy: timing equalisation is asserted by the work
// done, not by the time taken.
func TestUnknownUserHashesDummy(t *testing.T) {
	ch := &countingHasher{Hasher: &hashers.PBKDF2{Iterations: 2}}
	e := newEnv(t, Options{Hashers: &hashers.Hashers{List: []hashers.Hasher{ch}}})
	e.mustCreate("alice", "pw", nil)
	ctx := context.Background()
	tests := []struct {
		name              string
		creds             Credentials
		encodes, verifies int32
		ok                bool
	}{
		{"unknown username: one dummy hash", Credentials{"username": "mallory", "password": "x"}, 1, 0, false},
		{"wrong password: one check", Credentials{"username": "alice", "password": "x"}, 0, 1, false},
		{"right password: one check", Credentials{"username": "alice", "password": "pw"}, 0, 1, true},
		{"no password: no hashing", Credentials{"username": "alice"}, 0, 0, false},
		{"no username: no hashing", Credentials{"password": "pw"}, 0, 0, false},
		{"case differs: unknown", Credentials{"username": "Alice", "password": "pw"}, 1, 0, false},
	}
	for _, tt := range tests {
		ch.encodes.Store(0)
		ch.verifies.Store(0)
		u, err := e.a.Authenticate(ctx, tt.creds)
		if err != nil || (u != nil) != tt.ok || ch.encodes.Load() != tt.encodes || ch.verifies.Load() != tt.verifies {
			t.Errorf("%s: user %v, err %v, %d encodes, %d verifies", tt.name, u, err, ch.encodes.Load(), ch.verifies.Load())
		}
	}
}

func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	e := newEnv(t, Options{})
	e.mustCreate("alice", "old", nil)
	laptop, phone := browser{}, browser{}
	e.login(laptop, "alice", "old")
	e.login(phone, "alice", "old")
	laptopKey, phoneKey := laptop["sessionid"], phone["sessionid"]
	e.do(laptop, func(ctx context.Context) {
		if err := e.a.ChangePassword(ctx, UserFromContext(ctx), "new"); err != nil {
			t.Fatal(err)
		}
	})
	if laptop["sessionid"] == laptopKey {
		t.Error("password change did not cycle the current session's key")
	}
	if u := e.current(laptop); u.Username != "alice" {
		t.Errorf("current session logged out by its own password change: %v", u)
	}
	if u := e.current(phone); u.IsAuthenticated() {
		t.Error("other session survived the password change")
	}
	if _, ok := e.stored(phoneKey); ok {
		t.Error("other session was not flushed")
	}
	if u, _ := e.a.Authenticate(context.Background(), Credentials{"username": "alice", "password": "new"}); u == nil {
		t.Error("new password does not work")
	}
	// Login with a session whose hash is stale flushes it.
	stale := browser{"sessionid": laptop["sessionid"]}
	e.users.update("1", func(u *User) {
		u.Password, _ = (&hashers.PBKDF2{Iterations: 2}).Encode("other", "abcdefghijklmnopqrstuv")
	})
	e.login(stale, "alice", "other")
	if stale["sessionid"] == laptop["sessionid"] {
		t.Error("login over a stale-hash session kept its key")
	}
}

func TestSecretKeyFallbacks(t *testing.T) {
	users := &MemoryUsers{}
	old := newEnv(t, Options{SecretKey: []byte("old-secret-key"), Users: users})
	old.mustCreate("alice", "pw", nil)
	b := browser{}
	old.login(b, "alice", "pw")
	key := b["sessionid"]

	rotated := newEnv(t, Options{SecretKey: []byte(testSK), FallbackKeys: [][]byte{[]byte("old-secret-key")}, Users: users})
	rotated.store = old.store
	rotated.wrap = rebind(t, rotated, old.store)
	if u := rotated.current(b); u.Username != "alice" {
		t.Fatalf("fallback key not accepted: %v", u)
	}
	if b["sessionid"] == key {
		t.Error("session key not cycled after a fallback-key match")
	}
	rec, ok := rotated.stored(b["sessionid"])
	u, _ := users.UserByUsername(context.Background(), "alice")
	if h, _ := rec.Data.Get(SessionKeyHash); !ok || h != rotated.a.SessionAuthHash(u.Password) {
		t.Errorf("hash not rewritten with the current key: %v", h)
	}
	if u := rotated.current(b); u.Username != "alice" {
		t.Error("rewritten session not accepted")
	}

	// Without the fallback, the old session is flushed.
	b2 := browser{}
	old.login(b2, "alice", "pw")
	strict := newEnv(t, Options{SecretKey: []byte(testSK), Users: users})
	strict.wrap = rebind(t, strict, old.store)
	if u := strict.current(b2); u.IsAuthenticated() {
		t.Error("session hashed with an unknown key accepted")
	}
	if _, ok := old.stored(b2["sessionid"]); ok {
		t.Error("rejected session not flushed")
	}
}

// rebind makes e's stack use store (two Auth configurations sharing sessions).
func rebind(t *testing.T, e *env, store *sessions.MemoryStore) func(http.Handler) http.Handler {
	sm, err := sessions.NewMiddleware(sessions.Options{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	e.store = store
	return func(h http.Handler) http.Handler { return sm.Handler(e.a.Middleware(h)) }
}

func TestLegacy32Hash(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		e := newEnv(t, Options{Legacy32: legacy})
		u := e.mustCreate("alice", "pw", nil)
		b := browser{}
		e.do(b, func(ctx context.Context) {
			s := sessions.FromContext(ctx)
			s.Set(SessionKeyUserID, "1")
			s.Set(SessionKeyBackend, DefaultBackendPath)
			s.Set(SessionKeyHash, sessionAuthHash([]byte(testSK), u.Password, "sha1"))
		})
		if got := e.current(b).IsAuthenticated(); got != legacy {
			t.Errorf("Legacy32=%v: sha1 session hash accepted = %v", legacy, got)
		}
	}
}

func TestGetUserEdgeCases(t *testing.T) {
	e := newEnv(t, Options{})
	u := e.mustCreate("alice", "pw", nil)
	good := e.a.SessionAuthHash(u.Password)
	tests := []struct {
		name          string
		data          map[string]any
		authenticated bool
		flushed       bool
	}{
		{"complete", map[string]any{SessionKeyUserID: "1", SessionKeyBackend: DefaultBackendPath, SessionKeyHash: good}, true, false},
		{"id as number", map[string]any{SessionKeyUserID: int64(1), SessionKeyBackend: DefaultBackendPath, SessionKeyHash: good}, true, false},
		{"no backend", map[string]any{SessionKeyUserID: "1", SessionKeyHash: good}, false, false},
		{"unknown backend", map[string]any{SessionKeyUserID: "1", SessionKeyBackend: "myapp.Backend", SessionKeyHash: good}, false, false},
		{"unknown user", map[string]any{SessionKeyUserID: "99", SessionKeyBackend: DefaultBackendPath, SessionKeyHash: good}, false, false},
		{"bad id", map[string]any{SessionKeyUserID: "abc", SessionKeyBackend: DefaultBackendPath, SessionKeyHash: good}, false, false},
		{"no hash", map[string]any{SessionKeyUserID: "1", SessionKeyBackend: DefaultBackendPath}, false, true},
		{"wrong hash", map[string]any{SessionKeyUserID: "1", SessionKeyBackend: DefaultBackendPath, SessionKeyHash: "00"}, false, true},
	}
	for _, tt := range tests {
		b := browser{}
		e.do(b, func(ctx context.Context) {
			s := sessions.FromContext(ctx)
			s.Set("other", "x")
			for k, v := range tt.data {
				s.Set(k, v)
			}
		})
		key := b["sessionid"]
		cu := e.current(b)
		_, exists := e.stored(key)
		if cu.IsAuthenticated() != tt.authenticated || exists == tt.flushed {
			t.Errorf("%s: authenticated %v, session exists %v", tt.name, cu.IsAuthenticated(), exists)
		}
	}
}

// denyBackend refuses everyone.
type denyBackend struct{ calls int }

func (d *denyBackend) Path() string { return "tests.Deny" }
func (d *denyBackend) Authenticate(ctx context.Context, c Credentials) (*User, error) {
	d.calls++
	return nil, &PermissionDeniedError{Msg: "Locked out"}
}
func (d *denyBackend) GetUser(ctx context.Context, id string) (*User, error) { return nil, nil }

func TestBackendChain(t *testing.T) {
	deny := &denyBackend{}
	model := &ModelBackend{}
	e := newEnv(t, Options{Backends: []Backend{model, deny}})
	e.mustCreate("alice", "pw", nil)
	ctx := context.Background()
	// First non-nil wins: the model backend answers, deny is never asked.
	if u, err := e.a.Authenticate(ctx, Credentials{"username": "alice", "password": "pw"}); u == nil || err != nil || deny.calls != 0 {
		t.Errorf("model first: %v, %v, deny calls %d", u, err, deny.calls)
	}
	// Wrong password: model says nil, deny is asked and stops the chain.
	_, err := e.a.Authenticate(ctx, Credentials{"username": "alice", "password": "x"})
	if !errors.Is(err, ErrPermissionDenied) || deny.calls != 1 {
		t.Errorf("deny: %v, calls %d", err, deny.calls)
	}
	if ae, ok := apierror.As(err); !ok || ae.Status != http.StatusForbidden || ae.Details[0].Msg != "Locked out" {
		t.Errorf("API form: %+v", ae)
	}
	// Deny first: the model backend is never reached.
	ch := &countingHasher{Hasher: &hashers.PBKDF2{Iterations: 2}}
	e2 := newEnv(t, Options{Backends: []Backend{&denyBackend{}, &ModelBackend{}}, Hashers: &hashers.Hashers{List: []hashers.Hasher{ch}}})
	if _, err := e2.a.Authenticate(ctx, Credentials{"username": "alice", "password": "pw"}); !errors.Is(err, ErrPermissionDenied) || ch.verifies.Load()+ch.encodes.Load() != 0 {
		t.Errorf("deny first: %v", err)
	}
	// Login with several backends needs the user's Backend.
	e.do(browser{}, func(ctx context.Context) {
		u, _ := e.users.UserByUsername(ctx, "alice")
		if err := e.a.Login(ctx, u); err == nil {
			t.Error("Login without a backend among several succeeded")
		}
	})
}

func TestRehashOnLogin(t *testing.T) {
	e := newEnv(t, Options{Hashers: &hashers.Hashers{List: []hashers.Hasher{&hashers.PBKDF2{Iterations: 3}, hashers.MD5{}}}})
	u := e.mustCreate("alice", "pw", nil)
	md5, _ := hashers.MD5{}.Encode("pw", "seasalt")
	e.users.update(u.ID, func(u *User) { u.Password = md5 })
	got, err := e.a.Authenticate(context.Background(), Credentials{"username": "alice", "password": "pw"})
	if err != nil || got == nil {
		t.Fatal(got, err)
	}
	stored, _ := e.users.UserByID(context.Background(), u.ID)
	if stored.Password == md5 || got.Password != stored.Password || hashers.Identify(stored.Password) != "pbkdf2_sha256" {
		t.Errorf("not rehashed: %s", stored.Password)
	}
	// A failed check does not rehash.
	e.users.update(u.ID, func(u *User) { u.Password = md5 })
	e.a.Authenticate(context.Background(), Credentials{"username": "alice", "password": "x"})
	if stored, _ := e.users.UserByID(context.Background(), u.ID); stored.Password != md5 {
		t.Error("rehashed after a failed check")
	}
}

func TestHashingBusy(t *testing.T) {
	// One hashing slot, no queueing; the slot is held by a blocked hash.
	release := make(chan struct{})
	started := make(chan struct{})
	gate := &gateHasher{started: started, release: release}
	e := newEnv(t, Options{Hashers: &hashers.Hashers{List: []hashers.Hasher{gate}, MaxConcurrent: 1, MaxWait: -1}})
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.a.Authenticate(context.Background(), Credentials{"username": "nobody", "password": "x"})
	}()
	<-started
	_, err := e.a.Authenticate(context.Background(), Credentials{"username": "nobody", "password": "x"})
	if !errors.Is(err, hashers.ErrBusy) {
		t.Errorf("flooded Authenticate: %v", err)
	}
	if ae, ok := apierror.As(err); !ok || ae.Status != 503 || ae.Header.Get("Retry-After") == "" {
		t.Errorf("API form: %+v", ae)
	}
	close(release)
	<-done
}

type gateHasher struct {
	hashers.PBKDF2
	started chan struct{}
	release chan struct{}
}

func (g *gateHasher) Encode(pw, salt string) (string, error) {
	g.started <- struct{}{}
	<-g.release
	return "gate$" + salt, nil
}

func TestMiddlewareWithoutSessions(t *testing.T) {
	e := newEnv(t, Options{})
	w := httptest.NewRecorder()
	e.a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("handler ran without a session")
	})).ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Code != 500 {
		t.Errorf("status %d", w.Code)
	}
	if u := UserFromContext(context.Background()); u == nil || u.IsAuthenticated() {
		t.Error("UserFromContext without middleware")
	}
	if _, err := CurrentUser(context.Background()); !errors.Is(err, ErrNoMiddleware) {
		t.Error(err)
	}
	if err := e.a.Login(context.Background(), &User{ID: "1"}); !errors.Is(err, ErrNoSession) {
		t.Error(err)
	}
}

func TestCreateUser(t *testing.T) {
	e := newEnv(t, Options{})
	u := e.mustCreate("ﬁx", "pw", func(n *NewUser) { n.Email = " Bob.Smith@EXAMPLE.Com " })
	if u.Username != "fix" || u.Email != "Bob.Smith@example.com" || !u.IsActive || u.IsStaff || u.DateJoined.IsZero() {
		t.Errorf("%+v", u)
	}
	if _, err := e.a.CreateUser(context.Background(), NewUser{Username: "fix", Password: "x"}); !errors.Is(err, ErrUsernameTaken) {
		t.Errorf("duplicate: %v", err)
	}
	n := e.mustCreate("nopw", "", func(n *NewUser) { n.NoPassword = true })
	if hashers.IsUsable(n.Password) {
		t.Error("NoPassword gave a usable password")
	}
	if NormalizeEmail("no-at-sign ") != "no-at-sign " {
		t.Error("NormalizeEmail changed an address without @")
	}
}

func TestNewValidation(t *testing.T) {
	for name, o := range map[string]Options{
		"no secret":    {Users: &MemoryUsers{}},
		"no users":     {SecretKey: []byte("k")},
		"no backends":  {SecretKey: []byte("k"), Users: &MemoryUsers{}, Backends: []Backend{}},
		"dup backends": {SecretKey: []byte("k"), Users: &MemoryUsers{}, Backends: []Backend{&ModelBackend{}, &ModelBackend{}}},
		"bad hashers":  {SecretKey: []byte("k"), Users: &MemoryUsers{}, Hashers: &hashers.Hashers{List: []hashers.Hasher{}}},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
}
