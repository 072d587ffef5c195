package pickle

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/dmr-go/dmr/pyjson"
)

// Opcodes used by this package (Python's Lib/pickle.py names).
const (
	opMark           = '('
	opStop           = '.'
	opPop            = '0'
	opPopMark        = '1'
	opDup            = '2'
	opBinFloat       = 'G'
	opBinInt         = 'J'
	opBinInt1        = 'K'
	opBinInt2        = 'M'
	opNone           = 'N'
	opBinUnicode     = 'X'
	opAppend         = 'a'
	opDict           = 'd'
	opEmptyDict      = '}'
	opAppends        = 'e'
	opGet            = 'g'
	opBinGet         = 'h'
	opLongBinGet     = 'j'
	opList           = 'l'
	opEmptyList      = ']'
	opPut            = 'p'
	opBinPut         = 'q'
	opLongBinPut     = 'r'
	opSetItem        = 's'
	opTuple          = 't'
	opEmptyTuple     = ')'
	opSetItems       = 'u'
	opProto          = 0x80
	opTuple1         = 0x85
	opTuple2         = 0x86
	opTuple3         = 0x87
	opNewTrue        = 0x88
	opNewFalse       = 0x89
	opLong1          = 0x8a
	opLong4          = 0x8b
	opShortBinUnicod = 0x8c
	opBinUnicode8    = 0x8d
	opMemoize        = 0x94
	opFrame          = 0x95
)

// Protocol is the pickle protocol Marshal writes: pickle.HIGHEST_PROTOCOL on
// every Python that Django 4.0+ supports.
const Protocol = 5

const (
	batchSize     = 1000 // Python's Pickler._BATCHSIZE
	frameSizeMin  = 4    // frames shorter than this are not framed
	frameHeaderSz = 9
)

// Marshal returns the pickle of v (protocol 5), as pickle.dumps(v, 5) writes
// it. v may be any value package pyjson holds (see the package doc); other Go
// integer and float types, []string and map[string]any (written in sorted key
// order) are accepted too.
func Marshal(v any) ([]byte, error) { return marshal(v, Protocol) }

// MarshalProtocol is Marshal writing the given protocol, 4 or 5, as
// pickle.dumps(v, protocol) does: django-redis pickles with
// pickle.DEFAULT_PROTOCOL, which is 4 on Python 3.8 to 3.13. For the values
// this package writes the two protocols differ only in the PROTO opcode's
// argument (protocol 5 adds opcodes for bytearray and out-of-band buffers
// only).
func MarshalProtocol(v any, protocol int) ([]byte, error) {
	if protocol != 4 && protocol != 5 {
		return nil, fmt.Errorf("pickle: protocol %d: want 4 or 5", protocol)
	}
	return marshal(v, byte(protocol))
}

func marshal(v any, protocol byte) ([]byte, error) {
	e := encoder{buf: make([]byte, 0, 256)}
	e.buf = append(e.buf, opProto, protocol)
	e.buf = append(e.buf, make([]byte, frameHeaderSz)...) // frame header, filled in below
	if err := e.value(v, 0); err != nil {
		return nil, err
	}
	e.buf = append(e.buf, opStop)
	frameLen := len(e.buf) - 2 - frameHeaderSz
	if frameLen >= frameSizeMin {
		e.buf[2] = opFrame
		binary.LittleEndian.PutUint64(e.buf[3:11], uint64(frameLen))
	} else {
		e.buf = slices.Delete(e.buf, 2, 2+frameHeaderSz)
	}
	return e.buf, nil
}

type encoder struct {
	buf  []byte
	memo uint32 // number of memoized objects, for Python-identical output
}

func (e *encoder) memoize() {
	e.buf = append(e.buf, opMemoize)
	e.memo++
}

func (e *encoder) value(v any, depth int) error {
	if depth > MaxDepth {
		return fmt.Errorf("pickle: value nested deeper than %d", MaxDepth)
	}
	switch v := v.(type) {
	case nil:
		e.buf = append(e.buf, opNone)
	case bool:
		if v {
			e.buf = append(e.buf, opNewTrue)
		} else {
			e.buf = append(e.buf, opNewFalse)
		}
	case int64:
		e.int(v)
	case int:
		e.int(int64(v))
	case int32:
		e.int(int64(v))
	case int16:
		e.int(int64(v))
	case int8:
		e.int(int64(v))
	case uint8:
		e.int(int64(v))
	case uint16:
		e.int(int64(v))
	case uint32:
		e.int(int64(v))
	case uint:
		e.bigInt(new(big.Int).SetUint64(uint64(v)))
	case uint64:
		e.bigInt(new(big.Int).SetUint64(v))
	case *big.Int:
		if v == nil {
			e.buf = append(e.buf, opNone)
			return nil
		}
		e.bigInt(v)
	case json.Number:
		return e.number(v)
	case float64:
		e.float(v)
	case float32:
		e.float(float64(v))
	case string:
		return e.str(v)
	case []any:
		return e.list(len(v), func(i int) any { return v[i] }, depth)
	case []string:
		return e.list(len(v), func(i int) any { return v[i] }, depth)
	case *pyjson.Object:
		if v == nil {
			e.buf = append(e.buf, opNone)
			return nil
		}
		keys := v.Keys()
		return e.dict(keys, func(k string) any { x, _ := v.Get(k); return x }, depth)
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return e.dict(keys, func(k string) any { return v[k] }, depth)
	default:
		return fmt.Errorf("pickle: cannot encode a value of type %T", v)
	}
	return nil
}

// int writes what Python's save_long writes for protocol ≥ 2.
func (e *encoder) int(i int64) {
	switch {
	case i >= 0 && i <= 0xff:
		e.buf = append(e.buf, opBinInt1, byte(i))
	case i >= 0 && i <= 0xffff:
		e.buf = append(e.buf, opBinInt2, byte(i), byte(i>>8))
	case i >= math.MinInt32 && i <= math.MaxInt32:
		e.buf = binary.LittleEndian.AppendUint32(append(e.buf, opBinInt), uint32(int32(i)))
	default:
		e.bigInt(big.NewInt(i))
	}
}

func (e *encoder) bigInt(b *big.Int) {
	if b.IsInt64() {
		if i := b.Int64(); i >= math.MinInt32 && i <= math.MaxInt32 {
			e.int(i)
			return
		}
	}
	enc := encodeLong(b)
	if len(enc) < 256 {
		e.buf = append(e.buf, opLong1, byte(len(enc)))
	} else {
		e.buf = binary.LittleEndian.AppendUint32(append(e.buf, opLong4), uint32(len(enc)))
	}
	e.buf = append(e.buf, enc...)
}

// encodeLong is Python's pickle.encode_long: the shortest little-endian two's
// complement bytes of x (empty for 0).
func encodeLong(x *big.Int) []byte {
	if x.Sign() == 0 {
		return nil
	}
	// Python: nbytes = (x.bit_length() >> 3) + 1, then drop one redundant
	// 0xff byte of a negative number.
	n := x.BitLen()>>3 + 1
	var mag *big.Int
	if x.Sign() > 0 {
		mag = x
	} else {
		// two's complement: 2^(8n) + x
		mag = new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), uint(8*n)), x)
	}
	be := mag.FillBytes(make([]byte, n))
	slices.Reverse(be)
	if x.Sign() < 0 && n > 1 && be[n-1] == 0xff && be[n-2]&0x80 != 0 {
		be = be[:n-1]
	}
	return be
}

func (e *encoder) number(n json.Number) error {
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		e.int(i)
		return nil
	}
	if b, ok := new(big.Int).SetString(string(n), 10); ok {
		if b.BitLen() > maxLongBits {
			return fmt.Errorf("pickle: integer too large (%d bits)", b.BitLen())
		}
		e.bigInt(b)
		return nil
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		return fmt.Errorf("pickle: bad json.Number %q", string(n))
	}
	e.float(f)
	return nil
}

func (e *encoder) float(f float64) {
	e.buf = binary.BigEndian.AppendUint64(append(e.buf, opBinFloat), math.Float64bits(f))
}

func (e *encoder) str(s string) error {
	if !validWTF8(s) {
		return errors.New("pickle: string is not valid UTF-8")
	}
	switch n := len(s); {
	case n < 256:
		e.buf = append(e.buf, opShortBinUnicod, byte(n))
	case uint64(n) <= math.MaxUint32:
		e.buf = binary.LittleEndian.AppendUint32(append(e.buf, opBinUnicode), uint32(n))
	default:
		e.buf = binary.LittleEndian.AppendUint64(append(e.buf, opBinUnicode8), uint64(n))
	}
	e.buf = append(e.buf, s...)
	e.memoize()
	return nil
}

// list writes what CPython's batch_list_exact writes: a one-item list with
// APPEND, otherwise MARK … APPENDS batches of up to 1000 items.
func (e *encoder) list(n int, at func(int) any, depth int) error {
	e.buf = append(e.buf, opEmptyList)
	e.memoize()
	if n == 1 {
		if err := e.value(at(0), depth+1); err != nil {
			return err
		}
		e.buf = append(e.buf, opAppend)
		return nil
	}
	for start := 0; start < n; start += batchSize {
		e.buf = append(e.buf, opMark)
		for i := start; i < min(start+batchSize, n); i++ {
			if err := e.value(at(i), depth+1); err != nil {
				return err
			}
		}
		e.buf = append(e.buf, opAppends)
	}
	return nil
}

// dict writes what CPython's batch_dict_exact writes: a one-item dict with
// SETITEM, otherwise MARK … SETITEMS batches of up to 1000 items, and (a
// CPython quirk) one more empty batch when the size is a multiple of 1000.
func (e *encoder) dict(keys []string, at func(string) any, depth int) error {
	e.buf = append(e.buf, opEmptyDict)
	e.memoize()
	n := len(keys)
	if n == 0 {
		return nil
	}
	if n == 1 {
		if err := e.str(keys[0]); err != nil {
			return err
		}
		if err := e.value(at(keys[0]), depth+1); err != nil {
			return err
		}
		e.buf = append(e.buf, opSetItem)
		return nil
	}
	for start := 0; start <= n; start += batchSize {
		end := min(start+batchSize, n)
		e.buf = append(e.buf, opMark)
		for _, k := range keys[start:end] {
			if err := e.str(k); err != nil {
				return err
			}
			if err := e.value(at(k), depth+1); err != nil {
				return err
			}
		}
		e.buf = append(e.buf, opSetItems)
		if end-start < batchSize {
			break
		}
	}
	return nil
}

// validWTF8 reports whether s is UTF-8 in which UTF-16 surrogates
// (U+D800–U+DFFF, encoded as ED A0–BF 80–BF) may also appear, which is what
// Python's "surrogatepass" error handler writes and reads.
func validWTF8(s string) bool {
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			if i+2 < len(s) && s[i] == 0xED && s[i+1] >= 0xA0 && s[i+1] <= 0xBF && s[i+2] >= 0x80 && s[i+2] <= 0xBF {
				i += 3
				continue
			}
			return false
		}
		i += size
	}
	return true
}
