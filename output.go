package dmr

import (
	"fmt"
	"net/http"
	"net/textproto"
	"reflect"
	"strconv"

	"github.com/dmr-go/dmr/internal/shape"
)

// outputPlan is the precomputed writing of an output type.
//
// An output type is either the body itself (any type: a struct, a string, a
// slice…) or an envelope: a struct with at least one field tagged `body`,
// `status`, `header` or `cookie`:
//
//	type Out struct {
//		Status int          `status:""`            // optional; 0 means the default status
//		ID     string       `header:"X-Request-Id"`
//		Sess   *http.Cookie `cookie:"sessionid"`
//		Body   User         `body:""`
//	}
type outputPlan struct {
	typ      reflect.Type
	envelope bool
	body     *shape.Type // nil: no body
	bodyIdx  []int
	status   []int // index of the status field, or nil
	headers  []outHeader
	cookies  []outCookie
}

type outHeader struct {
	name     string
	canon    string
	index    []int
	t        *shape.Type
	required bool
	desc     string
}

type outCookie struct {
	name     string
	index    []int
	slice    bool
	required bool
	desc     string
}

var cookieType = reflect.TypeFor[*http.Cookie]()

func (a *API) planOutput(t reflect.Type) (*outputPlan, error) {
	p := &outputPlan{typ: t}
	if t.Kind() == reflect.Struct {
		for i := range t.NumField() {
			sf := t.Field(i)
			for _, k := range []string{"body", "status", "header", "cookie"} {
				if _, ok := sf.Tag.Lookup(k); ok {
					p.envelope = true
				}
			}
		}
		if t.NumField() == 0 {
			return p, nil // struct{}: no body
		}
	}
	if !p.envelope {
		s, err := a.reg.Of(t)
		if err != nil {
			return nil, fmt.Errorf("output %s: %w", t, err)
		}
		p.body = s
		return p, nil
	}
	for i := range t.NumField() {
		sf := t.Field(i)
		switch {
		case hasTag(sf, "body"):
			if p.body != nil {
				return nil, fmt.Errorf("output %s: two body fields", t)
			}
			s, err := a.reg.Of(sf.Type)
			if err != nil {
				return nil, fmt.Errorf("output %s: body: %w", t, err)
			}
			p.body, p.bodyIdx = s, sf.Index
		case hasTag(sf, "status"):
			if sf.Type.Kind() != reflect.Int {
				return nil, fmt.Errorf("output %s: status field %s must be an int", t, sf.Name)
			}
			p.status = sf.Index
		case hasTag(sf, "header"):
			name := sf.Tag.Get("header")
			if name == "" {
				name = sf.Name
			}
			if textproto.CanonicalMIMEHeaderKey(name) == "Set-Cookie" {
				return nil, fmt.Errorf("output %s: field %s: set cookies with a cookie field, not a Set-Cookie header", t, sf.Name)
			}
			s, err := a.reg.Of(sf.Type)
			if err != nil {
				return nil, fmt.Errorf("output %s: header %s: %w", t, name, err)
			}
			switch s.Deref().Kind {
			case shape.String, shape.Int, shape.Uint, shape.Float, shape.Bool, shape.Text:
			default:
				return nil, fmt.Errorf("output %s: header %s has unsupported type %s", t, name, sf.Type)
			}
			h := outHeader{name: name, canon: textproto.CanonicalMIMEHeaderKey(name), index: sf.Index, t: s,
				required: s.Kind != shape.Pointer, desc: sf.Tag.Get("description")}
			if v, ok := sf.Tag.Lookup("required"); ok {
				h.required = v == "true"
			}
			p.headers = append(p.headers, h)
		case hasTag(sf, "cookie"):
			name := sf.Tag.Get("cookie")
			c := outCookie{name: name, index: sf.Index, required: true, desc: sf.Tag.Get("description")}
			switch sf.Type {
			case cookieType:
			case reflect.TypeFor[[]*http.Cookie]():
				c.slice = true
			default:
				return nil, fmt.Errorf("output %s: cookie field %s must be *http.Cookie or []*http.Cookie", t, sf.Name)
			}
			if name == "" && !c.slice {
				return nil, fmt.Errorf("output %s: cookie field %s needs a name: cookie:\"name\"", t, sf.Name)
			}
			if v, ok := sf.Tag.Lookup("required"); ok {
				c.required = v == "true"
			}
			p.cookies = append(p.cookies, c)
		default:
			if sf.IsExported() {
				return nil, fmt.Errorf("output %s: field %s needs a body, status, header or cookie tag", t, sf.Name)
			}
		}
	}
	return p, nil
}

func hasTag(sf reflect.StructField, k string) bool {
	_, ok := sf.Tag.Lookup(k)
	return ok
}

// formatHeader renders a header field; ok is false for a nil pointer.
func formatHeader(v reflect.Value, t *shape.Type) (string, bool) {
	if t.Kind == shape.Pointer {
		if v.IsNil() {
			return "", false
		}
		v, t = v.Elem(), t.Elem
	}
	switch t.Kind {
	case shape.String:
		return v.String(), v.String() != ""
	case shape.Int:
		return strconv.FormatInt(v.Int(), 10), true
	case shape.Uint:
		return strconv.FormatUint(v.Uint(), 10), true
	case shape.Float:
		return strconv.FormatFloat(v.Float(), 'g', -1, t.Bits), true
	case shape.Bool:
		return strconv.FormatBool(v.Bool()), true
	case shape.Text:
		b, err := v.Addr().Interface().(interface{ MarshalText() ([]byte, error) }).MarshalText()
		if err != nil {
			return "", false
		}
		return string(b), len(b) > 0
	}
	return "", false
}
