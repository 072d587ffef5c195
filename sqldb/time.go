package sqldb

import (
	"database/sql/driver"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// FormatTime formats t as Django writes a datetime under USE_TZ=True on
// SQLite and MySQL/MariaDB: str() of the naive UTC datetime,
// "2006-01-02 15:04:05" plus ".ffffff" when the microseconds are not zero.
// Nanoseconds are truncated.
func FormatTime(t time.Time) string {
	t = t.UTC()
	b := make([]byte, 0, 26)
	b = t.AppendFormat(b, "2006-01-02 15:04:05")
	if us := t.Nanosecond() / 1000; us != 0 {
		b = append(b, '.')
		s := strconv.Itoa(us)
		for range 6 - len(s) {
			b = append(b, '0')
		}
		b = append(b, s...)
	}
	return string(b)
}

// ParseTime parses a stored datetime as UTC: the text FormatTime writes,
// also with a "T" separator, 1 to 9 fraction digits and a trailing "Z" or
// "+00:00" (other offsets are rejected: Django stores UTC).
func ParseTime(s string) (time.Time, error) {
	v := s
	if len(v) > 10 && v[10] == 'T' {
		v = v[:10] + " " + v[11:]
	}
	v = strings.TrimSuffix(strings.TrimSuffix(v, "Z"), "+00:00")
	t, err := time.ParseInLocation("2006-01-02 15:04:05.999999999", v, time.UTC)
	if err != nil {
		return time.Time{}, fmt.Errorf("sqldb: bad datetime %q", s)
	}
	return t, nil
}

// TimeArg returns t as the parameter d stores in a Django DateTimeField
// under USE_TZ=True, truncated to microseconds (the precision of all three
// databases):
//
//	SQLite:     text, FormatTime (compared as text by SQLite, so the shape matters)
//	PostgreSQL: time.Time in UTC, into timestamp with time zone
//	MySQL:      text, FormatTime: the naive UTC value of datetime(6), as Django sends it
//
// MySQL gets text rather than a time.Time so that the value does not depend
// on the driver's loc setting.
func (d Dialect) TimeArg(t time.Time) any {
	t = t.UTC().Truncate(time.Microsecond)
	if d == Postgres {
		return t
	}
	return FormatTime(t)
}

// TimeColumn returns the select-list expression that reads the datetime
// column col (already quoted) so that [ScanTime] and [NullTime] accept it on
// d: on SQLite CAST(col AS TEXT), which makes modernc.org/sqlite return the
// stored text instead of guessing a format; col elsewhere.
func (d Dialect) TimeColumn(col string) string {
	if d == SQLite {
		return "CAST(" + col + " AS TEXT)"
	}
	return col
}

// ScanTime converts what a driver returns for a datetime column into a UTC
// time: a time.Time (pgx; go-sql-driver/mysql with parseTime=true), or the
// text of FormatTime as string or []byte (SQLite; MySQL without
// parseTime).
func ScanTime(v any) (time.Time, error) {
	switch v := v.(type) {
	case time.Time:
		return v.UTC(), nil
	case string:
		return ParseTime(v)
	case []byte:
		return ParseTime(string(v))
	}
	return time.Time{}, fmt.Errorf("sqldb: unexpected datetime value of type %T", v)
}

// NullTime scans a nullable datetime column of any dialect (see ScanTime).
// Valid is false for NULL.
type NullTime struct {
	Time  time.Time
	Valid bool
}

// Scan implements sql.Scanner.
func (n *NullTime) Scan(v any) error {
	if v == nil {
		*n = NullTime{}
		return nil
	}
	t, err := ScanTime(v)
	if err != nil {
		return err
	}
	*n = NullTime{Time: t, Valid: true}
	return nil
}

// Value implements driver.Valuer: the time as a UTC time.Time, or NULL. Use
// Dialect.TimeArg to write in Django's exact shape.
func (n NullTime) Value() (driver.Value, error) {
	if !n.Valid {
		return nil, nil
	}
	return n.Time.UTC(), nil
}
