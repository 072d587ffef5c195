package changefeed

import (
	"slices"
	"testing"
	"time"
)

func TestParsePayload(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Event
		ok   bool
	}{
		{"s:abc", Event{Session, "abc"}, true},
		{"u:42", Event{User, "42"}, true},
		{"p:7", Event{UserPerms, "7"}, true},
		{"a:", Event{AllPerms, ""}, true},
		{"u:a:b", Event{User, "a:b"}, true},
		{"x:1", Event{}, false},
		{"s", Event{}, false},
		{"ss:1", Event{}, false},
		{"", Event{}, false},
	} {
		got, ok := parsePayload(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parsePayload(%q) = %v %v, want %v %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// The poller's cursor: low advances over contiguous ids, waits at a hole
// (MySQL: a transaction that took an id earlier commits later), and gives
// up on a hole after gapWait.
func TestAdvance(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	for _, tc := range []struct {
		name    string
		low     int64
		seen    []int64
		at      []time.Duration // advance calls, offsets from t0
		wantLow int64
		wantSee []int64
	}{
		{"contiguous", 10, []int64{11, 12, 13}, []time.Duration{0}, 13, nil},
		{"hole waits", 10, []int64{12, 13}, []time.Duration{0, gapWait - time.Millisecond}, 10, []int64{12, 13}},
		{"hole given up", 10, []int64{12, 13}, []time.Duration{0, gapWait}, 13, nil},
		{"two holes", 10, []int64{12, 15}, []time.Duration{0, gapWait}, 12, []int64{15}},
		{"nothing", 10, nil, []time.Duration{0}, 10, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &poller{low: tc.low, seen: map[int64]struct{}{}}
			for _, id := range tc.seen {
				p.seen[id] = struct{}{}
			}
			for _, d := range tc.at {
				p.advance(t0.Add(d))
			}
			var seen []int64
			for id := range p.seen {
				seen = append(seen, id)
			}
			slices.Sort(seen)
			if p.low != tc.wantLow || !slices.Equal(seen, tc.wantSee) {
				t.Fatalf("low %d seen %v, want %d %v", p.low, seen, tc.wantLow, tc.wantSee)
			}
		})
	}
}
