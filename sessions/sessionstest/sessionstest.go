package sessionstest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dmr-go/dmr/internal/fakeclock"
	"github.com/dmr-go/dmr/pyjson"
	"github.com/dmr-go/dmr/sessions"
)

// NewStore returns a fresh, empty store for one subtest, whose notion of the
// current time is now (pass it as the store's Now option). A store whose
// expiry is kept by a server (Redis TTLs) may ignore now for expiring: the
// clock the suite passes starts at the real time, and the suite waits up to
// ExpiryWait of real time for an expired session to disappear.
type NewStore func(t *testing.T, now func() time.Time) sessions.Store

// ExpiryWait is how long, in real time, Run waits for a session whose expiry
// has passed on the suite's clock to stop loading. Stores that follow the
// clock they are given stop at once; stores whose expiry a server keeps need
// the real time to pass too.
const ExpiryWait = 5 * time.Second

// Run checks the sessions.Store contract against stores made by newStore, as
// subtests of t:
//
//   - Load of a missing key is ErrNotFound; Create then Load gives the data
//     back (values and key order) with a Version, and Expiry to the second;
//   - Create of a taken key is ErrKeyExists and keeps the stored session;
//   - Save replaces the session when Version matches the stored one (from
//     Create or from Load), is ErrConflict when another save came between,
//     replaces unconditionally when Version is empty, and is ErrNotFound once
//     the session is deleted;
//   - Delete of a missing key is not an error;
//   - records passed in are not modified, and records loaded are the caller's
//     own (changing one changes nothing stored);
//   - a session past its Expiry does not load (created already expired, or
//     once the clock passes it), and ClearExpired keeps live sessions;
//   - keys are independent, up to 40 characters;
//   - goroutines doing load/modify/save with retries on ErrConflict lose no
//     write; two requests through sessions.Middleware that change one session
//     at the same time both keep their changes, and one whose session is
//     deleted meanwhile fails with *sessions.InterruptedError.
func Run(t *testing.T, newStore NewStore) {
	t.Helper()
	for _, tc := range []struct {
		name string
		f    func(t *testing.T, st sessions.Store, clk *fakeclock.Clock)
	}{
		{"LoadMissing", testLoadMissing},
		{"CreateLoad", testCreateLoad},
		{"CreateTaken", testCreateTaken},
		{"SaveCompareAndSwap", testSaveCAS},
		{"SaveUnconditional", testSaveUnconditional},
		{"Delete", testDelete},
		{"RecordsNotShared", testRecordsNotShared},
		{"CreatedExpired", testCreatedExpired},
		{"Expires", testExpires},
		{"ClearExpiredKeepsLive", testClearExpired},
		{"KeysIndependent", testKeysIndependent},
		{"ConcurrentWriters", testConcurrentWriters},
		{"ConcurrentRequests", testConcurrentRequests},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := fakeclock.New(time.Now().Truncate(time.Second))
			st := newStore(t, clk.Now)
			if st == nil {
				t.Fatal("newStore returned nil")
			}
			tc.f(t, st, clk)
		})
	}
}

// key returns a session key like sessions.NewKey's, distinct per name.
func key(name string) string {
	k := strings.ToLower(strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, name))
	return (k + strings.Repeat("0", 32))[:32]
}

func obj(kv ...any) *pyjson.Object {
	o := pyjson.NewObject(len(kv) / 2)
	for i := 0; i < len(kv); i += 2 {
		o.Set(kv[i].(string), kv[i+1])
	}
	return o
}

// dump writes o's keys and values in order, as Python would print them
// with json.dumps.
func dump(t *testing.T, o *pyjson.Object) string {
	t.Helper()
	if o == nil {
		return "<nil>"
	}
	b, err := pyjson.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// richData is a session dict with every JSON type Django sessions hold.
func richData() *pyjson.Object {
	return obj(
		"_auth_user_id", "42",
		"_auth_user_backend", "django.contrib.auth.backends.ModelBackend",
		"_auth_user_hash", strings.Repeat("ab", 32),
		"zeta", int64(-7),
		"alpha", 1.5,
		"text", "été \U0001F40D \"quoted\" \\ \n",
		"yes", true,
		"none", nil,
		"list", []any{int64(1), "two", []any{}, obj("x", int64(3))},
		"nested", obj("b", int64(2), "a", obj()),
	)
}

func mustLoad(t *testing.T, st sessions.Store, k string) sessions.Record {
	t.Helper()
	r, err := st.Load(context.Background(), k)
	if err != nil {
		t.Fatalf("Load(%q) = %v", k, err)
	}
	if r.Shared {
		// The caller's part of the contract (Record.Shared): the tests
		// change what they load.
		r.Data, r.Shared = r.Data.DeepClone(), false
	}
	return r
}

func mustCreate(t *testing.T, st sessions.Store, r sessions.Record) string {
	t.Helper()
	v, err := st.Create(context.Background(), r)
	if err != nil {
		t.Fatalf("Create(%q) = %v", r.Key, err)
	}
	return v
}

func testLoadMissing(t *testing.T, st sessions.Store, _ *fakeclock.Clock) {
	if r, err := st.Load(context.Background(), key("missing")); !errors.Is(err, sessions.ErrNotFound) {
		t.Fatalf("Load(missing) = %+v, %v; want ErrNotFound", r, err)
	}
}

func testCreateLoad(t *testing.T, st sessions.Store, clk *fakeclock.Clock) {
	k := key("createload")
	exp := clk.Now().Add(time.Hour)
	mustCreate(t, st, sessions.Record{Key: k, Data: richData(), Expiry: exp})
	r := mustLoad(t, st, k)
	if got, want := dump(t, r.Data), dump(t, richData()); got != want {
		t.Errorf("loaded data\n %s\nwant\n %s", got, want)
	}
	if r.Key != k {
		t.Errorf("loaded Key %q, want %q", r.Key, k)
	}
	if r.Version == "" {
		t.Error("loaded record has no Version")
	}
	if d := r.Expiry.Sub(exp); d < -time.Second || d > time.Second {
		t.Errorf("loaded Expiry %v, want %v (to the second)", r.Expiry, exp)
	}
	// An empty dict is a session too.
	mustCreate(t, st, sessions.Record{Key: key("createempty"), Data: obj(), Expiry: exp})
	if r := mustLoad(t, st, key("createempty")); r.Data == nil || r.Data.Len() != 0 {
		t.Errorf("empty session loaded as %s", dump(t, r.Data))
	}
}

func testCreateTaken(t *testing.T, st sessions.Store, clk *fakeclock.Clock) {
	k := key("createtaken")
	exp := clk.Now().Add(time.Hour)
	mustCreate(t, st, sessions.Record{Key: k, Data: obj("first", true), Expiry: exp})
	if _, err := st.Create(context.Background(), sessions.Record{Key: k, Data: obj("second", true), Expiry: exp}); !errors.Is(err, sessions.ErrKeyExists) {
		t.Fatalf("Create of a taken key = %v, want ErrKeyExists", err)
	}
	if got := dump(t, mustLoad(t, st, k).Data); got != `{"first":true}` {
		t.Errorf("after the refused Create: %s", got)
	}
}

func testSaveCAS(t *testing.T, st sessions.Store, clk *fakeclock.Clock) {
	ctx := context.Background()
	k := key("savecas")
	exp := clk.Now().Add(time.Hour)
	created := mustCreate(t, st, sessions.Record{Key: k, Data: obj("n", int64(0)), Expiry: exp})

	// The version Create returned is good for a Save (a new session saved
	// again in the same request).
	v1, err := st.Save(ctx, sessions.Record{Key: k, Data: obj("n", int64(1)), Expiry: exp, Version: created})
	if err != nil {
		t.Fatalf("Save with Create's version = %v", err)
	}
	a := mustLoad(t, st, k)
	b := mustLoad(t, st, k)
	a.Data.Set("n", int64(2))
	v2, err := st.Save(ctx, a)
	if err != nil {
		t.Fatalf("Save with Load's version = %v", err)
	}
	if v2 == "" || v2 == v1 {
		t.Errorf("Save returned version %q after %q: it must change with the data", v2, v1)
	}
	b.Data.Set("n", int64(3))
	if _, err := st.Save(ctx, b); !errors.Is(err, sessions.ErrConflict) {
		t.Fatalf("Save with a stale version = %v, want ErrConflict", err)
	}
	if got := dump(t, mustLoad(t, st, k).Data); got != `{"n":2}` {
		t.Errorf("after the conflicting Save: %s", got)
	}
	// The version Save returned is good for the next Save.
	a.Version = v2
	a.Data.Set("n", int64(4))
	if _, err := st.Save(ctx, a); err != nil {
		t.Fatalf("Save with the previous Save's version = %v", err)
	}
	if got := dump(t, mustLoad(t, st, k).Data); got != `{"n":4}` {
		t.Errorf("after the second Save: %s", got)
	}
}

func testSaveUnconditional(t *testing.T, st sessions.Store, clk *fakeclock.Clock) {
	ctx := context.Background()
	k := key("saveforce")
	exp := clk.Now().Add(time.Hour)
	mustCreate(t, st, sessions.Record{Key: k, Data: obj("n", int64(0)), Expiry: exp})
	if _, err := st.Save(ctx, sessions.Record{Key: k, Data: obj("forced", true), Expiry: exp}); err != nil {
		t.Fatalf("Save without a Version = %v", err)
	}
	if got := dump(t, mustLoad(t, st, k).Data); got != `{"forced":true}` {
		t.Errorf("after the unconditional Save: %s", got)
	}
	if _, err := st.Save(ctx, sessions.Record{Key: key("savenever"), Data: obj(), Expiry: exp}); !errors.Is(err, sessions.ErrNotFound) {
		t.Errorf("unconditional Save of a key never created = %v, want ErrNotFound", err)
	}
}

func testDelete(t *testing.T, st sessions.Store, clk *fakeclock.Clock) {
	ctx := context.Background()
	k := key("delete")
	exp := clk.Now().Add(time.Hour)
	mustCreate(t, st, sessions.Record{Key: k, Data: obj("a", int64(1)), Expiry: exp})
	r := mustLoad(t, st, k)
	if err := st.Delete(ctx, k); err != nil {
		t.Fatalf("Delete = %v", err)
	}
	if _, err := st.Load(ctx, k); !errors.Is(err, sessions.ErrNotFound) {
		t.Fatalf("Load after Delete = %v, want ErrNotFound", err)
	}
	if err := st.Delete(ctx, k); err != nil {
		t.Errorf("Delete of a missing key = %v, want nil", err)
	}
	// Django's UpdateError: the session was deleted under the request.
	if _, err := st.Save(ctx, r); !errors.Is(err, sessions.ErrNotFound) {
		t.Errorf("Save after Delete = %v, want ErrNotFound", err)
	}
	r.Version = ""
	if _, err := st.Save(ctx, r); !errors.Is(err, sessions.ErrNotFound) {
		t.Errorf("unconditional Save after Delete = %v, want ErrNotFound", err)
	}
	// The key can be created again.
	mustCreate(t, st, sessions.Record{Key: k, Data: obj("again", true), Expiry: exp})
	if got := dump(t, mustLoad(t, st, k).Data); got != `{"again":true}` {
		t.Errorf("re-created session: %s", got)
	}
}

func testRecordsNotShared(t *testing.T, st sessions.Store, clk *fakeclock.Clock) {
	ctx := context.Background()
	k := key("notshared")
	exp := clk.Now().Add(time.Hour)
	in := richData()
	want := dump(t, in)
	mustCreate(t, st, sessions.Record{Key: k, Data: in, Expiry: exp})
	if got := dump(t, in); got != want {
		t.Fatalf("Create modified its record: %s", got)
	}
	in.Set("after", "create") // must not reach the store
	r := mustLoad(t, st, k)
	r.Data.Set("local", "change") // nor this
	r.Data.Delete("_auth_user_id")
	if got := dump(t, mustLoad(t, st, k).Data); got != want {
		t.Errorf("stored session changed without a Save:\n %s\nwant\n %s", got, want)
	}
	saved := obj("s", int64(1))
	r2 := mustLoad(t, st, k)
	r2.Data = saved
	if _, err := st.Save(ctx, r2); err != nil {
		t.Fatal(err)
	}
	saved.Set("after", "save")
	if got := dump(t, mustLoad(t, st, k).Data); got != `{"s":1}` {
		t.Errorf("Save kept a reference to its record's data: %s", got)
	}
}

func testCreatedExpired(t *testing.T, st sessions.Store, clk *fakeclock.Clock) {
	k := key("createdexpired")
	if _, err := st.Create(context.Background(), sessions.Record{Key: k, Data: obj("a", int64(1)), Expiry: clk.Now().Add(-time.Second)}); err != nil {
		t.Fatalf("Create of an already expired session = %v, want nil", err)
	}
	if r, err := st.Load(context.Background(), k); !errors.Is(err, sessions.ErrNotFound) {
		t.Fatalf("Load of a session created expired = %s, %v; want ErrNotFound", dump(t, r.Data), err)
	}
}

// waitGone waits up to ExpiryWait of real time for k to stop loading.
func waitGone(t *testing.T, st sessions.Store, k string) {
	t.Helper()
	deadline := time.Now().Add(ExpiryWait)
	for {
		_, err := st.Load(context.Background(), k)
		if errors.Is(err, sessions.ErrNotFound) {
			return
		}
		if err != nil {
			t.Fatalf("Load(%q) = %v", k, err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("session %q still loads %v after its expiry", k, ExpiryWait)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func testExpires(t *testing.T, st sessions.Store, clk *fakeclock.Clock) {
	short, long := key("expiresshort"), key("expireslong")
	mustCreate(t, st, sessions.Record{Key: short, Data: obj("a", int64(1)), Expiry: clk.Now().Add(time.Second)})
	mustCreate(t, st, sessions.Record{Key: long, Data: obj("b", int64(2)), Expiry: clk.Now().Add(time.Hour)})
	mustLoad(t, st, short)
	clk.Add(2 * time.Second)
	waitGone(t, st, short)
	if got := dump(t, mustLoad(t, st, long).Data); got != `{"b":2}` {
		t.Errorf("live session: %s", got)
	}
	// Save moves the expiry.
	r := mustLoad(t, st, long)
	r.Expiry = clk.Now().Add(time.Second)
	if _, err := st.Save(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	clk.Add(2 * time.Second)
	waitGone(t, st, long)
}

func testClearExpired(t *testing.T, st sessions.Store, clk *fakeclock.Clock) {
	ctx := context.Background()
	live, dead := key("clearlive"), key("cleardead")
	mustCreate(t, st, sessions.Record{Key: live, Data: obj("a", int64(1)), Expiry: clk.Now().Add(time.Hour)})
	mustCreate(t, st, sessions.Record{Key: dead, Data: obj("b", int64(2)), Expiry: clk.Now().Add(time.Second)})
	clk.Add(2 * time.Second)
	waitGone(t, st, dead)
	if err := st.ClearExpired(ctx); err != nil {
		t.Fatalf("ClearExpired = %v", err)
	}
	if got := dump(t, mustLoad(t, st, live).Data); got != `{"a":1}` {
		t.Errorf("live session after ClearExpired: %s", got)
	}
	if _, err := st.Load(ctx, dead); !errors.Is(err, sessions.ErrNotFound) {
		t.Errorf("expired session after ClearExpired: %v", err)
	}
}

func testKeysIndependent(t *testing.T, st sessions.Store, clk *fakeclock.Clock) {
	ctx := context.Background()
	exp := clk.Now().Add(time.Hour)
	keys := []string{key("indep1"), key("indep2"), strings.Repeat("k", 40), "x"}
	for i, k := range keys {
		mustCreate(t, st, sessions.Record{Key: k, Data: obj("i", int64(i)), Expiry: exp})
	}
	if err := st.Delete(ctx, keys[1]); err != nil {
		t.Fatal(err)
	}
	for i, k := range keys {
		r, err := st.Load(ctx, k)
		if i == 1 {
			if !errors.Is(err, sessions.ErrNotFound) {
				t.Errorf("deleted key %q: %v", k, err)
			}
			continue
		}
		if err != nil || dump(t, r.Data) != fmt.Sprintf(`{"i":%d}`, i) {
			t.Errorf("key %q: %s, %v", k, dump(t, r.Data), err)
		}
	}
}

func testConcurrentWriters(t *testing.T, st sessions.Store, clk *fakeclock.Clock) {
	ctx := context.Background()
	k := key("writers")
	mustCreate(t, st, sessions.Record{Key: k, Data: obj(), Expiry: clk.Now().Add(time.Hour)})
	const workers, rounds = 4, 5
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				for {
					r, err := st.Load(ctx, k)
					if err != nil {
						errs <- err
						return
					}
					if r.Shared { // the caller's part of the contract
						r.Data = r.Data.DeepClone()
					}
					r.Data.Set(fmt.Sprintf("w%d", w), int64(i))
					_, err = st.Save(ctx, r)
					if errors.Is(err, sessions.ErrConflict) {
						continue
					}
					if err != nil {
						errs <- err
						return
					}
					break
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	r := mustLoad(t, st, k)
	for w := range workers {
		if v, _ := r.Data.Get(fmt.Sprintf("w%d", w)); v != int64(rounds-1) {
			t.Errorf("w%d = %v, want %d (%s)", w, v, rounds-1, dump(t, r.Data))
		}
	}
}

// testConcurrentRequests: two requests load one session through the
// middleware, each sets its own key and one shared key, both commit. The
// second commit conflicts, reloads and re-applies its own changes: both keys
// survive and the later commit's value of the shared key wins.
func testConcurrentRequests(t *testing.T, st sessions.Store, clk *fakeclock.Clock) {
	ctx := context.Background()
	m, err := sessions.NewMiddleware(sessions.Options{Store: st, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	first := m.NewSession(ctx, "", false)
	first.Set("start", int64(0))
	if err := first.Commit(ctx, http.Header{}, 200); err != nil {
		t.Fatal(err)
	}
	k := first.Key()
	a := m.NewSession(ctx, k, true)
	b := m.NewSession(ctx, k, true)
	a.Get("start") // both load before either saves
	b.Get("start")
	a.Set("a", "from A")
	a.Set("same", "A")
	b.Set("b", "from B")
	b.Set("same", "B")
	if err := a.Commit(ctx, http.Header{}, 200); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(ctx, http.Header{}, 200); err != nil {
		t.Fatal(err)
	}
	if got := dump(t, mustLoad(t, st, k).Data); got != `{"start":0,"a":"from A","same":"B","b":"from B"}` {
		t.Errorf("final session %s", got)
	}
	// A concurrent logout deleted the session: the other request's save is
	// interrupted (Django's SessionInterrupted), not resurrected.
	c := m.NewSession(ctx, k, true)
	c.Get("start")
	if err := st.Delete(ctx, k); err != nil {
		t.Fatal(err)
	}
	c.Set("late", true)
	var ie *sessions.InterruptedError
	if err := c.Commit(ctx, http.Header{}, 200); !errors.As(err, &ie) {
		t.Fatalf("commit after a concurrent delete = %v, want *sessions.InterruptedError", err)
	}
	if _, err := st.Load(ctx, k); !errors.Is(err, sessions.ErrNotFound) {
		t.Errorf("the deleted session came back: %v", err)
	}
}
