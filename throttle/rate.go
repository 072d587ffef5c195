package throttle

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Rate is a number of requests per period, as Django REST framework writes
// it ("100/min").
type Rate struct {
	Limit  int64
	Period time.Duration
}

// String writes the rate in DRF's form with a one-letter unit ("100/m"),
// or with a Go duration for other periods ("100/10s").
func (r Rate) String() string {
	var unit string
	switch r.Period {
	case time.Second:
		unit = "s"
	case time.Minute:
		unit = "m"
	case time.Hour:
		unit = "h"
	case 24 * time.Hour:
		unit = "d"
	default:
		unit = r.Period.String()
	}
	return strconv.FormatInt(r.Limit, 10) + "/" + unit
}

// ParseRate parses a rate as Django REST framework's
// SimpleRateThrottle.parse_rate does: "<number>/<period>", where only the
// period's first letter counts: s (second), m (minute), h (hour), d (day),
// so "100/min", "100/m" and "100/minute" are one rate, and so is
// "100/mouse", as in DRF.
//
// Like DRF it refuses a string without exactly one "/", a number Python's
// int() would not read, an empty period and a period whose first letter is
// not one of s, m, h, d (they are case-sensitive: "100/M" is refused).
// The number is read as int() reads ASCII text: surrounding spaces, a sign
// and single underscores between digits are accepted. Unlike DRF, a
// negative number is refused (DRF accepts it and then refuses every
// request; 0 still does that here) and so are non-ASCII digits.
func ParseRate(s string) (Rate, error) {
	num, period, ok := strings.Cut(s, "/")
	if !ok || strings.Contains(period, "/") {
		return Rate{}, fmt.Errorf("rate %q: want <number>/<period>, such as 100/min", s)
	}
	n, err := pyInt(num)
	if err != nil {
		return Rate{}, fmt.Errorf("rate %q: %v", s, err)
	}
	if n < 0 {
		return Rate{}, fmt.Errorf("rate %q: the number of requests must not be negative", s)
	}
	if period == "" {
		return Rate{}, fmt.Errorf("rate %q: the period is missing (s, m, h or d)", s)
	}
	var d time.Duration
	switch period[0] {
	case 's':
		d = time.Second
	case 'm':
		d = time.Minute
	case 'h':
		d = time.Hour
	case 'd':
		d = 24 * time.Hour
	default:
		return Rate{}, fmt.Errorf("rate %q: the period must start with s, m, h or d (sec, min, hour, day)", s)
	}
	return Rate{Limit: n, Period: d}, nil
}

// pyInt reads an integer as Python's int(str) does for ASCII input.
func pyInt(s string) (int64, error) {
	t := strings.Trim(s, " \t\n\r\v\f")
	errBad := fmt.Errorf("invalid number %q", s)
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg = t[0] == '-'
		t = t[1:]
	}
	if t == "" || t[0] == '_' || t[len(t)-1] == '_' || strings.Contains(t, "__") {
		return 0, errBad
	}
	var n int64
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c == '_' {
			continue
		}
		if c < '0' || c > '9' {
			return 0, errBad
		}
		if n > (1<<62)/10 {
			return 0, errors.New("number too large")
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, nil
}
