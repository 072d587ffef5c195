package pickle_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	ogorek "github.com/kisielk/og-rek"

	"github.com/dmr-go/dmr/internal/testenv"
	"github.com/dmr-go/dmr/pyjson"
	"github.com/dmr-go/dmr/sessions/redisstore/pickle"
)

type vector struct {
	Repr     string `json:"repr"`
	JSON     string `json:"json"`
	Pickle   string `json:"pickle"`
	MemoRefs bool   `json:"memo_refs"`
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Protocol int      `json:"protocol"`
		Vectors  []vector `json:"vectors"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if f.Protocol != pickle.Protocol {
		t.Fatalf("vectors use protocol %d", f.Protocol)
	}
	return f.Vectors
}

// fromJSON parses JSON into the value types pickle uses, keeping key order.
// ok is false for JSON Go cannot represent the same way (Infinity, lone
// surrogates).
func fromJSON(t testing.TB, s string) (v any, ok bool) {
	if strings.Contains(s, "Infinity") || strings.Contains(s, "NaN") || strings.Contains(s, `\ud800`) {
		return nil, false
	}
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	v, err := readJSON(d)
	if err != nil {
		t.Fatalf("fromJSON(%s): %v", s, err)
	}
	return v, true
}

func readJSON(d *json.Decoder) (any, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch tok := tok.(type) {
	case json.Delim:
		switch tok {
		case '{':
			o := pyjson.NewObject(0)
			for d.More() {
				k, err := d.Token()
				if err != nil {
					return nil, err
				}
				v, err := readJSON(d)
				if err != nil {
					return nil, err
				}
				o.Set(k.(string), v)
			}
			_, err := d.Token()
			return o, err
		case '[':
			l := []any{}
			for d.More() {
				v, err := readJSON(d)
				if err != nil {
					return nil, err
				}
				l = append(l, v)
			}
			_, err := d.Token()
			return l, err
		}
	case json.Number:
		if i, err := tok.Int64(); err == nil {
			return i, nil
		}
		if strings.ContainsAny(string(tok), ".eE") {
			return tok.Float64()
		}
		return tok, nil
	}
	return tok, nil
}

// equal compares decoded values, including key order and float bits.
func equal(a, b any) bool {
	switch a := a.(type) {
	case *pyjson.Object:
		b, ok := b.(*pyjson.Object)
		if !ok || !reflect.DeepEqual(a.Keys(), b.Keys()) {
			return false
		}
		for _, k := range a.Keys() {
			x, _ := a.Get(k)
			y, _ := b.Get(k)
			if !equal(x, y) {
				return false
			}
		}
		return true
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !equal(a[i], b[i]) {
				return false
			}
		}
		return true
	case float64:
		b, ok := b.(float64)
		return ok && math.Float64bits(a) == math.Float64bits(b)
	}
	return a == b
}

func TestPythonVectors(t *testing.T) {
	for i, v := range loadVectors(t) {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			data, _ := hex.DecodeString(v.Pickle)
			got, err := pickle.Unmarshal(data)
			if err != nil {
				t.Fatalf("Unmarshal(%s): %v", v.Repr, err)
			}
			if want, ok := fromJSON(t, v.JSON); ok {
				if !equal(got, want) {
					t.Errorf("decoded %s differs from %s", v.Repr, v.JSON)
				}
				if !v.MemoRefs {
					// The encoder alone, from independently built values.
					enc, err := pickle.Marshal(want)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(enc, data) {
						t.Errorf("Marshal(%.80s…)\n got %.200x\nwant %.200x", v.Repr, enc, data)
					}
				}
			}
			enc, err := pickle.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			if !v.MemoRefs && !bytes.Equal(enc, data) {
				t.Errorf("round trip of %.80s…\n got %.200x\nwant %.200x", v.Repr, enc, data)
			}
			again, err := pickle.Unmarshal(enc)
			if err != nil || !equal(again, got) {
				t.Errorf("re-decoding our bytes: %v", err)
			}
		})
	}
}

func TestMarshalGoTypes(t *testing.T) {
	o := pyjson.NewObject(0)
	o.Set("int", 7)
	o.Set("uint64", uint64(math.MaxUint64))
	o.Set("big", new(big.Int).Lsh(big.NewInt(1), 100))
	o.Set("numbig", json.Number("-123456789012345678901234567890"))
	o.Set("numfloat", json.Number("2.5"))
	o.Set("strs", []string{"a"})
	o.Set("map", map[string]any{"b": 2, "a": 1})
	o.Set("f32", float32(0.5))
	data, err := pickle.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pickle.Unmarshal(data)
	if err != nil {
		t.Fatal(err)
	}
	m := pyjson.NewObject(2)
	m.Set("a", int64(1))
	m.Set("b", int64(2))
	want := pyjson.NewObject(0)
	want.Set("int", int64(7))
	want.Set("uint64", json.Number("18446744073709551615"))
	want.Set("big", json.Number("1267650600228229401496703205376"))
	want.Set("numbig", json.Number("-123456789012345678901234567890"))
	want.Set("numfloat", 2.5)
	want.Set("strs", []any{"a"})
	want.Set("map", m)
	want.Set("f32", 0.5)
	if !equal(got, want) {
		t.Errorf("got %v", got.Keys())
	}
	for _, bad := range []any{struct{}{}, []byte("x"), "\xff", map[int]int{}, json.Number("x")} {
		if _, err := pickle.Marshal(bad); err == nil {
			t.Errorf("Marshal(%#v) succeeded", bad)
		}
	}
}

func TestRejects(t *testing.T) {
	h := func(s string) []byte {
		b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases := []struct {
		name        string
		data        []byte
		unsupported bool
	}{
		// pickle.dumps(os.system) / a class instance / REDUCE of os.system('id')
		{"GLOBAL os.system", []byte("cos\nsystem\n(S'id'\ntR."), true},
		{"STACK_GLOBAL", h("8005 8c05706f736978 94 8c0673797374656d 94 93 94 2e"), true},
		{"py2 non-ASCII", h("8002 55 01 ff 2e"), true},
		{"set", h("8004 8f 94 28 4b01 90 2e"), true},
		{"bytes", h("8005 43 01 78 94 2e"), true},
		{"protocol 6", h("8006 7d 2e"), true},
		{"non-str key", h("8005 7d 94 4b01 4b02 73 2e"), true},
		{"empty", nil, false},
		{"no STOP", h("8005 7d 94"), false},
		{"truncated str", h("8005 8c 05 6162 2e"), false},
		{"truncated BINUNICODE8", h("8005 8d ffffffffffffffff 2e"), false},
		{"huge frame", h("8005 95 ffffffffffffff7f 7d 2e"), false},
		{"trailing", h("8005 7d 94 2e 00"), false},
		{"two values", h("8005 7d 4e 2e"), false},
		{"stack underflow", h("8005 73 2e"), false},
		{"SETITEM on list", h("8005 5d 8c0161 4e 73 2e"), false},
		{"APPEND on dict", h("8005 7d 4e 61 2e"), false},
		{"bad memo get", h("8005 68 05 2e"), false},
		{"cyclic list", h("8005 5d 94 68 00 61 2e"), false},
		{"cyclic dict", h("8005 7d 94 8c0161 68 00 73 2e"), false},
		{"invalid utf-8", h("8005 8c 01 ff 2e"), false},
		{"not a dict", h("8005 4e 2e"), false},
		{"MARK as value", h("8005 28 2e"), false},
		{"odd dict", h("8005 28 8c0161 64 2e"), false},
		{"negative LONG4", h("8005 8b ffffffff 2e"), false},
		{"huge LONG4", h("8005 8b 00000100 2e"), false},
		{"bad INT", []byte("I1_0\n."), false},
		{"INT no newline", []byte("I10."), false},
		{"LONG +", []byte("L+1L\n."), false},
	}
	for _, c := range cases {
		var err error
		if c.name == "not a dict" {
			_, err = pickle.Unmarshal(c.data)
		} else {
			_, err = pickle.UnmarshalValue(c.data)
		}
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if c.unsupported && !errors.Is(err, pickle.ErrUnsupported) {
			t.Errorf("%s: %v, want ErrUnsupported", c.name, err)
		}
	}
}

func TestTextIntegers(t *testing.T) {
	for in, want := range map[string]any{
		"I01\n.": true, "I00\n.": false, "I-7\n.": int64(-7), "L123L\n.": int64(123),
		"L-99999999999999999999L\n.": json.Number("-99999999999999999999"),
	} {
		got, err := pickle.UnmarshalValue([]byte(in))
		if err != nil || got != want {
			t.Errorf("%q: %v, %v; want %v", in, got, err, want)
		}
	}
}

// TestSharedReferenceBomb: a pickle of a few hundred bytes that references
// one list from the next, twice per level, would expand to 2^40 values.
func TestSharedReferenceBomb(t *testing.T) {
	var b bytes.Buffer
	b.Write([]byte{0x80, 5, ']', 0x94}) // memo 0: []
	for i := 0; i < 40; i++ {
		// [m_i, m_i] memoized as i+1
		b.Write([]byte{']', 0x94, '(', 'j'})
		b.Write([]byte{byte(i), 0, 0, 0, 'j', byte(i), 0, 0, 0, 'e'})
		b.WriteByte('0') // POP it; it stays in the memo
	}
	b.Write([]byte{0x7d, '(', 0x8c, 1, 'x', 'j', 40, 0, 0, 0, 'u', '.'})
	_, err := pickle.Unmarshal(b.Bytes())
	if err == nil || !strings.Contains(err.Error(), "values") {
		t.Fatalf("err = %v, want a size-limit error", err)
	}
}

func TestDepthLimit(t *testing.T) {
	deep := func(n int) []byte {
		var b bytes.Buffer
		b.Write([]byte{0x80, 5, '}', 0x8c, 1, 'x'})
		for range n {
			b.WriteString("]") // nested empty lists, appended inwards
		}
		for range n - 1 {
			b.WriteByte('a')
		}
		b.WriteString("s.")
		return b.Bytes()
	}
	if _, err := pickle.Unmarshal(deep(pickle.MaxDepth - 5)); err != nil {
		t.Fatalf("depth %d: %v", pickle.MaxDepth-5, err)
	}
	if _, err := pickle.Unmarshal(deep(pickle.MaxDepth + 5)); err == nil {
		t.Fatal("too deep accepted")
	}
	v := any("x")
	for range pickle.MaxDepth + 5 {
		v = []any{v}
	}
	if _, err := pickle.Marshal(v); err == nil {
		t.Fatal("Marshal too deep accepted")
	}
}

// TestOgRek cross-checks with an independent pickle implementation.
func TestOgRek(t *testing.T) {
	for _, v := range loadVectors(t) {
		data, _ := hex.DecodeString(v.Pickle)
		got, err := pickle.Unmarshal(data)
		if err != nil {
			t.Fatal(err)
		}
		ours, err := pickle.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(v.Repr, "'huge'") {
			continue // og-rek 1.3 does not read LONG4 (integers over 255 bytes)
		}
		theirs, err := ogorek.NewDecoder(bytes.NewReader(ours)).Decode()
		if err != nil {
			t.Errorf("og-rek cannot decode our pickle of %s: %v", v.Repr, err)
			continue
		}
		wantTheirs, err := ogorek.NewDecoder(bytes.NewReader(data)).Decode()
		if err != nil {
			t.Fatalf("og-rek on Python's bytes: %v", err)
		}
		if !reflect.DeepEqual(fmt.Sprint(theirs), fmt.Sprint(wantTheirs)) && !strings.Contains(v.Repr, "{'k0000'") {
			t.Errorf("og-rek reads %v from ours, %v from Python's", theirs, wantTheirs)
		}
	}
	// og-rek's encoder writes MARK … DICT and LONG forms; we must read them.
	m := map[any]any{"a": int64(1), "b": []any{"x", true, nil, 1.5}, "c": big.NewInt(0).Lsh(big.NewInt(1), 70)}
	for proto := 2; proto <= 5; proto++ {
		var buf bytes.Buffer
		if err := ogorek.NewEncoderWithConfig(&buf, &ogorek.EncoderConfig{Protocol: proto}).Encode(m); err != nil {
			t.Fatal(err)
		}
		got, err := pickle.Unmarshal(buf.Bytes())
		if err != nil {
			t.Fatalf("protocol %d from og-rek: %v (%x)", proto, err, buf.Bytes())
		}
		if b, _ := got.Get("b"); !equal(b, []any{"x", true, nil, 1.5}) {
			t.Errorf("protocol %d: b = %v", proto, b)
		}
		if c, _ := got.Get("c"); c != json.Number("1180591620717411303424") {
			t.Errorf("protocol %d: c = %v", proto, c)
		}
	}
}

// TestWithPython asks a real CPython to read what we write and to write what
// we read.
func TestWithPython(t *testing.T) {
	py, err := exec.LookPath("python3")
	testenv.Require(t, "Python 3", err == nil, fmt.Sprint(err))
	o := pyjson.NewObject(0)
	o.Set("_auth_user_id", "42")
	o.Set("list", []any{int64(1), "two", 3.5, nil, true, false, []any{}})
	o.Set("big", json.Number("-99999999999999999999999999"))
	o.Set("uni", "Jos\u00e9 \U0001F40D \u20ac")
	inner := pyjson.NewObject(1)
	inner.Set("z", int64(-70000))
	o.Set("inner", inner)
	data, err := pickle.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	script := `
import pickle, sys
v = pickle.loads(bytes.fromhex(sys.argv[1]))
assert v == {"_auth_user_id": "42", "list": [1, "two", 3.5, None, True, False, []],
             "big": -99999999999999999999999999, "uni": "Jos\u00e9 \U0001F40D \u20ac",
             "inner": {"z": -70000}}, v
assert list(v) == ["_auth_user_id", "list", "big", "uni", "inner"]
sys.stdout.write(pickle.dumps(v, pickle.HIGHEST_PROTOCOL).hex())
`
	out, err := exec.Command(py, "-c", script, hex.EncodeToString(data)).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("python: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	back, _ := hex.DecodeString(string(out))
	if !bytes.Equal(back, data) {
		t.Errorf("Python re-pickled\n %x\nwe wrote\n %x", back, data)
	}
}

func FuzzUnmarshal(f *testing.F) {
	for _, v := range loadVectors(f) {
		data, _ := hex.DecodeString(v.Pickle)
		f.Add(data)
	}
	f.Add([]byte("cos\nsystem\n(S'id'\ntR."))
	f.Add([]byte{0x80, 5, ']', 0x94, 'h', 0, 'a', '.'})
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := pickle.UnmarshalValue(data)
		if err != nil {
			return
		}
		enc, err := pickle.Marshal(v)
		if err != nil {
			t.Fatalf("decoded value does not encode: %v", err)
		}
		v2, err := pickle.UnmarshalValue(enc)
		if err != nil {
			t.Fatalf("our own output does not decode: %v", err)
		}
		enc2, err := pickle.Marshal(v2)
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("unstable round trip: %x vs %x (%v)", enc, enc2, err)
		}
	})
}

func benchSession() *pyjson.Object {
	o := pyjson.NewObject(3)
	o.Set("_auth_user_id", "1")
	o.Set("_auth_user_backend", "django.contrib.auth.backends.ModelBackend")
	o.Set("_auth_user_hash", strings.Repeat("0123456789abcdef", 4))
	return o
}

func BenchmarkMarshal(b *testing.B) {
	o := benchSession()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := pickle.Marshal(o); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnmarshal(b *testing.B) {
	data, _ := pickle.Marshal(benchSession())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := pickle.Unmarshal(data); err != nil {
			b.Fatal(err)
		}
	}
}
