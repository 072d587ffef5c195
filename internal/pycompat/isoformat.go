package pycompat

import (
	"fmt"
	"time"
)

// ISOFormat formats t as Python's datetime.isoformat() does for an aware
// datetime: microseconds only when not zero, the offset as ±HH:MM.
func ISOFormat(t time.Time) string {
	t = t.Truncate(time.Microsecond)
	if t.Nanosecond() == 0 {
		return t.Format("2006-01-02T15:04:05-07:00")
	}
	return t.Format("2006-01-02T15:04:05.000000-07:00")
}

// ParseISO parses what datetime.isoformat() writes and the common shapes
// datetime.fromisoformat() reads ("T" or " " between date and time, optional
// seconds and fraction). A value without an offset is taken as UTC.
func ParseISO(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04:05Z07:00", "2006-01-02 15:04:05Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("pycompat: %q is not an ISO datetime", s)
}
