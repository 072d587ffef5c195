package dbstore

import (
	"fmt"
	"testing"

	"github.com/dmr-go/dmr/pyjson"
)

func TestDecodeMemoBounded(t *testing.T) {
	m := newDecodeMemo(8)
	for i := range 100 {
		m.Put(fmt.Sprint(i), pyjson.NewObject(0))
		if m.Len() > 8 {
			t.Fatalf("%d entries after %d puts, max 8", m.Len(), i+1)
		}
	}
	if _, ok := m.Get("99"); !ok {
		t.Fatal("the last text put is not remembered")
	}
	if newDecodeMemo(-1) != nil {
		t.Fatal("a negative size did not turn the memo off")
	}
}
