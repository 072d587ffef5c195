package loginthrottle

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/dmr-go/dmr/apierror"
)

var (
	ip1 = netip.MustParseAddr("192.0.2.1")
	ip2 = netip.MustParseAddr("192.0.2.2")
)

// TestThrottle drives a Throttle (limit 3 per pair, 5 per IP, 10-minute
// cool-off) on a memory store with an injected clock. Each "fail" or "ok"
// step is one login attempt: Begin, then Failed or Succeeded when admitted.
func TestThrottle(t *testing.T) {
	const coolOff = 10 * time.Minute
	type step struct {
		op       string // fail, ok, begin (admitted, still in flight), advance
		ip       netip.Addr
		user     string
		advance  time.Duration
		wantWait time.Duration // 0: allowed; else a LockedError with this RetryAfter
	}
	cases := []struct {
		name  string
		opts  Options
		steps []step
	}{
		{"pair locks at the limit, with the failure that reaches it", Options{}, []step{
			{op: "fail", ip: ip1, user: "bob"},
			{op: "fail", ip: ip1, user: "bob"},
			{op: "fail", ip: ip1, user: "bob", wantWait: coolOff},
			{op: "ok", ip: ip1, user: "bob", wantWait: coolOff}, // the right password too
			{op: "advance", advance: 4 * time.Minute},
			{op: "ok", ip: ip1, user: "bob", wantWait: 6 * time.Minute},
			{op: "ok", ip: ip2, user: "bob"},   // another IP
			{op: "ok", ip: ip1, user: "alice"}, // another user (its attempt restarted the IP's cool-off)
			{op: "advance", advance: 10 * time.Minute},
			{op: "fail", ip: ip1, user: "bob"}, // the cool-off ended, counting restarted
			{op: "fail", ip: ip1, user: "bob"},
			{op: "ok", ip: ip1, user: "bob"},
		}},
		{"each failure restarts the cool-off", Options{}, []step{
			{op: "fail", ip: ip1, user: "bob"},
			{op: "advance", advance: 9 * time.Minute},
			{op: "fail", ip: ip1, user: "bob"},
			{op: "advance", advance: 9 * time.Minute},
			{op: "fail", ip: ip1, user: "bob", wantWait: coolOff},
		}},
		{"usernames normalised", Options{}, []step{
			{op: "fail", ip: ip1, user: "Bob"},
			{op: "fail", ip: ip1, user: "BOB"},
			{op: "fail", ip: ip1, user: "ｂｏｂ", wantWait: coolOff}, // fullwidth: NFKC "bob"
			{op: "ok", ip: ip1, user: "bob", wantWait: coolOff},
		}},
		{"success resets the pair, not the IP's failures", Options{}, []step{
			{op: "fail", ip: ip1, user: "bob"},
			{op: "fail", ip: ip1, user: "bob"},
			{op: "ok", ip: ip1, user: "bob"},
			{op: "fail", ip: ip1, user: "bob"},
			{op: "fail", ip: ip1, user: "bob"},
			{op: "ok", ip: ip1, user: "dave"},                       // a success does not count against the IP
			{op: "fail", ip: ip1, user: "carol", wantWait: coolOff}, // the IP's 5th failure
			{op: "ok", ip: ip1, user: "dave", wantWait: coolOff},
			{op: "ok", ip: ip2, user: "dave"},
		}},
		{"KeepOnSuccess keeps the pair's failures", Options{KeepOnSuccess: true}, []step{
			{op: "fail", ip: ip1, user: "bob"},
			{op: "fail", ip: ip1, user: "bob"},
			{op: "ok", ip: ip1, user: "bob"},
			{op: "fail", ip: ip1, user: "bob", wantWait: coolOff},
		}},
		{"IP limit over usernames", Options{FailureLimit: -1}, []step{
			{op: "fail", ip: ip1, user: "a"},
			{op: "fail", ip: ip1, user: "b"},
			{op: "fail", ip: ip1, user: "c"},
			{op: "fail", ip: ip1, user: "d"},
			{op: "fail", ip: ip1, user: "e", wantWait: coolOff},
			{op: "ok", ip: ip1, user: "f", wantWait: coolOff},
			{op: "ok", ip: ip2, user: "f"},
		}},
		{"IPv6 counted per /64", Options{FailureLimit: -1, IPFailureLimit: 2}, []step{
			{op: "fail", ip: netip.MustParseAddr("2001:db8:1:2::1"), user: "a"},
			{op: "fail", ip: netip.MustParseAddr("2001:db8:1:2:ffff::9"), user: "b", wantWait: coolOff},
			{op: "ok", ip: netip.MustParseAddr("2001:db8:1:2::77"), user: "c", wantWait: coolOff},
			{op: "ok", ip: netip.MustParseAddr("2001:db8:1:3::1"), user: "c"},
		}},
		{"both limits off", Options{FailureLimit: -1, IPFailureLimit: -1}, []step{
			{op: "fail", ip: ip1, user: "a"},
			{op: "fail", ip: ip1, user: "a"},
			{op: "fail", ip: ip1, user: "a"},
			{op: "fail", ip: ip1, user: "a"},
			{op: "ok", ip: ip1, user: "a"},
		}},
		{"refused attempts are not counted", Options{FailureLimit: 1}, []step{
			{op: "fail", ip: ip1, user: "a", wantWait: coolOff},
			{op: "advance", advance: 5 * time.Minute},
			{op: "ok", ip: ip1, user: "a", wantWait: 5 * time.Minute}, // does not extend the lock
			{op: "advance", advance: 5 * time.Minute},
			{op: "ok", ip: ip1, user: "a"},
		}},
		{"attempts in flight count", Options{}, []step{
			{op: "begin", ip: ip1, user: "bob"},
			{op: "begin", ip: ip1, user: "bob"},
			{op: "begin", ip: ip1, user: "bob"},
			{op: "begin", ip: ip1, user: "bob", wantWait: coolOff}, // three already being checked
			{op: "ok", ip: ip1, user: "bob", wantWait: coolOff},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock()
			o := tc.opts
			o.Store = NewMemoryStore(MemoryOptions{Now: c.Now})
			if o.FailureLimit == 0 {
				o.FailureLimit = 3
			}
			if o.IPFailureLimit == 0 {
				o.IPFailureLimit = 5
			}
			o.CoolOff = coolOff
			th, err := New(o)
			if err != nil {
				t.Fatal(err)
			}
			ctx := t.Context()
			for i, st := range tc.steps {
				if st.op == "advance" {
					c.Add(st.advance)
					continue
				}
				err := th.Begin(ctx, st.ip, st.user)
				if err == nil {
					switch st.op {
					case "fail":
						err = th.Failed(ctx, st.ip, st.user)
					case "ok":
						err = th.Succeeded(ctx, st.ip, st.user)
					}
				}
				var le *LockedError
				switch {
				case st.wantWait == 0 && err != nil:
					t.Fatalf("step %d (%s %v %s): %v, want allowed", i, st.op, st.ip, st.user, err)
				case st.wantWait != 0 && !errors.As(err, &le):
					t.Fatalf("step %d (%s %v %s): %v, want locked", i, st.op, st.ip, st.user, err)
				case st.wantWait != 0 && le.RetryAfter != st.wantWait:
					t.Fatalf("step %d (%s %v %s): RetryAfter %v, want %v", i, st.op, st.ip, st.user, le.RetryAfter, st.wantWait)
				}
			}
		})
	}
}

func TestLockedErrorAPIError(t *testing.T) {
	for _, tc := range []struct {
		wait time.Duration
		want string
	}{
		{15 * time.Minute, "900"},
		{1500 * time.Millisecond, "2"},
		{time.Millisecond, "1"},
		{0, "1"},
	} {
		err := error(&LockedError{RetryAfter: tc.wait})
		if !errors.Is(err, ErrLocked) {
			t.Fatal("errors.Is(ErrLocked) = false")
		}
		ae, ok := apierror.As(err)
		if !ok {
			t.Fatal("not an API error")
		}
		if ae.Status != http.StatusTooManyRequests || ae.Header.Get("Retry-After") != tc.want ||
			len(ae.Details) != 1 || ae.Details[0].Msg != LockoutMessage || ae.Details[0].Type != apierror.TypeRateLimit {
			t.Fatalf("%v: %+v, want 429 ratelimit with Retry-After %s", tc.wait, ae, tc.want)
		}
	}
}

func TestNewValidates(t *testing.T) {
	if _, err := New(Options{CoolOff: -time.Second}); err == nil {
		t.Error("negative CoolOff accepted")
	}
	th, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if th.limit != DefaultFailureLimit || th.ipLimit != DefaultIPFailureLimit || th.coolOff != DefaultCoolOff {
		t.Fatalf("defaults: %d, %d, %v", th.limit, th.ipLimit, th.coolOff)
	}
}

// TestStoreErrorsFailClosed checks that an unreachable store refuses the
// attempt instead of letting it through.
func TestStoreErrorsFailClosed(t *testing.T) {
	down := errors.New("store down")
	th, err := New(Options{Store: failingStore{down}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for name, err := range map[string]error{
		"Begin":     th.Begin(ctx, ip1, "a"),
		"Failed":    th.Failed(ctx, ip1, "a"),
		"Succeeded": th.Succeeded(ctx, ip1, "a"),
	} {
		if !errors.Is(err, down) {
			t.Errorf("%s = %v, want the store's error wrapped", name, err)
		}
	}
}

// failingStore injects a store failure.
type failingStore struct{ err error }

func (f failingStore) Add(context.Context, string, int64, time.Duration) (int64, error) {
	return 0, f.err
}
func (f failingStore) Count(context.Context, string) (int64, time.Duration, error) {
	return 0, 0, f.err
}
func (f failingStore) Reset(context.Context, string) error { return f.err }

// BenchmarkBegin measures what every login attempt pays before
// authenticating, per store: both counters read, then both counted, plus
// taking the attempt back out (Succeeded) so the counters stay below the
// limit.
func BenchmarkBegin(b *testing.B) {
	for _, env := range allStores {
		b.Run(env.name, func(b *testing.B) {
			s := env.open(b, newClock())
			if ss, ok := s.(*SQLStore); ok {
				ss.now = time.Now
			}
			if ms, ok := s.(*MemoryStore); ok {
				ms.now = time.Now
			}
			th, err := New(Options{Store: s})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := th.Begin(ctx, ip1, "bob"); err != nil {
					b.Fatal(err)
				}
				if err := th.Succeeded(ctx, ip1, "bob"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
