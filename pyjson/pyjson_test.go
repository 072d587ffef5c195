package pyjson

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

// Expected outputs below were produced by CPython 3's
// json.dumps(v, separators=(",", ":")).
func TestAppendFloat(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{1.0, "1.0"},
		{1e-7, "1e-07"},
		{1e16, "1e+16"},
		{1e15, "1000000000000000.0"},
		{0.0001, "0.0001"},
		{0.00001, "1e-05"},
		{math.Copysign(0, -1), "-0.0"},
		{0, "0.0"},
		{0.1, "0.1"},
		{1.0 / 3, "0.3333333333333333"},
		{1e22, "1e+22"},
		{1.5e300, "1.5e+300"},
		{5e-324, "5e-324"},
		{math.MaxFloat64, "1.7976931348623157e+308"},
		{123456789.125, "123456789.125"},
		{12345678901234567.0, "1.2345678901234568e+16"},
		{2.5e-5, "2.5e-05"},
		{100, "100.0"},
		{1e21, "1e+21"},
		{-2.5, "-2.5"},
		{9999999999999998.0, "9999999999999998.0"},
		{1234567890123456.7, "1234567890123456.8"},
		{math.Inf(1), "Infinity"},
		{math.Inf(-1), "-Infinity"},
		{math.NaN(), "NaN"},
	}
	for _, tt := range tests {
		if got := string(AppendFloat(nil, tt.in)); got != tt.want {
			t.Errorf("AppendFloat(%v) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestMarshalString(t *testing.T) {
	in := "é\u2028\U0001F40D\x7f\x00\x1f\b\f\n\r\t\"\\/<>&"
	want := `"\u00e9\u2028\ud83d\udc0d\u007f\u0000\u001f\b\f\n\r\t\"\\/<>&"`
	got, err := Marshal(in)
	if err != nil || string(got) != want {
		t.Fatalf("Marshal = %s, %v; want %s", got, err, want)
	}
	// Invalid UTF-8 becomes U+FFFD.
	got, _ = Marshal("a\xffb")
	if string(got) != `"a\ufffdb"` {
		t.Errorf("invalid UTF-8: %s", got)
	}
}

func TestMarshalValues(t *testing.T) {
	o := NewObject(0)
	o.Set("name", "José 🐍")
	o.Set("n", 1)
	nested := &Object{}
	nested.Set("z", nil)
	nested.Set("a", []any{true, false, 1.5, int64(-3), json.Number("123456789012345678901234567890")})
	o.Set("nested", nested)
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"object keeps order", o, `{"name":"Jos\u00e9 \ud83d\udc0d","n":1,"nested":{"z":null,"a":[true,false,1.5,-3,123456789012345678901234567890]}}`},
		{"map sorted", map[string]any{"b": 1, "a": "x", "c": []string{"q"}}, `{"a":"x","b":1,"c":["q"]}`},
		{"typed map", map[string]int{"y": 2, "x": 1}, `{"x":1,"y":2}`},
		{"typed slice", []int{1, 2, 3}, `[1,2,3]`},
		{"uint", uint64(math.MaxUint64), `18446744073709551615`},
		{"float32", float32(0.1), `0.1`},
		{"nil object", (*Object)(nil), `null`},
		{"empty", &Object{}, `{}`},
		{"empty list", []any{}, `[]`},
		{"raw message", json.RawMessage(`{"b": "\u00e9", "a": [1, 2.50]}`), `{"b":"\u00e9","a":[1,2.5]}`},
		{"pointer", new(int), `0`},
	}
	for _, tt := range tests {
		got, err := Marshal(tt.in)
		if err != nil || string(got) != tt.want {
			t.Errorf("%s: Marshal = %s, %v; want %s", tt.name, got, err, tt.want)
		}
	}
}

func TestMarshalErrors(t *testing.T) {
	for _, in := range []any{struct{}{}, make(chan int), map[int]string{1: "a"}, json.Number("1x"), func() {}} {
		if _, err := Marshal(in); err == nil {
			t.Errorf("Marshal(%T) succeeded", in)
		}
	}
	if _, err := Marshal(struct{}{}); !errors.Is(err, ErrUnsupportedType) {
		t.Errorf("struct: %v, want ErrUnsupportedType", err)
	}
	deep := any(nil)
	for range maxDepth + 5 {
		deep = []any{deep}
	}
	if _, err := Marshal(deep); err == nil {
		t.Error("deep nesting accepted")
	}
}

func TestUnmarshal(t *testing.T) {
	tests := []struct {
		in   string
		want string // re-marshalled
	}{
		{`{"a":1,"b":[1,2,3]}`, `{"a":1,"b":[1,2,3]}`},
		{` { "b" : 1 , "a" : 2 , "b" : 3 } `, `{"b":3,"a":2}`},
		{`"Jos\u00e9 \ud83d\udc0d"`, `"Jos\u00e9 \ud83d\udc0d"`},
		{`"\ud800x"`, `"\ufffdx"`},
		{`"\udc00\ud800"`, `"\ufffd\ufffd"`},
		{`"\ud83d\u0041"`, `"\ufffdA"`},
		{`"\/\b\f\n\r\t\"\\"`, `"/\b\f\n\r\t\"\\"`},
		{`"é"`, `"\u00e9"`},
		{`[1e400,-1e400,1e-400,-0,-0.0,1E5,1.5e+2]`, `[Infinity,-Infinity,0.0,0,-0.0,100000.0,150.0]`},
		{`[NaN,Infinity,-Infinity]`, `[NaN,Infinity,-Infinity]`},
		{`9223372036854775807`, `9223372036854775807`},
		{`9223372036854775808`, `9223372036854775808`},
		{`-9223372036854775809`, `-9223372036854775809`},
		{`[true,false,null,{}]`, `[true,false,null,{}]`},
	}
	for _, tt := range tests {
		v, err := Unmarshal([]byte(tt.in))
		if err != nil {
			t.Errorf("Unmarshal(%s): %v", tt.in, err)
			continue
		}
		got, err := Marshal(v)
		if err != nil || string(got) != tt.want {
			t.Errorf("Unmarshal(%s) re-marshalled = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
	v, _ := Unmarshal([]byte(`[1, 1.0, 9223372036854775808]`))
	l := v.([]any)
	if _, ok := l[0].(int64); !ok {
		t.Errorf("1 decoded as %T", l[0])
	}
	if _, ok := l[1].(float64); !ok {
		t.Errorf("1.0 decoded as %T", l[1])
	}
	if _, ok := l[2].(json.Number); !ok {
		t.Errorf("big int decoded as %T", l[2])
	}
}

func TestUnmarshalErrors(t *testing.T) {
	bad := []string{
		``, ` `, `{`, `[`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `{a:1}`, `{'a':1}`, `01`, `1.`, `.5`, `-`, `+1`,
		`1e`, `"abc`, "\"a\nb\"", "\"a\x00\"", `"\x"`, `"\u12"`, `"\u12g4"`, `tru`, `nul`, `-NaN`, `nan`,
		`infinity`, `[1] x`, `{"a":1}}`, `"\`, "\"\xff\"", "\"\\n\xff\"", `[1 2]`, `{"a":1 "b":2}`,
		"1" + strings.Repeat("0", maxIntDigits),
		strings.Repeat("[", maxDepth+2) + strings.Repeat("]", maxDepth+2),
	}
	for _, in := range bad {
		if v, err := Unmarshal([]byte(in)); err == nil {
			t.Errorf("Unmarshal(%q) = %v, want error", in, v)
		}
	}
	if _, err := Unmarshal([]byte(`[1,]`)); err != nil {
		var se *SyntaxError
		if !errors.As(err, &se) || se.Offset != 3 {
			t.Errorf("error %v, want SyntaxError at 3", err)
		}
	}
	if _, err := UnmarshalObject([]byte(`[1]`)); !errors.Is(err, ErrNotObject) {
		t.Errorf("UnmarshalObject([1]) = %v", err)
	}
	// Python accepts 4300 digits exactly.
	if _, err := Unmarshal([]byte("1" + strings.Repeat("0", maxIntDigits-1))); err != nil {
		t.Errorf("4300 digits: %v", err)
	}
}

func TestObject(t *testing.T) {
	o := &Object{}
	for i := range 20 {
		o.Set(string(rune('a'+i)), i)
	}
	o.Set("c", "C")
	if !o.Delete("b") || o.Delete("b") || o.Len() != 19 {
		t.Fatal("Delete")
	}
	if v, ok := o.Get("c"); !ok || v != "C" {
		t.Errorf("Get(c) = %v %v", v, ok)
	}
	if v, ok := o.Get("t"); !ok || v != 19 {
		t.Errorf("Get(t) = %v %v", v, ok)
	}
	for len(o.Keys()) > 3 {
		o.Delete(o.Keys()[0])
	}
	if got, _ := Marshal(o); string(got) != `{"r":17,"s":18,"t":19}` {
		t.Errorf("after deletes: %s", got)
	}
	c := o.Clone()
	c.Set("u", 1)
	if o.Len() != 3 || c.Len() != 4 {
		t.Error("Clone shares keys")
	}
	var n *Object
	if n.Len() != 0 || n.Keys() != nil || n.Delete("x") {
		t.Error("nil Object")
	}
	if _, ok := n.Get("x"); ok {
		t.Error("nil Object Get")
	}
}

func FuzzUnmarshal(f *testing.F) {
	for _, s := range []string{
		`{"a":1,"b":[1,2,3]}`, `"Jos\u00e9 \ud83d\udc0d"`, `[NaN,-Infinity,1e400,-0.0]`, `{"a":{"b":{"c":[]}}}`,
		`9223372036854775808`, `"\ud800"`, `[1,]`, `{"_auth_user_id":"1","_auth_user_hash":"00"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Unmarshal(data)
		if err != nil {
			return
		}
		out, err := Marshal(v)
		if err != nil {
			t.Fatalf("Marshal of decoded %q: %v", data, err)
		}
		for _, c := range out {
			if c >= 0x7f || c < 0x20 {
				t.Fatalf("non-ASCII or control byte in %q", out)
			}
		}
		v2, err := Unmarshal(out)
		if err != nil {
			t.Fatalf("re-decode of %q: %v", out, err)
		}
		out2, err := Marshal(v2)
		if err != nil || string(out2) != string(out) {
			t.Fatalf("not stable: %q -> %q", out, out2)
		}
	})
}
