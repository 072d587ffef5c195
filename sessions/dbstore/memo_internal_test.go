package dbstore

import (
	"fmt"
	"testing"

	"github.com/dmr-go/dmr/pyjson"
)

func TestDecodeMemoBounded(t *testing.T) {
	m := newDecodeMemo(8)
	for i := range 100 {
		m.put(fmt.Sprint(i), pyjson.NewObject(0))
		if len(m.m) > 8 {
			t.Fatalf("%d entries after %d puts, max 8", len(m.m), i+1)
		}
	}
	if m.get("99") == nil {
		t.Fatal("the last text put is not remembered")
	}
	if newDecodeMemo(-1) != nil {
		t.Fatal("a negative size did not turn the memo off")
	}
}
