package pyjson

import "testing"

func TestDeepClone(t *testing.T) {
	o, err := Unmarshal([]byte(`{"a": {"b": [1, {"c": "d"}]}, "e": "f", "k1": 1, "k2": 2, "k3": 3, "k4": 4, "k5": 5, "k6": 6, "k7": 7}`))
	if err != nil {
		t.Fatal(err)
	}
	orig := o.(*Object)
	before, _ := Marshal(orig)
	c := orig.DeepClone()
	// Change everything reachable from the clone.
	a, _ := c.Get("a")
	b, _ := a.(*Object).Get("b")
	b.([]any)[0] = int64(99)
	inner := b.([]any)[1].(*Object)
	inner.Set("c", "changed")
	a.(*Object).Set("new", true)
	c.Set("e", "changed")
	c.Delete("k1")
	after, _ := Marshal(orig)
	if string(before) != string(after) {
		t.Fatalf("original changed through the clone:\n%s\n%s", before, after)
	}
	if v, ok := c.Get("k7"); !ok || v != int64(7) {
		t.Fatalf("clone lookup after the index: %v %v", v, ok)
	}
	var nilObj *Object
	if nilObj.DeepClone().Len() != 0 {
		t.Fatal("DeepClone of nil is not empty")
	}
}
