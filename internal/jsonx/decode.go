package jsonx

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"

	"github.com/dmr-go/dmr/internal/pycompat"
	"github.com/dmr-go/dmr/internal/shape"
)

// Issue is one problem found in a value.
type Issue struct {
	Loc []any // object keys (string) and array indexes (int)
	Msg string
}

// Unknown says what to do with object members a struct does not declare.
type Unknown uint8

// Unknown values.
const (
	IgnoreUnknown Unknown = iota
	RejectUnknown
)

// MaxDepth is the deepest nesting of arrays and objects accepted.
const MaxDepth = 512

type pathElem struct {
	key   string
	idx   int
	isIdx bool
}

type decoder struct {
	data    []byte
	pos     int
	depth   int
	unknown Unknown
	path    []pathElem
	issues  []Issue
	scratch []byte
}

type syntaxError struct{ msg string }

// Decode decodes data into v (settable, of type t) and returns the problems
// found. A syntax error yields exactly one Issue with an empty Loc.
func Decode(data []byte, t *shape.Type, v reflect.Value, unknown Unknown) (issues []Issue) {
	d := decoder{data: data, unknown: unknown}
	defer func() {
		if r := recover(); r != nil {
			se, ok := r.(syntaxError)
			if !ok {
				panic(r)
			}
			issues = []Issue{{Loc: []any{}, Msg: se.msg}}
		}
	}()
	d.skipSpace()
	if d.pos >= len(d.data) {
		d.fail("EOF while parsing a value")
	}
	d.value(t, v, nil)
	d.skipSpace()
	if d.pos < len(d.data) {
		d.fail("trailing characters")
	}
	return d.issues
}

// fail stops decoding with a syntax error at the current position.
func (d *decoder) fail(what string) {
	line, col := 1, 0
	end := min(d.pos, len(d.data))
	for _, c := range d.data[:end] {
		if c == '\n' {
			line++
			col = 0
		} else {
			col++
		}
	}
	if d.pos < len(d.data) {
		col++
	}
	panic(syntaxError{fmt.Sprintf("Invalid JSON: %s at line %d column %d", what, line, col)})
}

func (d *decoder) loc() []any {
	loc := make([]any, len(d.path))
	for i, p := range d.path {
		if p.isIdx {
			loc[i] = p.idx
		} else {
			loc[i] = p.key
		}
	}
	return loc
}

func (d *decoder) issue(msg string) {
	d.issues = append(d.issues, Issue{Loc: d.loc(), Msg: msg})
}

func (d *decoder) skipSpace() { d.pos = pycompat.SkipJSONSpace(d.data, d.pos) }

func (d *decoder) peek() byte {
	d.skipSpace()
	if d.pos >= len(d.data) {
		d.fail("EOF while parsing a value")
	}
	return d.data[d.pos]
}

func (d *decoder) literal(lit string) {
	if len(d.data)-d.pos < len(lit) || string(d.data[d.pos:d.pos+len(lit)]) != lit {
		if len(d.data)-d.pos < len(lit) && string(d.data[d.pos:]) == lit[:len(d.data)-d.pos] {
			d.pos = len(d.data)
			d.fail("EOF while parsing a value")
		}
		d.fail("expected value")
	}
	d.pos += len(lit)
}

// typeMsg is the message for a JSON value of the wrong type.
func typeMsg(t *shape.Type) string {
	switch t.Deref().Kind {
	case shape.Bool:
		return shape.MsgBool
	case shape.Int, shape.Uint:
		return shape.MsgInt
	case shape.Float:
		return shape.MsgFloat
	case shape.String, shape.Text, shape.Bytes:
		return shape.MsgString
	case shape.Slice:
		return shape.MsgList
	case shape.Struct, shape.Map:
		return shape.MsgDict
	}
	return "Invalid value"
}

// value decodes one JSON value into v. c holds the constraints that apply
// at this level (nil for none).
func (d *decoder) value(t *shape.Type, v reflect.Value, c *shape.Constraints) {
	ch := d.peek()
	if ch == 'n' {
		d.literal("null")
		switch t.Kind {
		case shape.Pointer, shape.Any:
			v.SetZero()
		case shape.Custom:
			d.custom(v, []byte("null"))
		default:
			d.issue(typeMsg(t))
		}
		return
	}
	switch t.Kind {
	case shape.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(t.Elem.T))
		}
		d.value(t.Elem, v.Elem(), c)
	case shape.Bool:
		switch ch {
		case 't':
			d.literal("true")
			v.SetBool(true)
		case 'f':
			d.literal("false")
			v.SetBool(false)
		default:
			d.mismatch(t)
			return
		}
		if c != nil && c.Enum != nil {
			if m := c.CheckBool(v.Bool()); m != "" {
				d.issue(m)
			}
		}
	case shape.Int, shape.Uint, shape.Float:
		if ch != '-' && (ch < '0' || ch > '9') {
			d.mismatch(t)
			return
		}
		d.number(t, v, c)
	case shape.String:
		if ch != '"' {
			d.mismatch(t)
			return
		}
		s := d.str()
		v.SetString(s)
		if c != nil && c.HasItemChecks() {
			if m := c.CheckString(s); m != "" {
				d.issue(m)
			}
		}
	case shape.Text:
		if ch != '"' {
			d.mismatch(t)
			return
		}
		s := d.str()
		if c != nil && c.HasItemChecks() {
			if m := c.CheckString(s); m != "" {
				d.issue(m)
				return
			}
		}
		if err := v.Addr().Interface().(interface{ UnmarshalText([]byte) error }).UnmarshalText([]byte(s)); err != nil {
			if t.Format == "date-time" {
				d.issue("Input should be a valid datetime")
			} else {
				d.issue("Value error, " + err.Error())
			}
		}
	case shape.Bytes:
		if ch != '"' {
			d.mismatch(t)
			return
		}
		s := d.str()
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			d.issue(shape.MsgBase64)
			return
		}
		v.SetBytes(b)
	case shape.Struct:
		if ch != '{' {
			d.mismatch(t)
			return
		}
		d.object(t, v)
	case shape.Map:
		if ch != '{' {
			d.mismatch(t)
			return
		}
		d.mapValue(t, v, c)
	case shape.Slice:
		if ch != '[' {
			d.mismatch(t)
			return
		}
		d.array(t, v, c)
	case shape.Any:
		x := d.anyValue()
		if x == nil {
			v.SetZero()
		} else {
			v.Set(reflect.ValueOf(x))
		}
	case shape.Custom:
		start := d.pos
		d.skipValue()
		d.custom(v, d.data[start:d.pos])
	}
}

func (d *decoder) custom(v reflect.Value, raw []byte) {
	raw = append([]byte(nil), raw...)
	var err error
	if u, ok := v.Addr().Interface().(interface{ UnmarshalJSON([]byte) error }); ok {
		err = u.UnmarshalJSON(raw)
	} else {
		// A type with only some of the marshalling methods: encoding/json
		// knows how to combine them.
		err = json.Unmarshal(raw, v.Addr().Interface())
	}
	if err != nil {
		d.issue("Value error, " + err.Error())
	}
}

func (d *decoder) mismatch(t *shape.Type) {
	d.skipValue()
	d.issue(typeMsg(t))
}

func (d *decoder) enter() {
	d.depth++
	if d.depth > MaxDepth {
		d.fail("recursion limit exceeded")
	}
}

func (d *decoder) object(t *shape.Type, v reflect.Value) {
	d.enter()
	d.pos++ // {
	var seenSmall uint64
	var seenBig []bool
	if len(t.Fields) > 64 {
		seenBig = make([]bool, len(t.Fields))
	}
	for first := true; ; first = false {
		key, ok := d.nextKey(first)
		if !ok {
			break
		}
		f := t.FieldByName(string(key))
		if f == nil {
			if d.unknown == RejectUnknown {
				d.path = append(d.path, pathElem{key: string(key)})
				d.issue(shape.MsgExtra)
				d.path = d.path[:len(d.path)-1]
			}
			d.skipValue()
			continue
		}
		if seenBig != nil {
			seenBig[f.Pos] = true
		} else {
			seenSmall |= 1 << f.Pos
		}
		d.path = append(d.path, pathElem{key: f.Name})
		fv := v
		if len(f.Index) == 1 {
			fv = v.Field(f.Index[0])
		} else {
			fv = v.FieldByIndex(f.Index)
		}
		d.value(f.Type, fv, f.C)
		d.path = d.path[:len(d.path)-1]
	}
	d.depth--
	for _, f := range t.Fields {
		seen := false
		if seenBig != nil {
			seen = seenBig[f.Pos]
		} else {
			seen = seenSmall&(1<<f.Pos) != 0
		}
		if !seen && f.Required {
			d.path = append(d.path, pathElem{key: f.Name})
			d.issue(shape.MsgRequired)
			d.path = d.path[:len(d.path)-1]
		}
	}
}

func (d *decoder) mapValue(t *shape.Type, v reflect.Value, c *shape.Constraints) {
	d.enter()
	d.pos++
	m := reflect.MakeMap(t.T)
	for first := true; ; first = false {
		kb, ok := d.nextKey(first)
		if !ok {
			break
		}
		key := string(kb)
		d.path = append(d.path, pathElem{key: key})
		ev := reflect.New(t.Elem.T).Elem()
		d.value(t.Elem, ev, c)
		d.path = d.path[:len(d.path)-1]
		m.SetMapIndex(reflect.ValueOf(key).Convert(t.T.Key()), ev)
	}
	d.depth--
	v.Set(m)
}

func (d *decoder) array(t *shape.Type, v reflect.Value, c *shape.Constraints) {
	d.enter()
	d.pos++
	sl := reflect.MakeSlice(t.T, 0, 4)
	n := 0
	for ; d.nextElem(n == 0); n++ {
		if n == sl.Cap() {
			sl = reflect.AppendSlice(sl, reflect.MakeSlice(t.T, n, n)).Slice(0, n)
		}
		sl = sl.Slice(0, n+1)
		d.path = append(d.path, pathElem{idx: n, isIdx: true})
		d.value(t.Elem, sl.Index(n), c)
		d.path = d.path[:len(d.path)-1]
	}
	d.depth--
	v.Set(sl)
	if c != nil && c.HasListChecks() {
		if m := c.CheckLen(n); m != "" {
			d.issue(m)
		} else if c.UniqueItems && !unique(sl) {
			d.issue(shape.MsgUnique)
		}
	}
}

func unique(sl reflect.Value) bool {
	if !sl.Type().Elem().Comparable() {
		return true
	}
	seen := make(map[any]struct{}, sl.Len())
	for i := range sl.Len() {
		k := sl.Index(i).Interface()
		if _, dup := seen[k]; dup {
			return false
		}
		seen[k] = struct{}{}
	}
	return true
}

// IntRange returns the bounds of an Int or Uint type.
func IntRange(t *shape.Type) (lo int64, hi uint64) {
	if t.Kind == shape.Uint {
		return 0, math.MaxUint64 >> (64 - t.Bits)
	}
	return -1 << (t.Bits - 1), 1<<(t.Bits-1) - 1
}

func (d *decoder) number(t *shape.Type, v reflect.Value, c *shape.Constraints) {
	start := d.pos
	isInt := d.scanNumber()
	tok := d.data[start:d.pos]
	var f float64
	switch t.Kind {
	case shape.Int:
		if isInt {
			n, err := strconv.ParseInt(string(tok), 10, t.Bits)
			if err != nil {
				d.issue(intRangeMsg(t))
				return
			}
			v.SetInt(n)
			f = float64(n)
		} else {
			x, err := strconv.ParseFloat(string(tok), 64)
			if err != nil || x != math.Trunc(x) {
				d.issue(shape.MsgIntFraction)
				return
			}
			lo, hi := IntRange(t)
			if x < float64(lo) || x >= float64(hi)+1 {
				d.issue(intRangeMsg(t))
				return
			}
			v.SetInt(int64(x))
			f = x
		}
	case shape.Uint:
		if isInt {
			n, err := strconv.ParseUint(string(tok), 10, t.Bits)
			if err != nil {
				if len(tok) > 0 && tok[0] == '-' {
					d.issue("Input should be greater than or equal to 0")
				} else {
					d.issue(intRangeMsg(t))
				}
				return
			}
			v.SetUint(n)
			f = float64(n)
		} else {
			x, err := strconv.ParseFloat(string(tok), 64)
			if err != nil || x != math.Trunc(x) {
				d.issue(shape.MsgIntFraction)
				return
			}
			_, hi := IntRange(t)
			if x < 0 || x >= float64(hi)+1 {
				d.issue(intRangeMsg(t))
				return
			}
			v.SetUint(uint64(x))
			f = x
		}
	case shape.Float:
		x, err := strconv.ParseFloat(string(tok), t.Bits)
		if err != nil {
			d.issue("Input should be a finite number")
			return
		}
		v.SetFloat(x)
		f = x
	}
	if c != nil && c.HasItemChecks() {
		if m := c.CheckNumber(f); m != "" {
			d.issue(m)
		}
	}
}

func intRangeMsg(t *shape.Type) string {
	lo, hi := IntRange(t)
	if t.Kind == shape.Uint {
		return fmt.Sprintf("Input should be less than or equal to %d", hi)
	}
	return fmt.Sprintf("Input should be between %d and %d", lo, int64(hi))
}

// scanNumber advances over a JSON number and reports whether it is an
// integer (no fraction, no exponent).
func (d *decoder) scanNumber() bool {
	isInt := true
	p := d.pos
	if p < len(d.data) && d.data[p] == '-' {
		p++
	}
	digits := func() int {
		s := p
		for p < len(d.data) && d.data[p] >= '0' && d.data[p] <= '9' {
			p++
		}
		return p - s
	}
	if p < len(d.data) && d.data[p] == '0' {
		p++
	} else if digits() == 0 {
		d.pos = p
		if p >= len(d.data) {
			d.fail("EOF while parsing a value")
		}
		d.fail("invalid number")
	}
	if p < len(d.data) && d.data[p] == '.' {
		isInt = false
		p++
		if digits() == 0 {
			d.pos = p
			d.fail("invalid number")
		}
	}
	if p < len(d.data) && (d.data[p] == 'e' || d.data[p] == 'E') {
		isInt = false
		p++
		if p < len(d.data) && (d.data[p] == '+' || d.data[p] == '-') {
			p++
		}
		if digits() == 0 {
			d.pos = p
			d.fail("invalid number")
		}
	}
	d.pos = p
	return isInt
}

// strBytes reads a string token and returns its unescaped bytes, valid only
// until the next call.
func (d *decoder) strBytes() []byte {
	start := d.pos + 1
	b, end, err := pycompat.AppendJSONString(d.scratch[:0], d.data, start)
	d.pos = end
	switch err {
	case 0:
		if len(b) < end-1-start { // unescaped into scratch: keep its array
			d.scratch = b[:0]
		}
		return b
	case pycompat.JSONStringEOF:
		d.fail("EOF while parsing a string")
	case pycompat.JSONStringControl:
		d.fail("control character (\\u0000-\\u001F) found while parsing a string")
	case pycompat.JSONStringUTF8:
		d.fail("invalid UTF-8")
	}
	d.fail("invalid escape")
	return nil
}

// nextKey moves to the next member of an object whose '{' was consumed. It
// returns false once the closing '}' is consumed; otherwise the member's key,
// with the ':' after it consumed. first is true for the first call.
func (d *decoder) nextKey(first bool) ([]byte, bool) {
	ch := d.peek()
	if ch == '}' {
		d.pos++
		return nil, false
	}
	if !first {
		if ch != ',' {
			d.fail("expected `,` or `}`")
		}
		d.pos++
		if ch = d.peek(); ch == '}' {
			d.fail("trailing comma")
		}
	}
	if ch != '"' {
		d.fail("key must be a string")
	}
	key := d.strBytes()
	if d.peek() != ':' {
		d.fail("expected `:`")
	}
	d.pos++
	return key, true
}

// nextElem moves to the next element of an array whose '[' was consumed. It
// returns false once the closing ']' is consumed. first is true for the first
// call.
func (d *decoder) nextElem(first bool) bool {
	ch := d.peek()
	if ch == ']' {
		d.pos++
		return false
	}
	if !first {
		if ch != ',' {
			d.fail("expected `,` or `]`")
		}
		d.pos++
		if d.peek() == ']' {
			d.fail("trailing comma")
		}
	}
	return true
}

func (d *decoder) str() string { return string(d.strBytes()) }

// skipValue advances over one JSON value, checking its syntax.
func (d *decoder) skipValue() {
	switch ch := d.peek(); {
	case ch == '{':
		d.enter()
		d.pos++
		for first := true; ; first = false {
			if _, ok := d.nextKey(first); !ok {
				break
			}
			d.skipValue()
		}
		d.depth--
	case ch == '[':
		d.enter()
		d.pos++
		for first := true; d.nextElem(first); first = false {
			d.skipValue()
		}
		d.depth--
	case ch == '"':
		d.strBytes()
	case ch == 't':
		d.literal("true")
	case ch == 'f':
		d.literal("false")
	case ch == 'n':
		d.literal("null")
	case ch == '-' || ('0' <= ch && ch <= '9'):
		d.scanNumber()
	default:
		d.fail("expected value")
	}
}

// anyValue decodes a value into the types encoding/json uses for any:
// map[string]any, []any, float64, string, bool, nil.
func (d *decoder) anyValue() any {
	switch ch := d.peek(); {
	case ch == '{':
		d.enter()
		d.pos++
		m := map[string]any{}
		for first := true; ; first = false {
			kb, ok := d.nextKey(first)
			if !ok {
				break
			}
			k := string(kb)
			m[k] = d.anyValue()
		}
		d.depth--
		return m
	case ch == '[':
		d.enter()
		d.pos++
		s := []any{}
		for d.nextElem(len(s) == 0) {
			s = append(s, d.anyValue())
		}
		d.depth--
		return s
	case ch == '"':
		return d.str()
	case ch == 't':
		d.literal("true")
		return true
	case ch == 'f':
		d.literal("false")
		return false
	case ch == 'n':
		d.literal("null")
		return nil
	case ch == '-' || ('0' <= ch && ch <= '9'):
		start := d.pos
		d.scanNumber()
		f, err := strconv.ParseFloat(string(d.data[start:d.pos]), 64)
		if err != nil {
			d.issue("Input should be a finite number")
		}
		return f
	default:
		d.fail("expected value")
	}
	return nil
}
