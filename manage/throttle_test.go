package manage

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dmr-go/dmr/throttle"
)

func TestParseThrottleRates(t *testing.T) {
	rate := func(n int64, d time.Duration) *throttle.Rate { return &throttle.Rate{Limit: n, Period: d} }
	for _, c := range []struct {
		in   string
		want ThrottleRates
		err  string
	}{
		{"", ThrottleRates{}, ""},
		{"anon=100/min,user=1000/hour", ThrottleRates{Anon: rate(100, time.Minute), User: rate(1000, time.Hour)}, ""},
		{" anon = 5/s , ", ThrottleRates{Anon: rate(5, time.Second)}, ""},
		{"user=3/day", ThrottleRates{User: rate(3, 24*time.Hour)}, ""},
		{"user=3/d,anon=1/sec", ThrottleRates{Anon: rate(1, time.Second), User: rate(3, 24*time.Hour)}, ""},
		{"anon", ThrottleRates{}, `"anon": want scope=rate`},
		{"burst=1/s", ThrottleRates{}, `unknown scope "burst"`},
		{"anon=1/s,anon=2/s", ThrottleRates{}, "scope anon given twice"},
		{"anon=1/week", ThrottleRates{}, "anon: rate \"1/week\": the period must start with s, m, h or d"},
		{"user=many/min", ThrottleRates{}, "user: rate \"many/min\": invalid number"},
		{"anon=100", ThrottleRates{}, "want <number>/<period>"},
		{"anon=-1/min", ThrottleRates{}, "must not be negative"},
	} {
		got, err := ParseThrottleRates(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseThrottleRates(%q) = %+v, %v; want error containing %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || !sameRate(got.Anon, c.want.Anon) || !sameRate(got.User, c.want.User) {
			t.Errorf("ParseThrottleRates(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
}

func sameRate(a, b *throttle.Rate) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func TestThrottleConfigFromEnv(t *testing.T) {
	cfg, err := ConfigFromEnv(lookupMap(map[string]string{EnvThrottleRates: "anon=2/min", EnvThrottleStore: "redis"}))
	if err != nil || cfg.ThrottleRates.Anon == nil || cfg.ThrottleStore != ThrottleRedis || !cfg.needsRedis() {
		t.Fatalf("ConfigFromEnv = %+v, %v", cfg, err)
	}
	for env, want := range map[string]string{
		EnvThrottleRates: `DMR_THROTTLE_RATES: anon: rate "1/fortnight": the period must start with s, m, h or d (sec, min, hour, day)`,
		EnvThrottleStore: `DMR_THROTTLE_STORE="db": want memory or redis`,
	} {
		e := map[string]string{EnvThrottleRates: "anon=1/fortnight", EnvThrottleStore: "db"}
		if env == EnvThrottleStore {
			e[EnvThrottleRates] = "anon=1/m"
		}
		if _, err := ConfigFromEnv(lookupMap(e)); err == nil || err.Error() != want {
			t.Errorf("%s: err = %v, want %q", env, err, want)
		}
	}
	// The default store: Redis where the sessions are, else memory; Redis
	// is only needed with rates.
	for _, c := range []struct {
		session StoreKind
		store   ThrottleStoreKind
		want    ThrottleStoreKind
	}{
		{StoreDB, "", ThrottleMemory}, {StoreSignedCookies, "", ThrottleMemory}, {StoreRedis, "", ThrottleRedis},
		{StoreCachedDB, "", ThrottleRedis}, {StoreRedis, ThrottleMemory, ThrottleMemory}, {StoreDB, ThrottleRedis, ThrottleRedis},
	} {
		cfg := Config{SessionStore: c.session, ThrottleStore: c.store}
		if got := cfg.throttleStore(); got != c.want {
			t.Errorf("session %s, store %q: %s, want %s", c.session, c.store, got, c.want)
		}
	}
	if (Config{SessionStore: StoreDB, ThrottleStore: ThrottleRedis}).needsRedis() {
		t.Error("Redis needed without rates")
	}
}

// FuzzParseThrottleRates: any value parses or fails with a one-line error;
// what parses has non-negative limits.
func FuzzParseThrottleRates(f *testing.F) {
	for _, s := range []string{"anon=100/min,user=1000/hour", "anon", "user=1/s,user=2/s", " anon = 5/s , ", "x=1/m", "anon=1_0/d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseThrottleRates(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		for _, x := range []*throttle.Rate{r.Anon, r.User} {
			if x != nil && (x.Limit < 0 || x.Period < time.Second) {
				t.Fatalf("ParseThrottleRates(%q) = %+v", s, x)
			}
		}
	})
}

func ExampleParseThrottleRates() {
	r, err := ParseThrottleRates("anon=100/min,user=1000/hour")
	fmt.Println(r.Anon, r.User, err)
	_, err = ParseThrottleRates("anon=100/week")
	fmt.Println(err)
	// Output:
	// 100/m 1000/h <nil>
	// anon: rate "100/week": the period must start with s, m, h or d (sec, min, hour, day)
}
