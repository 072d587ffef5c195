package jsonx

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/dmr-go/dmr/internal/shape"
)

type inner struct {
	X int     `json:"x" minimum:"0"`
	Y *string `json:"y"`
}

type sample struct {
	Name    string            `json:"name" maxLength:"5"`
	Count   uint8             `json:"count"`
	Ratio   float64           `json:"ratio,omitempty"`
	OK      bool              `json:"ok,omitempty"`
	Tags    []string          `json:"tags,omitempty" maxItems:"4" uniqueItems:"true"`
	Inner   *inner            `json:"inner,omitempty"`
	Items   []inner           `json:"items,omitempty"`
	Meta    map[string]int    `json:"meta,omitempty"`
	Any     any               `json:"any,omitempty"`
	When    time.Time         `json:"when,omitzero"`
	Raw     json.RawMessage   `json:"raw,omitempty"`
	Blob    []byte            `json:"blob,omitempty"`
	Nested  map[string][]bool `json:"nested,omitempty"`
	Skipped string            `json:"-"`
}

func shapeOf(t *testing.T, v any) *shape.Type {
	t.Helper()
	s, err := shape.NewRegistry().Of(reflect.TypeOf(v))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func decode(t *testing.T, typ *shape.Type, data string, unknown Unknown) (reflect.Value, []Issue) {
	v := reflect.New(typ.T).Elem()
	return v, Decode([]byte(data), typ, v, unknown)
}

func TestDecodeIssues(t *testing.T) {
	typ := shapeOf(t, sample{})
	for _, tc := range []struct {
		in   string
		want string // issues as "loc: msg" joined by "; "
	}{
		{`{"name":"abc","count":1}`, ``},
		{`{"count":1}`, `[name]: Field required`},
		{`{"name":"abcdef","count":256}`, `[name]: String should have at most 5 characters; [count]: Input should be less than or equal to 255`},
		{`{"name":"a","count":-1}`, `[count]: Input should be greater than or equal to 0`},
		{`{"name":"a","count":1.5}`, `[count]: Input should be a valid integer, got a number with a fractional part`},
		{`{"name":"a","count":2.0}`, ``},
		{`{"name":"a","count":1,"tags":["a","a"]}`, `[tags]: List should have unique items`},
		{`{"name":"a","count":1,"tags":["a","b","c","d","e"]}`, `[tags]: List should have at most 4 items after validation, not 5`},
		{`{"name":"a","count":1,"items":[{"x":1},{"x":-1},{}]}`, `[items 1 x]: Input should be greater than or equal to 0; [items 2 x]: Field required`},
		{`{"name":"a","count":1,"inner":{"x":"1","y":null}}`, `[inner x]: Input should be a valid integer`},
		{`{"name":"a","count":1,"meta":{"a":1,"b":"x"}}`, `[meta b]: Input should be a valid integer`},
		{`{"name":"a","count":1,"when":"yesterday"}`, `[when]: Input should be a valid datetime`},
		{`{"name":"a","count":1,"blob":"!!"}`, `[blob]: Input should be a valid base64 string`},
		{`{"name":null,"count":true}`, `[name]: Input should be a valid string; [count]: Input should be a valid integer`},
		{`[]`, `[]: Input should be a valid dictionary`},
		{`{"name":"a","count":1,"other":[1,{"deep":true}]}`, ``},
		{`{"name":"a\u00e9\ud83d\ude00","count":1}`, ``},
		{`{"name":"a","count":1`, `[]: Invalid JSON: EOF while parsing a value at line 1 column 21`},
		{`{"name":"a",}`, `[]: Invalid JSON: trailing comma at line 1 column 13`},
		{`{"name":'a'}`, `[]: Invalid JSON: expected value at line 1 column 9`},
		{`{"name":"a"} x`, `[]: Invalid JSON: trailing characters at line 1 column 14`},
		{`{name:1}`, `[]: Invalid JSON: key must be a string at line 1 column 2`},
		{`{"name" 1}`, `[]: Invalid JSON: expected ` + "`:`" + ` at line 1 column 9`},
		{"{\"name\":\"a\nb\"}", `[]: Invalid JSON: control character (\u0000-\u001F) found while parsing a string at line 1 column 11`},
		{`{"name":"\x"}`, `[]: Invalid JSON: invalid escape at line 1 column 11`},
		{`{"count":01}`, `[]: Invalid JSON: expected ` + "`,` or `}`" + ` at line 1 column 11`},
		{`{"count":-}`, `[]: Invalid JSON: invalid number at line 1 column 11`},
		{``, `[]: Invalid JSON: EOF while parsing a value at line 1 column 0`},
		{strings.Repeat("[", 600), `[]: Invalid JSON: recursion limit exceeded at line 1 column 513`},
		{`{"any":` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `}`, `[]: Invalid JSON: recursion limit exceeded at line 1 column 519`},
	} {
		_, issues := decode(t, typ, tc.in, IgnoreUnknown)
		var parts []string
		for _, is := range issues {
			parts = append(parts, locString(is.Loc)+": "+is.Msg)
		}
		if got := strings.Join(parts, "; "); got != tc.want {
			t.Errorf("Decode(%.60q):\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
}

func locString(loc []any) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, l := range loc {
		if i > 0 {
			b.WriteByte(' ')
		}
		switch x := l.(type) {
		case string:
			b.WriteString(x)
		case int:
			b.WriteString(itoa(x))
		}
	}
	b.WriteByte(']')
	return b.String()
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestDecodeValues(t *testing.T) {
	typ := shapeOf(t, sample{})
	in := `{"name":"a\"\\\/","count":3,"ratio":1e-3,"ok":true,"tags":["x"],"inner":{"x":0,"y":"yy"},` +
		`"meta":{"k":1},"any":{"a":[1,"b",null,true]},"when":"2026-01-02T03:04:05Z","raw":{"r":1},"blob":"aGk=","nested":{"n":[true]},"Skipped":"no"}`
	v, issues := decode(t, typ, in, IgnoreUnknown)
	if len(issues) != 0 {
		t.Fatalf("issues: %v", issues)
	}
	got := v.Interface().(sample)
	var want sample
	if err := json.Unmarshal([]byte(strings.Replace(in, `,"Skipped":"no"`, "", 1)), &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	_, issues = decode(t, typ, `{"name":"a","count":1,"extra":1,"Skipped":2}`, RejectUnknown)
	if len(issues) != 2 || issues[0].Msg != shape.MsgExtra || issues[1].Loc[0] != "Skipped" {
		t.Errorf("reject unknown: %v", issues)
	}
}

func TestEncode(t *testing.T) {
	typ := shapeOf(t, sample{})
	y := "y"
	s := sample{Name: "toolong", Count: 2, Tags: []string{"a", "a"}, Inner: &inner{X: -1, Y: &y},
		When: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Any: map[string]any{"<": 1.5}, Blob: []byte("hi")}
	v := reflect.ValueOf(&s).Elem()
	enc := Encoder{Validate: true}
	out := enc.Append(nil, typ, v, nil)
	want := `{"name":"toolong","count":2,"tags":["a","a"],"inner":{"x":-1,"y":"y"},"any":{"\u003c":1.5},"when":"2026-01-02T03:04:05Z","blob":"aGk="}`
	if string(out) != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
	var msgs []string
	for _, is := range enc.Issues {
		msgs = append(msgs, locString(is.Loc)+": "+is.Msg)
	}
	if got := strings.Join(msgs, "; "); got != "[name]: String should have at most 5 characters; [tags]: List should have unique items; [inner x]: Input should be greater than or equal to 0" {
		t.Errorf("issues: %s", got)
	}
	// Nil slices and maps are written as [] and {}.
	type lists struct {
		L []int          `json:"l"`
		M map[string]int `json:"m"`
	}
	lt := shapeOf(t, lists{})
	if out := (&Encoder{}).Append(nil, lt, reflect.ValueOf(lists{}), nil); string(out) != `{"l":[],"m":{}}` {
		t.Errorf("nil collections: %s", out)
	}
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", "quote\"back\\slash", "\x00\x1f\t\n\r", "é€😀", "\u2028\u2029", "bad\xffutf8"} {
		var std bytes.Buffer
		e := json.NewEncoder(&std)
		e.SetEscapeHTML(false)
		_ = e.Encode(s)
		if got := string(AppendString(nil, s)); got != strings.TrimSuffix(std.String(), "\n") {
			t.Errorf("AppendString(%q) = %s, encoding/json %s", s, got, std.String())
		}
	}
}

// maxNesting returns an upper bound of the nesting depth of data.
func maxNesting(data []byte) int {
	return bytes.Count(data, []byte("[")) + bytes.Count(data, []byte("{"))
}

// FuzzDecode checks the decoder against encoding/json: the same documents
// are syntactically valid, decode to the same generic values, and typed
// decoding never panics and round-trips through the encoder.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `null`, `{"name":"a","count":1}`, `{"a":[1,2,{"b":null}]}`, `"\ud83d\ude00"`,
		`"\ud800"`, `"\ud800\u0041"`, `1e309`, `-0.0e-0`, `{"name":"a","count":1,"items":[{"x":1}],"when":"2026-01-02T03:04:05Z"}`,
		`{"a":1,"a":2}`, "\xef\xbb\xbf{}", `[1,]`, `{"x":}`, ` true `, `"\u0000"`} {
		f.Add([]byte(s))
	}
	reg := shape.NewRegistry()
	anyType, _ := reg.Of(reflect.TypeFor[any]())
	sampleType, _ := reg.Of(reflect.TypeFor[sample]())
	f.Fuzz(func(t *testing.T, data []byte) {
		v := reflect.New(anyType.T).Elem()
		issues := Decode(data, anyType, v, IgnoreUnknown)
		syntaxErr := len(issues) == 1 && strings.HasPrefix(issues[0].Msg, "Invalid JSON")
		if utf8.Valid(data) && maxNesting(data) < MaxDepth {
			if syntaxErr == json.Valid(data) {
				t.Fatalf("syntax error %v (%v) but json.Valid %v for %q", syntaxErr, issues, json.Valid(data), data)
			}
			if !syntaxErr {
				var want any
				if err := json.Unmarshal(data, &want); err == nil && len(issues) == 0 && !reflect.DeepEqual(v.Interface(), want) {
					t.Fatalf("decoded %#v, encoding/json %#v", v.Interface(), want)
				}
			}
		}
		sv := reflect.New(sampleType.T).Elem()
		if issues := Decode(data, sampleType, sv, RejectUnknown); len(issues) == 0 {
			enc := Encoder{Validate: true}
			out := enc.Append(nil, sampleType, sv, nil)
			if len(enc.Issues) != 0 {
				t.Fatalf("valid input %q re-encodes with issues %v", data, enc.Issues)
			}
			again := reflect.New(sampleType.T).Elem()
			if issues := Decode(out, sampleType, again, RejectUnknown); len(issues) != 0 {
				t.Fatalf("re-encoded %s does not decode: %v", out, issues)
			}
			out2 := (&Encoder{}).Append(nil, sampleType, again, nil)
			if !bytes.Equal(out, out2) {
				t.Fatalf("round trip differs:\n%s\n%s", out, out2)
			}
		}
	})
}

// onlyUnmarshal has its own decoding but default encoding.
type onlyUnmarshal struct{ V string }

func (o *onlyUnmarshal) UnmarshalJSON(b []byte) error {
	var n int
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	o.V = strings.Repeat("x", n)
	return nil
}

// onlyText has a text form for decoding only.
type onlyText struct{ V string }

func (o *onlyText) UnmarshalText(b []byte) error { o.V = "text:" + string(b); return nil }

func TestPartialMarshalers(t *testing.T) {
	type holder struct {
		A onlyUnmarshal `json:"a"`
		B onlyText      `json:"b"`
	}
	typ := shapeOf(t, holder{})
	v, issues := decode(t, typ, `{"a":3,"b":"hi"}`, IgnoreUnknown)
	if len(issues) != 0 {
		t.Fatal(issues)
	}
	h := v.Interface().(holder)
	if h.A.V != "xxx" || h.B.V != "text:hi" {
		t.Errorf("%+v", h)
	}
	out := (&Encoder{}).Append(nil, typ, v, nil)
	if string(out) != `{"a":{"V":"xxx"},"b":{"V":"text:hi"}}` {
		t.Errorf("encoded %s", out)
	}
	if _, issues := decode(t, typ, `{"a":"x","b":"hi"}`, IgnoreUnknown); len(issues) != 1 || !strings.HasPrefix(issues[0].Msg, "Value error, ") {
		t.Errorf("issues %v", issues)
	}
}
