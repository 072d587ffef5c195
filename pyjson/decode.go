package pyjson

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/dmr-go/dmr/internal/pycompat"
)

// SyntaxError describes JSON that Python's json.loads would reject.
type SyntaxError struct {
	Msg    string
	Offset int // byte offset in the input
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("pyjson: %s at offset %d", e.Msg, e.Offset)
}

// ErrNotObject is returned by UnmarshalObject when the JSON is valid but is
// not an object.
var ErrNotObject = errors.New("pyjson: JSON value is not an object")

// maxIntDigits is CPython's default int_max_str_digits (3.11+): json.loads
// refuses longer integer literals.
const maxIntDigits = 4300

// Unmarshal parses data as Python's json.loads does and returns one of: nil,
// bool, int64, float64, json.Number (an integer outside the int64 range),
// string, []any or *Object.
//
// Like Python it accepts NaN, Infinity and -Infinity, keeps the last value of
// a repeated key (at the key's first position), turns integer literals into
// integers and anything with a fraction or exponent into float64 (1e400
// becomes +Inf, as in Python). It rejects raw control characters in strings,
// trailing data and nesting deeper than 1000 levels.
//
// Differences from Python, both irrelevant to data written by Django or by
// this package (which is ASCII only): the input must be UTF-8 (Python reads
// bytes as UTF-8 too, but Django decodes session data as latin-1, which only
// matters for non-ASCII bytes), and a lone UTF-16 surrogate escape such as
// \ud800, which a Go string cannot hold, becomes U+FFFD.
func Unmarshal(data []byte) (any, error) {
	d := decoder{data: data}
	d.skipSpace()
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	d.skipSpace()
	if d.pos != len(d.data) {
		return nil, d.errorf("extra data")
	}
	return v, nil
}

// UnmarshalObject is Unmarshal for data that must hold a JSON object.
func UnmarshalObject(data []byte) (*Object, error) {
	v, err := Unmarshal(data)
	if err != nil {
		return nil, err
	}
	o, ok := v.(*Object)
	if !ok {
		return nil, fmt.Errorf("%w (got %T)", ErrNotObject, v)
	}
	return o, nil
}

type decoder struct {
	data    []byte
	pos     int
	scratch []byte // unescaped strings
}

func (d *decoder) errorf(format string, args ...any) error {
	return &SyntaxError{Msg: fmt.Sprintf(format, args...), Offset: d.pos}
}

func (d *decoder) skipSpace() { d.pos = pycompat.SkipJSONSpace(d.data, d.pos) }

func (d *decoder) literal(lit string, v any) (any, error) {
	if len(d.data)-d.pos >= len(lit) && string(d.data[d.pos:d.pos+len(lit)]) == lit {
		d.pos += len(lit)
		return v, nil
	}
	return nil, d.errorf("expecting value")
}

func (d *decoder) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, d.errorf("nesting deeper than %d", maxDepth)
	}
	if d.pos >= len(d.data) {
		return nil, d.errorf("expecting value")
	}
	switch c := d.data[d.pos]; c {
	case '{':
		return d.object(depth)
	case '[':
		return d.array(depth)
	case '"':
		return d.strValue()
	case 't':
		return d.literal("true", true)
	case 'f':
		return d.literal("false", false)
	case 'n':
		return d.literal("null", nil)
	case 'N':
		return d.literal("NaN", math.NaN())
	case 'I':
		return d.literal("Infinity", math.Inf(1))
	case '-':
		if len(d.data)-d.pos >= 9 && string(d.data[d.pos:d.pos+9]) == "-Infinity" {
			d.pos += 9
			return math.Inf(-1), nil
		}
		return d.number()
	default:
		if c >= '0' && c <= '9' {
			return d.number()
		}
		return nil, d.errorf("expecting value")
	}
}

func (d *decoder) object(depth int) (any, error) {
	d.pos++ // '{'
	o := &Object{keys: make([]string, 0, 4), vals: make([]any, 0, 4)}
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return o, nil
	}
	for {
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, d.errorf("expecting property name enclosed in double quotes")
		}
		k, err := d.key()
		if err != nil {
			return nil, err
		}
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, d.errorf("expecting ':' delimiter")
		}
		d.pos++
		d.skipSpace()
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		o.Set(k, v)
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, d.errorf("expecting ',' delimiter")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
			d.skipSpace()
		case '}':
			d.pos++
			return o, nil
		default:
			return nil, d.errorf("expecting ',' delimiter")
		}
	}
}

func (d *decoder) array(depth int) (any, error) {
	d.pos++ // '['
	a := []any{}
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return a, nil
	}
	for {
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		a = append(a, v)
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, d.errorf("expecting ',' delimiter")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
			d.skipSpace()
		case ']':
			d.pos++
			return a, nil
		default:
			return nil, d.errorf("expecting ',' delimiter")
		}
	}
}

// scanNumber returns the end of the JSON number starting at s[i] (Python's
// NUMBER_RE: -?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?) and whether there is one.
func scanNumber[T string | []byte](s T, i int) (int, bool) {
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return i, false
	}
	if i+1 < len(s) && s[i] == '.' && s[i+1] >= '0' && s[i+1] <= '9' {
		i += 2
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && s[j] >= '0' && s[j] <= '9' {
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			i = j
		}
	}
	return i, true
}

func (d *decoder) number() (any, error) {
	start := d.pos
	end, ok := scanNumber(d.data, start)
	if !ok {
		return nil, d.errorf("expecting value")
	}
	d.pos = end
	lit := d.data[start:end]
	isInt := true
	for _, c := range lit {
		if c == '.' || c == 'e' || c == 'E' {
			isInt = false
			break
		}
	}
	if isInt {
		if n, ok := smallInt(lit); ok {
			return n, nil
		}
		if n, err := strconv.ParseInt(string(lit), 10, 64); err == nil {
			return n, nil
		}
		digits := len(lit)
		if lit[0] == '-' {
			digits--
		}
		if digits > maxIntDigits {
			d.pos = start
			return nil, d.errorf("integer literal longer than %d digits", maxIntDigits)
		}
		return json.Number(lit), nil
	}
	f, err := strconv.ParseFloat(string(lit), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		d.pos = start
		return nil, d.errorf("invalid number")
	}
	return f, nil // on ErrRange f is ±Inf or 0, as Python's float() gives
}

// strBytes reads a string and returns its bytes: data's own when it has no
// escapes, else unescaped into the decoder's scratch buffer (valid until the
// next call).
func (d *decoder) strBytes() ([]byte, error) {
	start := d.pos + 1
	b, end, err := pycompat.AppendJSONString(d.scratch[:0], d.data, start)
	if err == 0 {
		if len(b) < end-1-start {
			d.scratch = b[:0]
		}
		d.pos = end
		return b, nil
	}
	d.pos = end
	switch err {
	case pycompat.JSONStringControl:
		return nil, d.errorf("invalid control character in string")
	case pycompat.JSONStringEscape:
		return nil, d.errorf("invalid \\escape")
	case pycompat.JSONStringHex:
		return nil, d.errorf("invalid \\uXXXX escape")
	case pycompat.JSONStringUTF8:
		return nil, d.errorf("invalid UTF-8 in string")
	}
	return nil, d.errorf("unterminated string")
}

// smallInt parses an integer literal of at most 18 digits without allocating.
func smallInt(lit []byte) (int64, bool) {
	neg := lit[0] == '-'
	if neg {
		lit = lit[1:]
	}
	if len(lit) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range lit {
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// Well-known session keys and values, returned without allocating: Django
// sessions repeat them in every row.
var (
	backendModel any = "django.contrib.auth.backends.ModelBackend"
)

func intern(b []byte) (string, bool) {
	switch string(b) { // no allocation: the compiler compares in place
	case "_auth_user_id":
		return "_auth_user_id", true
	case "_auth_user_backend":
		return "_auth_user_backend", true
	case "_auth_user_hash":
		return "_auth_user_hash", true
	case "_session_expiry":
		return "_session_expiry", true
	case "_csrftoken":
		return "_csrftoken", true
	}
	return "", false
}

// key reads an object key, interning the well-known ones.
func (d *decoder) key() (string, error) {
	b, err := d.strBytes()
	if err != nil {
		return "", err
	}
	if k, ok := intern(b); ok {
		return k, nil
	}
	return string(b), nil
}

// strValue reads a string value, returning the well-known ones pre-boxed.
func (d *decoder) strValue() (any, error) {
	b, err := d.strBytes()
	if err != nil {
		return nil, err
	}
	if string(b) == "django.contrib.auth.backends.ModelBackend" {
		return backendModel, nil
	}
	return string(b), nil
}
