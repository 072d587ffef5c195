package interop_test

import (
	"math"
	"testing"

	"github.com/dmr-go/dmr/internal/djangotest"
	"github.com/dmr-go/dmr/pyjson"
)

// Go's pyjson writes exactly what Python's json.dumps(separators=(",", ":"))
// writes for the same value, and reads back what Python wrote.
func TestPyJSONMatchesPython(t *testing.T) {
	t.Parallel()
	dj := djangotest.New(t, "3.2", djangotest.Config{})
	obj := pyjson.NewObject(0)
	obj.Set("z", 1)
	obj.Set("a", "first key stays second")
	obj.Set("é", []any{nil, true, false})
	values := []any{
		"plain", "José 🐍", "tab\there\nnewline\r\b\f\x00\x1f\x7f", `quote " backslash \ slash / <>&`,
		"\u2028\u2029\ufeff", "𝄞 astral", "",
		int64(0), int64(-1), int64(math.MaxInt64), int64(math.MinInt64),
		0.1, 1.5, -0.0, 1e16, 1e-7, 123456789.125, 1e300, math.MaxFloat64, 5e-324, 2.0, 100.0,
		[]any{}, []any{"x", int64(1), 2.5, []any{}}, obj,
	}
	var texts []string
	for _, v := range values {
		b, err := pyjson.Marshal(v)
		if err != nil {
			t.Fatalf("Marshal(%#v): %v", v, err)
		}
		texts = append(texts, string(b))
	}
	var out struct {
		Dumps []string `json:"dumps"`
	}
	dj.Run("json-roundtrip", map[string]any{"texts": texts}, &out)
	for i, got := range out.Dumps {
		if got != texts[i] {
			t.Errorf("value %#v: Go wrote %s, Python writes %s", values[i], texts[i], got)
		}
		back, err := pyjson.Unmarshal([]byte(got))
		if err != nil {
			t.Errorf("Go cannot read Python's %s: %v", got, err)
			continue
		}
		again, _ := pyjson.Marshal(back)
		if string(again) != got {
			t.Errorf("Python's %s read by Go and written again: %s", got, again)
		}
	}
}
