package pyjson

// DeepClone returns a copy of o that shares no mutable memory with it:
// nested *Object and []any values are copied recursively; other values (nil,
// bool, numbers, strings, json.Number) are immutable and kept. Values of
// other types, which only Set can put in an Object, are kept as they are.
// DeepClone of nil is an empty Object.
func (o *Object) DeepClone() *Object {
	if o == nil {
		return NewObject(0)
	}
	c := &Object{
		keys: append(make([]string, 0, len(o.keys)), o.keys...),
		vals: make([]any, len(o.vals)),
	}
	for i, v := range o.vals {
		c.vals[i] = deepCloneValue(v)
	}
	c.reindex()
	return c
}

func deepCloneValue(v any) any {
	switch v := v.(type) {
	case *Object:
		if v == nil {
			return v
		}
		return v.DeepClone()
	case []any:
		if v == nil {
			return v
		}
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = deepCloneValue(e)
		}
		return out
	}
	return v
}
