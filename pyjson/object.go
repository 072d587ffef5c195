package pyjson

// smallObject is the size up to which an Object finds keys by a linear scan
// instead of a map: sessions typically hold a handful of keys, and a scan
// over a few strings is faster and allocates nothing.
const smallObject = 8

// Object is a JSON object that keeps its keys in insertion order, as a Python
// dict does. The zero value is an empty object ready to use. An Object is not
// safe for concurrent use.
//
// Values held in an Object (and produced by Unmarshal) are one of: nil, bool,
// int64, float64, json.Number (integers outside int64), string, []any and
// *Object. Marshal also accepts other Go numbers, maps with string keys
// (written in sorted key order) and types implementing json.Marshaler.
type Object struct {
	keys []string
	vals []any
	idx  map[string]int // built once len(keys) > smallObject
}

// NewObject returns an empty Object with room for n keys.
func NewObject(n int) *Object {
	return &Object{keys: make([]string, 0, n), vals: make([]any, 0, n)}
}

func (o *Object) find(k string) int {
	if o.idx != nil {
		if i, ok := o.idx[k]; ok {
			return i
		}
		return -1
	}
	for i, kk := range o.keys {
		if kk == k {
			return i
		}
	}
	return -1
}

// Len returns the number of keys.
func (o *Object) Len() int {
	if o == nil {
		return 0
	}
	return len(o.keys)
}

// Get returns the value for k and whether it is present.
func (o *Object) Get(k string) (any, bool) {
	if o == nil {
		return nil, false
	}
	if i := o.find(k); i >= 0 {
		return o.vals[i], true
	}
	return nil, false
}

// Set sets k to v. A new key goes to the end; an existing key keeps its place.
func (o *Object) Set(k string, v any) {
	if i := o.find(k); i >= 0 {
		o.vals[i] = v
		return
	}
	o.keys = append(o.keys, k)
	o.vals = append(o.vals, v)
	switch {
	case o.idx != nil:
		o.idx[k] = len(o.keys) - 1
	case len(o.keys) > smallObject:
		o.reindex()
	}
}

func (o *Object) reindex() {
	if len(o.keys) <= smallObject {
		o.idx = nil
		return
	}
	o.idx = make(map[string]int, len(o.keys))
	for i, k := range o.keys {
		o.idx[k] = i
	}
}

// Delete removes k and reports whether it was present.
func (o *Object) Delete(k string) bool {
	if o == nil {
		return false
	}
	i := o.find(k)
	if i < 0 {
		return false
	}
	o.keys = append(o.keys[:i], o.keys[i+1:]...)
	copy(o.vals[i:], o.vals[i+1:])
	o.vals[len(o.vals)-1] = nil // drop the reference for the garbage collector
	o.vals = o.vals[:len(o.vals)-1]
	if o.idx != nil {
		o.reindex()
	}
	return true
}

// Keys returns the keys in order. The slice must not be modified.
func (o *Object) Keys() []string {
	if o == nil {
		return nil
	}
	return o.keys
}

// Range calls f for each key and value in order until f returns false.
func (o *Object) Range(f func(k string, v any) bool) {
	if o == nil {
		return
	}
	for i, k := range o.keys {
		if !f(k, o.vals[i]) {
			return
		}
	}
}

// Clone returns a shallow copy: nested objects and lists are shared.
func (o *Object) Clone() *Object {
	if o == nil {
		return NewObject(0)
	}
	c := &Object{
		keys: append(make([]string, 0, len(o.keys)), o.keys...),
		vals: append(make([]any, 0, len(o.vals)), o.vals...),
	}
	c.reindex()
	return c
}
