package pickle

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strings"

	"github.com/dmr-go/dmr/pyjson"
)

// Limits on what Unmarshal accepts.
const (
	// MaxDepth is the deepest nesting of dicts and lists.
	MaxDepth = 1000
	// MaxValues caps the number of values in the decoded result, counting a
	// value reached through several memo references once per reference.
	MaxValues = 1 << 18
	// maxLongBits caps integers (Python's default int↔str limit is 4300
	// digits, about 14,300 bits).
	maxLongBits = 14300
	// maxMemo caps memo indexes.
	maxMemo = 1 << 20
)

// ErrUnsupported wraps errors about pickle contents outside the supported
// subset (classes, sets, bytes…).
var ErrUnsupported = errors.New("pickle: unsupported content")

// Containers while decoding. They are pointers because lists and dicts are
// mutable and any container may be shared through the memo; finish converts
// them in place once decoding is done.
type (
	list struct {
		items []any
		meta
	}
	dict struct {
		o *pyjson.Object
		meta
	}
	tuple struct {
		items []any
		meta
	}
)

// meta is finish's bookkeeping for a container.
type meta struct {
	state  uint8 // unseen, visiting, measured, converted
	size   int   // values in the expanded subtree
	height int   // nesting below this container
}

const (
	unseen uint8 = iota
	visiting
	measured
	converted
)

// memoEntry is a memo slot; ok tells a memoized None from an empty slot.
type memoEntry struct {
	v  any
	ok bool
}

// mark is the MARK sentinel on the stack.
type mark struct{}

// Unmarshal decodes a pickle whose top-level value is a dict into an
// *pyjson.Object. See the package doc for what is accepted.
func Unmarshal(data []byte) (*pyjson.Object, error) {
	v, err := UnmarshalValue(data)
	if err != nil {
		return nil, err
	}
	o, ok := v.(*pyjson.Object)
	if !ok {
		return nil, fmt.Errorf("pickle: top-level value is %T, not a dict", v)
	}
	return o, nil
}

// UnmarshalValue decodes a pickle holding any supported value.
func UnmarshalValue(data []byte) (any, error) {
	d := decoder{in: data, stack: make([]any, 0, 16), memo: make([]memoEntry, 0, 16)}
	v, err := d.run()
	if err != nil {
		return nil, err
	}
	if _, _, err := measure(v, 0); err != nil {
		return nil, err
	}
	return convert(v), nil
}

type decoder struct {
	in    []byte
	pos   int
	stack []any
	memo  []memoEntry // Python's memo dict; MEMOIZE uses len(memo), the count of entries
	memoN int         // entries defined
	proto int
	// frameEnd is the end of the current frame, 0 outside frames.
	frameEnd int
}

var errTruncated = errors.New("pickle: truncated data")

func (d *decoder) read(n int) ([]byte, error) {
	if n < 0 || n > len(d.in)-d.pos {
		return nil, errTruncated
	}
	b := d.in[d.pos : d.pos+n]
	d.pos += n
	return b, nil
}

func (d *decoder) byte() (byte, error) {
	if d.pos >= len(d.in) {
		return 0, errTruncated
	}
	b := d.in[d.pos]
	d.pos++
	return b, nil
}

// line reads a newline-terminated text argument (at most 5000 bytes).
func (d *decoder) line() (string, error) {
	end := bytes.IndexByte(d.in[d.pos:min(len(d.in), d.pos+5001)], '\n')
	if end < 0 {
		return "", errors.New("pickle: missing or overlong text argument")
	}
	s := string(d.in[d.pos : d.pos+end])
	d.pos += end + 1
	return s, nil
}

func (d *decoder) uint32() (uint32, error) {
	b, err := d.read(4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

func (d *decoder) uint64() (uint64, error) {
	b, err := d.read(8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

func (d *decoder) push(v any) { d.stack = append(d.stack, v) }

func (d *decoder) pop() (any, error) {
	if len(d.stack) == 0 {
		return nil, errors.New("pickle: stack underflow")
	}
	v := d.stack[len(d.stack)-1]
	d.stack = d.stack[:len(d.stack)-1]
	if _, ok := v.(mark); ok {
		return nil, errors.New("pickle: unexpected MARK")
	}
	return v, nil
}

func (d *decoder) top() (any, error) {
	if len(d.stack) == 0 {
		return nil, errors.New("pickle: stack underflow")
	}
	v := d.stack[len(d.stack)-1]
	if _, ok := v.(mark); ok {
		return nil, errors.New("pickle: unexpected MARK")
	}
	return v, nil
}

// popMark pops everything down to and including the topmost MARK and returns
// the items above it.
func (d *decoder) popMark() ([]any, error) {
	for i := len(d.stack) - 1; i >= 0; i-- {
		if _, ok := d.stack[i].(mark); ok {
			items := slices.Clone(d.stack[i+1:])
			d.stack = d.stack[:i]
			return items, nil
		}
	}
	return nil, errors.New("pickle: MARK not found")
}

func (d *decoder) memoPut(idx uint64) error {
	v, err := d.top()
	if err != nil {
		return err
	}
	// Python numbers memo entries from 0 up; a far-off index is refused
	// rather than allocated.
	if idx >= maxMemo || idx > uint64(len(d.memo))+1024 {
		return fmt.Errorf("pickle: memo index %d out of range", idx)
	}
	for uint64(len(d.memo)) <= idx {
		d.memo = append(d.memo, memoEntry{})
	}
	if !d.memo[idx].ok {
		d.memoN++
	}
	d.memo[idx] = memoEntry{v, true}
	return nil
}

func (d *decoder) memoGet(idx uint64) error {
	if idx >= uint64(len(d.memo)) || !d.memo[idx].ok {
		return fmt.Errorf("pickle: memo index %d not defined", idx)
	}
	d.push(d.memo[idx].v)
	return nil
}

func (d *decoder) run() (any, error) {
	for {
		if d.frameEnd != 0 && d.pos == d.frameEnd {
			d.frameEnd = 0
		}
		op, err := d.byte()
		if err != nil {
			return nil, err
		}
		if d.frameEnd != 0 && op == opFrame {
			return nil, errors.New("pickle: FRAME inside a frame")
		}
		switch op {
		case opProto:
			p, err := d.byte()
			if err != nil {
				return nil, err
			}
			if p > 5 {
				return nil, fmt.Errorf("%w: protocol %d", ErrUnsupported, p)
			}
			d.proto = int(p)
		case opFrame:
			n, err := d.uint64()
			if err != nil {
				return nil, err
			}
			if n > uint64(len(d.in)-d.pos) {
				return nil, errTruncated
			}
			if n > 0 {
				d.frameEnd = d.pos + int(n)
			}
		case opStop:
			v, err := d.pop()
			if err != nil {
				return nil, err
			}
			if len(d.stack) != 0 {
				return nil, errors.New("pickle: values left on the stack at STOP")
			}
			if d.pos != len(d.in) {
				return nil, errors.New("pickle: trailing data after STOP")
			}
			return v, nil

		case opMark:
			d.push(mark{})
		case opPop:
			if len(d.stack) == 0 {
				return nil, errors.New("pickle: stack underflow")
			}
			d.stack = d.stack[:len(d.stack)-1] // Python's POP also drops a MARK
		case opPopMark:
			if _, err := d.popMark(); err != nil {
				return nil, err
			}
		case opDup:
			v, err := d.top()
			if err != nil {
				return nil, err
			}
			d.push(v)

		case opNone:
			d.push(nil)
		case opNewTrue:
			d.push(true)
		case opNewFalse:
			d.push(false)
		case opBinInt:
			u, err := d.uint32()
			if err != nil {
				return nil, err
			}
			d.push(int64(int32(u)))
		case opBinInt1:
			b, err := d.byte()
			if err != nil {
				return nil, err
			}
			d.push(int64(b))
		case opBinInt2:
			b, err := d.read(2)
			if err != nil {
				return nil, err
			}
			d.push(int64(binary.LittleEndian.Uint16(b)))
		case opLong1, opLong4:
			var n uint64
			if op == opLong1 {
				b, err := d.byte()
				if err != nil {
					return nil, err
				}
				n = uint64(b)
			} else {
				u, err := d.uint32()
				if err != nil {
					return nil, err
				}
				if int32(u) < 0 {
					return nil, errors.New("pickle: LONG4 with negative length")
				}
				n = uint64(u)
			}
			if n*8 > maxLongBits+8 {
				return nil, fmt.Errorf("%w: integer of %d bytes", ErrUnsupported, n)
			}
			b, err := d.read(int(n))
			if err != nil {
				return nil, err
			}
			d.push(decodeLong(b))
		case 'I', 'L': // INT, LONG (text; og-rek writes LONG for big integers)
			line, err := d.line()
			if err != nil {
				return nil, err
			}
			if op == 'I' && (line == "00" || line == "01") {
				d.push(line == "01")
				break
			}
			if op == 'L' {
				line = strings.TrimSuffix(line, "L")
			}
			x, ok := new(big.Int).SetString(line, 10)
			if !ok || x.BitLen() > maxLongBits || line == "" || line[0] == '+' || strings.ContainsRune(line, '_') {
				return nil, fmt.Errorf("pickle: bad integer %q", line)
			}
			if x.IsInt64() {
				d.push(x.Int64())
			} else {
				d.push(json.Number(x.String()))
			}
		case opBinFloat:
			b, err := d.read(8)
			if err != nil {
				return nil, err
			}
			d.push(math.Float64frombits(binary.BigEndian.Uint64(b)))

		case opShortBinUnicod, opBinUnicode, opBinUnicode8:
			var n uint64
			switch op {
			case opShortBinUnicod:
				b, err := d.byte()
				if err != nil {
					return nil, err
				}
				n = uint64(b)
			case opBinUnicode:
				u, err := d.uint32()
				if err != nil {
					return nil, err
				}
				n = uint64(u)
			default:
				n, err = d.uint64()
				if err != nil {
					return nil, err
				}
			}
			if n > uint64(len(d.in)-d.pos) {
				return nil, errTruncated
			}
			b, _ := d.read(int(n))
			s := string(b)
			if !validWTF8(s) {
				return nil, errors.New("pickle: string is not valid UTF-8")
			}
			d.push(s)

		case 'U', 'T': // SHORT_BINSTRING, BINSTRING: read as ASCII, as Python 3 does by default
			var n uint64
			if op == 'U' {
				b, err := d.byte()
				if err != nil {
					return nil, err
				}
				n = uint64(b)
			} else {
				u, err := d.uint32()
				if err != nil {
					return nil, err
				}
				if int32(u) < 0 {
					return nil, errors.New("pickle: BINSTRING with negative length")
				}
				n = uint64(u)
			}
			if n > uint64(len(d.in)-d.pos) {
				return nil, errTruncated
			}
			b, _ := d.read(int(n))
			for _, c := range b {
				if c >= 0x80 {
					return nil, fmt.Errorf("%w: non-ASCII Python 2 string", ErrUnsupported)
				}
			}
			d.push(string(b))

		case opEmptyDict:
			d.push(&dict{o: pyjson.NewObject(0)})
		case opDict:
			items, err := d.popMark()
			if err != nil {
				return nil, err
			}
			dc := &dict{o: pyjson.NewObject(len(items) / 2)}
			if err := setItems(dc, items); err != nil {
				return nil, err
			}
			d.push(dc)
		case opSetItem, opSetItems:
			var items []any
			if op == opSetItem {
				v, err := d.pop()
				if err != nil {
					return nil, err
				}
				k, err := d.pop()
				if err != nil {
					return nil, err
				}
				items = []any{k, v}
			} else if items, err = d.popMark(); err != nil {
				return nil, err
			}
			t, err := d.top()
			if err != nil {
				return nil, err
			}
			dc, ok := t.(*dict)
			if !ok {
				return nil, fmt.Errorf("pickle: SETITEM(S) on %s", kind(t))
			}
			if err := setItems(dc, items); err != nil {
				return nil, err
			}

		case opEmptyList:
			d.push(&list{})
		case opList:
			items, err := d.popMark()
			if err != nil {
				return nil, err
			}
			d.push(&list{items: items})
		case opAppend, opAppends:
			var items []any
			if op == opAppend {
				v, err := d.pop()
				if err != nil {
					return nil, err
				}
				items = []any{v}
			} else if items, err = d.popMark(); err != nil {
				return nil, err
			}
			t, err := d.top()
			if err != nil {
				return nil, err
			}
			l, ok := t.(*list)
			if !ok {
				return nil, fmt.Errorf("pickle: APPEND(S) on %s", kind(t))
			}
			if len(l.items)+len(items) > MaxValues {
				return nil, errors.New("pickle: list too long")
			}
			l.items = append(l.items, items...)

		case opEmptyTuple:
			d.push(&tuple{})
		case opTuple:
			items, err := d.popMark()
			if err != nil {
				return nil, err
			}
			d.push(&tuple{items: items})
		case opTuple1, opTuple2, opTuple3:
			n := int(op-opTuple1) + 1
			if len(d.stack) < n {
				return nil, errors.New("pickle: stack underflow")
			}
			items := slices.Clone(d.stack[len(d.stack)-n:])
			for _, it := range items {
				if _, ok := it.(mark); ok {
					return nil, errors.New("pickle: unexpected MARK")
				}
			}
			d.stack = d.stack[:len(d.stack)-n]
			d.push(&tuple{items: items})

		case opMemoize:
			if err := d.memoPut(uint64(d.memoN)); err != nil {
				return nil, err
			}
		case opBinPut:
			b, err := d.byte()
			if err != nil {
				return nil, err
			}
			if err := d.memoPut(uint64(b)); err != nil {
				return nil, err
			}
		case opLongBinPut:
			u, err := d.uint32()
			if err != nil {
				return nil, err
			}
			if err := d.memoPut(uint64(u)); err != nil {
				return nil, err
			}
		case opBinGet:
			b, err := d.byte()
			if err != nil {
				return nil, err
			}
			if err := d.memoGet(uint64(b)); err != nil {
				return nil, err
			}
		case opLongBinGet:
			u, err := d.uint32()
			if err != nil {
				return nil, err
			}
			if err := d.memoGet(uint64(u)); err != nil {
				return nil, err
			}

		default:
			return nil, fmt.Errorf("%w: opcode 0x%02x (%s) at offset %d", ErrUnsupported, op, opName(op), d.pos-1)
		}
		if len(d.stack) > MaxValues {
			return nil, errors.New("pickle: stack too deep")
		}
	}
}

func setItems(dc *dict, items []any) error {
	if len(items)%2 != 0 {
		return errors.New("pickle: odd number of items for a dict")
	}
	if dc.o.Len()+len(items)/2 > MaxValues {
		return errors.New("pickle: dict too large")
	}
	for i := 0; i < len(items); i += 2 {
		k, ok := items[i].(string)
		if !ok {
			return fmt.Errorf("%w: dict key of type %s", ErrUnsupported, kind(items[i]))
		}
		dc.o.Set(k, items[i+1])
	}
	return nil
}

// decodeLong is Python's pickle.decode_long (little-endian two's
// complement), as int64 when it fits, else json.Number.
func decodeLong(b []byte) any {
	if len(b) == 0 {
		return int64(0)
	}
	be := slices.Clone(b)
	slices.Reverse(be)
	x := new(big.Int).SetBytes(be)
	if be[0]&0x80 != 0 {
		x.Sub(x, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	if x.IsInt64() {
		return x.Int64()
	}
	return json.Number(x.String())
}

// measure walks the decoded graph once (shared containers are measured
// once), rejecting cycles, nesting deeper than MaxDepth and results of more
// than MaxValues values once shared references are expanded. It returns the
// expanded size and height of v.
func measure(v any, depth int) (size, height int, err error) {
	var m *meta
	var children []any
	var o *pyjson.Object
	switch c := v.(type) {
	case *list:
		m, children = &c.meta, c.items
	case *tuple:
		m, children = &c.meta, c.items
	case *dict:
		m, o = &c.meta, c.o
	default:
		return 1, 0, nil
	}
	switch m.state {
	case visiting:
		return 0, 0, errors.New("pickle: cyclic structure")
	case measured:
		if depth+m.height > MaxDepth {
			return 0, 0, fmt.Errorf("pickle: nested deeper than %d", MaxDepth)
		}
		return m.size, m.height, nil
	}
	if depth > MaxDepth {
		return 0, 0, fmt.Errorf("pickle: nested deeper than %d", MaxDepth)
	}
	m.state = visiting
	size = 1
	n := len(children)
	var keys []string
	if o != nil {
		keys = o.Keys()
		n = len(keys)
	}
	for i := range n {
		var x any
		if o != nil {
			x, _ = o.Get(keys[i])
		} else {
			x = children[i]
		}
		cs, ch, err := measure(x, depth+1)
		if err != nil {
			return 0, 0, err
		}
		size += cs
		height = max(height, ch+1)
		if size > MaxValues {
			return 0, 0, fmt.Errorf("pickle: more than %d values", MaxValues)
		}
	}
	m.state, m.size, m.height = measured, size, height
	return size, height, nil
}

// convert replaces the decoding-time containers by the result types, in
// place (measure has checked the graph).
func convert(v any) any {
	switch c := v.(type) {
	case *list:
		if c.state != converted {
			c.state = converted
			for i, x := range c.items {
				c.items[i] = convert(x)
			}
			if c.items == nil {
				c.items = []any{}
			}
		}
		return c.items
	case *tuple:
		if c.state != converted {
			c.state = converted
			for i, x := range c.items {
				c.items[i] = convert(x)
			}
			if c.items == nil {
				c.items = []any{}
			}
		}
		return c.items
	case *dict:
		if c.state != converted {
			c.state = converted
			for _, k := range c.o.Keys() {
				x, _ := c.o.Get(k)
				switch x.(type) {
				case *list, *tuple, *dict:
					c.o.Set(k, convert(x))
				}
			}
		}
		return c.o
	}
	return v
}

func kind(v any) string {
	switch v.(type) {
	case *list:
		return "list"
	case *dict:
		return "dict"
	case *tuple:
		return "tuple"
	case nil:
		return "None"
	case string:
		return "str"
	case bool:
		return "bool"
	case int64, json.Number:
		return "int"
	case float64:
		return "float"
	}
	return fmt.Sprintf("%T", v)
}

func opName(op byte) string {
	switch op {
	case 'c':
		return "GLOBAL"
	case 0x93:
		return "STACK_GLOBAL"
	case 'R':
		return "REDUCE"
	case 'b':
		return "BUILD"
	case 'i':
		return "INST"
	case 'o':
		return "OBJ"
	case 0x81:
		return "NEWOBJ"
	case 0x92:
		return "NEWOBJ_EX"
	case 'P', 'Q':
		return "PERSID"
	case 0x82, 0x83, 0x84:
		return "EXT"
	case 'S':
		return "STRING"
	case 'B', 'C', 0x8e:
		return "BYTES"
	case 0x8f, 0x90, 0x91:
		return "SET"
	case 0x96, 0x97, 0x98:
		return "BUFFER"
	case 'F', 'V', 'g', 'p':
		return "protocol 0 text opcode"
	}
	return "unknown"
}
