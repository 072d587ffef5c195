package jsonx

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"reflect"
	"strconv"

	"github.com/dmr-go/dmr/internal/pycompat"
	"github.com/dmr-go/dmr/internal/shape"
)

// Encoder appends values as JSON and, when Validate is set, checks them
// against their constraints, collecting Issues with their locations.
//
// Nil slices are written as [] and nil maps as {} (they are declared as
// arrays and objects, not as nullable values); nil pointers as null.
type Encoder struct {
	Validate bool
	Issues   []Issue
	path     []pathElem
	err      error
}

// Err returns the first error a json.Marshaler or TextMarshaler returned.
func (e *Encoder) Err() error { return e.err }

func (e *Encoder) issue(msg string) {
	loc := make([]any, len(e.path))
	for i, p := range e.path {
		if p.isIdx {
			loc[i] = p.idx
		} else {
			loc[i] = p.key
		}
	}
	e.Issues = append(e.Issues, Issue{Loc: loc, Msg: msg})
}

// Append appends v (of type t) to b.
func (e *Encoder) Append(b []byte, t *shape.Type, v reflect.Value, c *shape.Constraints) []byte {
	switch t.Kind {
	case shape.Pointer:
		if v.IsNil() {
			return append(b, "null"...)
		}
		return e.Append(b, t.Elem, v.Elem(), c)
	case shape.Bool:
		if e.Validate && c != nil && c.Enum != nil {
			if m := c.CheckBool(v.Bool()); m != "" {
				e.issue(m)
			}
		}
		return strconv.AppendBool(b, v.Bool())
	case shape.Int:
		n := v.Int()
		if e.Validate && c != nil && c.HasItemChecks() {
			if m := c.CheckNumber(float64(n)); m != "" {
				e.issue(m)
			}
		}
		return strconv.AppendInt(b, n, 10)
	case shape.Uint:
		n := v.Uint()
		if e.Validate && c != nil && c.HasItemChecks() {
			if m := c.CheckNumber(float64(n)); m != "" {
				e.issue(m)
			}
		}
		return strconv.AppendUint(b, n, 10)
	case shape.Float:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			e.issue("Input should be a finite number")
			return append(b, "null"...)
		}
		if e.Validate && c != nil && c.HasItemChecks() {
			if m := c.CheckNumber(f); m != "" {
				e.issue(m)
			}
		}
		return appendFloat(b, f, t.Bits)
	case shape.String:
		s := v.String()
		if e.Validate && c != nil && c.HasItemChecks() {
			if m := c.CheckString(s); m != "" {
				e.issue(m)
			}
		}
		return AppendString(b, s)
	case shape.Text:
		var tm interface{ MarshalText() ([]byte, error) }
		if v.CanAddr() {
			tm, _ = v.Addr().Interface().(interface{ MarshalText() ([]byte, error) })
		}
		if tm == nil {
			tm, _ = v.Interface().(interface{ MarshalText() ([]byte, error) })
		}
		if tm == nil {
			e.issue("Value error, cannot marshal")
			return append(b, "null"...)
		}
		txt, err := tm.MarshalText()
		if err != nil {
			if e.err == nil {
				e.err = err
			}
			e.issue("Value error, " + err.Error())
			return append(b, "null"...)
		}
		if e.Validate && c != nil && c.HasItemChecks() {
			if m := c.CheckString(string(txt)); m != "" {
				e.issue(m)
			}
		}
		return AppendString(b, string(txt))
	case shape.Bytes:
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, v.Bytes())
		return append(b, '"')
	case shape.Struct:
		return e.object(b, t, v)
	case shape.Map:
		b = append(b, '{')
		keys := v.MapKeys()
		sortStrings(keys)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendString(b, k.String())
			b = append(b, ':')
			e.path = append(e.path, pathElem{key: k.String()})
			b = e.Append(b, t.Elem, v.MapIndex(k), c)
			e.path = e.path[:len(e.path)-1]
		}
		return append(b, '}')
	case shape.Slice:
		n := v.Len()
		if e.Validate && c != nil && c.HasListChecks() {
			if m := c.CheckLen(n); m != "" {
				e.issue(m)
			} else if c.UniqueItems && !unique(v) {
				e.issue(shape.MsgUnique)
			}
		}
		b = append(b, '[')
		for i := range n {
			if i > 0 {
				b = append(b, ',')
			}
			e.path = append(e.path, pathElem{idx: i, isIdx: true})
			b = e.Append(b, t.Elem, v.Index(i), c)
			e.path = e.path[:len(e.path)-1]
		}
		return append(b, ']')
	case shape.Any, shape.Custom:
		if t.Kind == shape.Any && v.IsNil() {
			return append(b, "null"...)
		}
		var x any
		if t.Kind == shape.Custom && v.CanAddr() {
			x = v.Addr().Interface()
		} else {
			x = v.Interface()
		}
		out, err := json.Marshal(x)
		if err != nil {
			if e.err == nil {
				e.err = err
			}
			e.issue("Value error, " + err.Error())
			return append(b, "null"...)
		}
		return append(b, out...)
	}
	return append(b, "null"...)
}

func (e *Encoder) object(b []byte, t *shape.Type, v reflect.Value) []byte {
	b = append(b, '{')
	first := true
	for _, f := range t.Fields {
		var fv reflect.Value
		if len(f.Index) == 1 {
			fv = v.Field(f.Index[0])
		} else {
			fv = v.FieldByIndex(f.Index)
		}
		if (f.OmitEmpty && isEmpty(fv)) || (f.OmitZero && fv.IsZero()) {
			if e.Validate && f.Required {
				e.path = append(e.path, pathElem{key: f.Name})
				e.issue(shape.MsgRequired)
				e.path = e.path[:len(e.path)-1]
			}
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = AppendString(b, f.Name)
		b = append(b, ':')
		e.path = append(e.path, pathElem{key: f.Name})
		if e.Validate && f.Required && f.Type.Kind == shape.Pointer && fv.IsNil() {
			e.issue(shape.MsgRequired)
		}
		b = e.Append(b, f.Type, fv, f.C)
		e.path = e.path[:len(e.path)-1]
	}
	return append(b, '}')
}

func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}

func sortStrings(keys []reflect.Value) {
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j].String() < keys[j-1].String(); j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
}

func appendFloat(b []byte, f float64, bits int) []byte {
	// The same format as encoding/json.
	abs := math.Abs(f)
	fmtc := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			fmtc = 'e'
		}
	}
	b = strconv.AppendFloat(b, f, fmtc, -1, bits)
	if fmtc == 'e' {
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// AppendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD;
// U+2028 and U+2029 are escaped. HTML characters are left alone (the
// responses are application/json). See pycompat.AppendJSONQuoted.
func AppendString(b []byte, s string) []byte { return pycompat.AppendJSONQuoted(b, s, false) }
