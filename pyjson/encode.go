package pyjson

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"

	"github.com/dmr-go/dmr/internal/pycompat"
)

// ErrUnsupportedType is returned (wrapped) by Marshal for values it cannot
// write, such as structs, channels or maps with non-string keys.
var ErrUnsupportedType = errors.New("pyjson: unsupported type")

// maxDepth bounds nesting on both sides, near CPython's default recursion
// limit (which is where json.dumps and json.loads give up).
const maxDepth = 1000

// Marshal returns v as Python's json.dumps(v, separators=(",", ":")) writes it.
//
// Supported values: nil, bool, every Go integer and float type, json.Number,
// string, []any and other slices and arrays, *Object and Object, maps with
// string keys (written in sorted key order, since Go maps have none), and
// json.Marshaler (its output is re-read and re-written ASCII-only). NaN and
// ±Inf are written as NaN, Infinity and -Infinity, like Python's default
// allow_nan=True. Strings that are not valid UTF-8 have each invalid byte
// written as \ufffd.
func Marshal(v any) ([]byte, error) {
	return Append(make([]byte, 0, 128), v)
}

// Append appends the encoding of v to dst (see [Marshal]).
func Append(dst []byte, v any) ([]byte, error) {
	return appendValue(dst, v, 0)
}

func appendValue(b []byte, v any, depth int) ([]byte, error) {
	if depth > maxDepth {
		return b, fmt.Errorf("pyjson: nesting deeper than %d", maxDepth)
	}
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		if x {
			return append(b, "true"...), nil
		}
		return append(b, "false"...), nil
	case string:
		return AppendString(b, x), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case float64:
		return AppendFloat(b, x), nil
	case json.Number:
		return appendNumber(b, x)
	case *Object:
		return appendObject(b, x, depth)
	case Object:
		return appendObject(b, &x, depth)
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendValue(b, e, depth+1); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case []string:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendString(b, e)
		}
		return append(b, ']'), nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendString(b, k)
			b = append(b, ':')
			var err error
			if b, err = appendValue(b, x[k], depth+1); err != nil {
				return b, err
			}
		}
		return append(b, '}'), nil
	case json.Marshaler:
		raw, err := x.MarshalJSON()
		if err != nil {
			return b, fmt.Errorf("pyjson: %T.MarshalJSON: %w", x, err)
		}
		parsed, err := Unmarshal(raw)
		if err != nil {
			return b, fmt.Errorf("pyjson: %T.MarshalJSON wrote invalid JSON: %w", x, err)
		}
		return appendValue(b, parsed, depth)
	}
	return appendReflect(b, reflect.ValueOf(v), depth)
}

func appendReflect(b []byte, rv reflect.Value, depth int) ([]byte, error) {
	switch rv.Kind() {
	case reflect.Bool:
		return appendValue(b, rv.Bool(), depth)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(b, rv.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.AppendUint(b, rv.Uint(), 10), nil
	case reflect.Float32:
		// Python has only doubles; write the float32's shortest form as a
		// double would be, so 0.1 stays 0.1 rather than 0.10000000149011612.
		f, _ := strconv.ParseFloat(strconv.FormatFloat(rv.Float(), 'g', -1, 32), 64)
		return AppendFloat(b, f), nil
	case reflect.Float64:
		return AppendFloat(b, rv.Float()), nil
	case reflect.String:
		return AppendString(b, rv.String()), nil
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return append(b, "null"...), nil
		}
		return appendValue(b, rv.Elem().Interface(), depth)
	case reflect.Slice:
		if rv.IsNil() {
			return append(b, "null"...), nil
		}
		fallthrough
	case reflect.Array:
		b = append(b, '[')
		for i := range rv.Len() {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendValue(b, rv.Index(i).Interface(), depth+1); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			break
		}
		if rv.IsNil() {
			return append(b, "null"...), nil
		}
		keys := rv.MapKeys()
		slices.SortFunc(keys, func(a, c reflect.Value) int {
			switch sa, sc := a.String(), c.String(); {
			case sa < sc:
				return -1
			case sa > sc:
				return 1
			}
			return 0
		})
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendString(b, k.String())
			b = append(b, ':')
			var err error
			if b, err = appendValue(b, rv.MapIndex(k).Interface(), depth+1); err != nil {
				return b, err
			}
		}
		return append(b, '}'), nil
	case reflect.Invalid:
		return append(b, "null"...), nil
	}
	return b, fmt.Errorf("%w: %s", ErrUnsupportedType, rv.Type())
}

func appendObject(b []byte, o *Object, depth int) ([]byte, error) {
	if o == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '{')
	for i, k := range o.keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendString(b, k)
		b = append(b, ':')
		var err error
		if b, err = appendValue(b, o.vals[i], depth+1); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

// appendNumber writes a json.Number after checking that it is a JSON number,
// so Marshal never writes invalid JSON.
func appendNumber(b []byte, n json.Number) ([]byte, error) {
	s := string(n)
	if end, ok := scanNumber(s, 0); !ok || end != len(s) {
		return b, fmt.Errorf("pyjson: invalid json.Number %q", s)
	}
	return append(b, s...), nil
}

// AppendString appends s as a JSON string the way Python's json module writes
// it with ensure_ascii=True: `"` and `\` escaped, \n \r \t \b \f, other
// characters below 0x20 and everything from 0x7f up as \uXXXX with lower-case
// hex (astral characters as a surrogate pair). '/', '<', '>' and '&' are not
// escaped. See pycompat.AppendJSONQuoted.
func AppendString(b []byte, s string) []byte { return pycompat.AppendJSONQuoted(b, s, true) }

// AppendFloat appends f as Python's float.__repr__ writes it (the shortest
// string that round-trips, "1.0" rather than "1", "1e-07", "1e+16"), and NaN,
// Infinity and -Infinity as json.dumps writes them.
func AppendFloat(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, 1):
		return append(b, "Infinity"...)
	case math.IsInf(f, -1):
		return append(b, "-Infinity"...)
	}
	var buf [32]byte
	e := strconv.AppendFloat(buf[:0], f, 'e', -1, 64) // [-]d[.ddd]e±XX
	neg := e[0] == '-'
	if neg {
		e = e[1:]
		b = append(b, '-')
	}
	ePos := 0
	for ePos < len(e) && e[ePos] != 'e' {
		ePos++
	}
	mant, expPart := e[:ePos], e[ePos+1:]
	exp, _ := strconv.Atoi(string(expPart))
	// Significant digits without the point.
	var digs [24]byte
	nd := 0
	for _, c := range mant {
		if c != '.' {
			digs[nd] = c
			nd++
		}
	}
	d := digs[:nd]
	decpt := exp + 1 // position of the decimal point relative to d
	if decpt <= -4 || decpt > 16 {
		// Scientific, as repr: d[.ddd]e±XX with at least two exponent digits.
		b = append(b, d[0])
		if nd > 1 {
			b = append(b, '.')
			b = append(b, d[1:]...)
		}
		b = append(b, 'e')
		if exp < 0 {
			b = append(b, '-')
			exp = -exp
		} else {
			b = append(b, '+')
		}
		if exp < 10 {
			b = append(b, '0')
		}
		return strconv.AppendInt(b, int64(exp), 10)
	}
	switch {
	case decpt <= 0:
		b = append(b, '0', '.')
		for range -decpt {
			b = append(b, '0')
		}
		b = append(b, d...)
	case decpt >= nd:
		b = append(b, d...)
		for range decpt - nd {
			b = append(b, '0')
		}
		b = append(b, '.', '0')
	default:
		b = append(b, d[:decpt]...)
		b = append(b, '.')
		b = append(b, d[decpt:]...)
	}
	return b
}
