package pyjson

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
	vals map[string]any
}

// NewObject returns an empty Object with room for n keys.
func NewObject(n int) *Object {
	return &Object{keys: make([]string, 0, n), vals: make(map[string]any, n)}
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
	if o == nil || o.vals == nil {
		return nil, false
	}
	v, ok := o.vals[k]
	return v, ok
}

// Set sets k to v. A new key goes to the end; an existing key keeps its place.
func (o *Object) Set(k string, v any) {
	if o.vals == nil {
		o.vals = make(map[string]any)
	}
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

// Delete removes k and reports whether it was present.
func (o *Object) Delete(k string) bool {
	if o == nil || o.vals == nil {
		return false
	}
	if _, ok := o.vals[k]; !ok {
		return false
	}
	delete(o.vals, k)
	for i, kk := range o.keys {
		if kk == k {
			o.keys = append(o.keys[:i], o.keys[i+1:]...)
			break
		}
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

// Clone returns a shallow copy: nested objects and lists are shared.
func (o *Object) Clone() *Object {
	if o == nil {
		return NewObject(0)
	}
	c := NewObject(len(o.keys))
	for _, k := range o.keys {
		c.Set(k, o.vals[k])
	}
	return c
}
