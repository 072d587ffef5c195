package throttle

import (
	"strings"
	"testing"
	"time"
)

func TestParseRate(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Rate
		err  string
	}{
		{"100/min", Rate{100, time.Minute}, ""},
		{"100/m", Rate{100, time.Minute}, ""},
		{"100/minute", Rate{100, time.Minute}, ""},
		{"100/mouse", Rate{100, time.Minute}, ""}, // DRF reads the first letter only
		{"5/s", Rate{5, time.Second}, ""},
		{"5/sec", Rate{5, time.Second}, ""},
		{"5/second", Rate{5, time.Second}, ""},
		{"7/h", Rate{7, time.Hour}, ""},
		{"7/hour", Rate{7, time.Hour}, ""},
		{"1000/d", Rate{1000, 24 * time.Hour}, ""},
		{"1000/day", Rate{1000, 24 * time.Hour}, ""},
		{"0/min", Rate{0, time.Minute}, ""},
		{" 10 /min", Rate{10, time.Minute}, ""}, // int(" 10 ")
		{"+10/min", Rate{10, time.Minute}, ""},
		{"1_000/day", Rate{1000, 24 * time.Hour}, ""},
		{"010/s", Rate{10, time.Second}, ""}, // int("010") is 10
		{"100", Rate{}, "want <number>/<period>"},
		{"100/min/x", Rate{}, "want <number>/<period>"},
		{"", Rate{}, "want <number>/<period>"},
		{"/min", Rate{}, "invalid number"},
		{"abc/min", Rate{}, "invalid number"},
		{"1.5/min", Rate{}, "invalid number"},
		{"1__0/min", Rate{}, "invalid number"},
		{"_1/min", Rate{}, "invalid number"},
		{"1_/min", Rate{}, "invalid number"},
		{"-1/min", Rate{}, "must not be negative"},
		{"10/", Rate{}, "period is missing"},
		{"10/M", Rate{}, "must start with s, m, h or d"}, // DRF's dict is lower case
		{"10/ min", Rate{}, "must start with s, m, h or d"},
		{"10/week", Rate{}, "must start with s, m, h or d"},
		{"99999999999999999999/s", Rate{}, "too large"},
	} {
		got, err := ParseRate(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseRate(%q) = %v, %v; want error containing %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

func TestRateString(t *testing.T) {
	for _, c := range []struct {
		r    Rate
		want string
	}{
		{Rate{100, time.Minute}, "100/m"}, {Rate{5, time.Second}, "5/s"}, {Rate{1, time.Hour}, "1/h"},
		{Rate{2, 24 * time.Hour}, "2/d"}, {Rate{3, 10 * time.Second}, "3/10s"},
	} {
		if got := c.r.String(); got != c.want {
			t.Errorf("%#v.String() = %q, want %q", c.r, got, c.want)
		}
	}
}

func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"100/min", "5/s", "1_000/day", " +3 /h", "-1/m", "1/", "x/y", "1/2/3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRate(s)
		if err != nil {
			return
		}
		if r.Limit < 0 {
			t.Fatalf("ParseRate(%q): negative limit %d", s, r.Limit)
		}
		switch r.Period {
		case time.Second, time.Minute, time.Hour, 24 * time.Hour:
		default:
			t.Fatalf("ParseRate(%q): period %v", s, r.Period)
		}
		// What String writes parses back to the same rate.
		if r2, err := ParseRate(r.String()); err != nil || r2 != r {
			t.Fatalf("ParseRate(%q) = %v; its String %q parses as %v, %v", s, r, r.String(), r2, err)
		}
	})
}
