package shape

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"
)

// Kind is the JSON-level kind of a Go type.
type Kind uint8

// Kinds.
const (
	Invalid Kind = iota
	Bool
	Int
	Uint
	Float
	String
	Text  // encoding.TextMarshaler/TextUnmarshaler: a JSON string (time.Time too)
	Bytes // []byte: a base64 JSON string
	Struct
	Slice
	Map
	Pointer
	Any    // interface{}: any JSON value
	Custom // json.Marshaler/json.Unmarshaler: any JSON value, delegated
)

var kindNames = [...]string{"invalid", "boolean", "integer", "integer", "number", "string", "string", "string",
	"object", "array", "object", "pointer", "any", "any"}

func (k Kind) String() string { return kindNames[k] }

// Type describes one Go type.
type Type struct {
	T    reflect.Type
	Kind Kind
	// Bits is the size of Int, Uint and Float kinds (64 for int and uint).
	Bits int
	// Elem is the element of a Slice, the value of a Map, the target of a Pointer.
	Elem *Type
	// Fields of a Struct, in declaration order (embedded structs flattened).
	Fields []*Field
	// Name is the component name for named struct types ("" otherwise).
	Name string
	// Description comes from the type's SchemaDescription method.
	Description string
	// Format is implied by the type (time.Time: "date-time").
	Format string

	byName map[string]*Field
}

// FieldByName returns the field with the given JSON name, or nil.
func (t *Type) FieldByName(name string) *Field { return t.byName[name] }

// Field is one JSON field of a struct.
type Field struct {
	Name     string // JSON name
	GoName   string
	Index    []int
	Type     *Type
	Required bool
	// OmitEmpty and OmitZero mirror the encoding/json options.
	OmitEmpty bool
	OmitZero  bool
	// Pos is the field's position in Type.Fields.
	Pos int
	C   *Constraints
}

// Registry analyses types and caches the result. It is safe for concurrent use.
type Registry struct {
	mu      sync.Mutex
	types   map[reflect.Type]*Type
	pending map[reflect.Type]int
}

// NewRegistry returns an empty Registry.
func NewRegistry() *Registry {
	return &Registry{types: map[reflect.Type]*Type{}, pending: map[reflect.Type]int{}}
}

var (
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	textMarshaler   = reflect.TypeFor[encoding.TextMarshaler]()
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	jsonMarshaler   = reflect.TypeFor[json.Marshaler]()
	timeType        = reflect.TypeFor[time.Time]()
	rawMessage      = reflect.TypeFor[json.RawMessage]()
)

// Of analyses t.
func (r *Registry) Of(t reflect.Type) (*Type, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.of(t, nil)
}

func (r *Registry) of(t reflect.Type, stack []string) (*Type, error) {
	if s, ok := r.types[t]; ok {
		return s, nil
	}
	// Only structs can be part of a cycle that this analysis follows (Go
	// needs a named type to close one, and a named struct is the usual one).
	// They are cached before their fields are analysed; other types only
	// once complete, so no caller ever sees a half-built slice or map.
	if t.Kind() != reflect.Struct {
		if r.pending[t] >= 3 {
			return nil, fmt.Errorf("unsupported recursive type %s: recursion must go through a struct", t)
		}
		r.pending[t]++
		defer func() { r.pending[t]-- }()
	}
	s := &Type{T: t}
	if t.Kind() == reflect.Struct {
		r.types[t] = s
	}
	if err := r.fill(s, stack); err != nil {
		delete(r.types, t)
		return nil, err
	}
	r.types[t] = s
	return s, nil
}

func implements(t, iface reflect.Type) bool {
	return t.Implements(iface) || reflect.PointerTo(t).Implements(iface)
}

func (r *Registry) fill(s *Type, stack []string) error {
	t := s.T
	switch {
	case t == rawMessage:
		s.Kind = Custom
		return nil
	case t == timeType:
		s.Kind = Text
		s.Format = "date-time"
		return nil
	case t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface && (implements(t, jsonUnmarshaler) || implements(t, jsonMarshaler)):
		// Its own JSON form: delegated to the type's methods (and to
		// encoding/json for the half it does not implement).
		s.Kind = Custom
		return nil
	case t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface && implements(t, textUnmarshaler) && implements(t, textMarshaler):
		s.Kind = Text
		return nil
	case t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface && (implements(t, textUnmarshaler) || implements(t, textMarshaler)):
		s.Kind = Custom
		return nil
	}
	switch t.Kind() {
	case reflect.Bool:
		s.Kind = Bool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		s.Kind, s.Bits = Int, t.Bits()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		s.Kind, s.Bits = Uint, t.Bits()
	case reflect.Float32, reflect.Float64:
		s.Kind, s.Bits = Float, t.Bits()
	case reflect.String:
		s.Kind = String
	case reflect.Interface:
		if t.NumMethod() != 0 {
			return fmt.Errorf("unsupported type %s: only the empty interface can hold JSON values", t)
		}
		s.Kind = Any
	case reflect.Pointer:
		s.Kind = Pointer
		if t.Elem().Kind() == reflect.Pointer {
			return fmt.Errorf("unsupported type %s: pointer to pointer", t)
		}
		e, err := r.of(t.Elem(), stack)
		if err != nil {
			return err
		}
		s.Elem = e
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 && !implements(t.Elem(), textUnmarshaler) {
			s.Kind = Bytes
			return nil
		}
		s.Kind = Slice
		e, err := r.of(t.Elem(), stack)
		if err != nil {
			return err
		}
		s.Elem = e
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return fmt.Errorf("unsupported type %s: map keys must be strings", t)
		}
		s.Kind = Map
		e, err := r.of(t.Elem(), stack)
		if err != nil {
			return err
		}
		s.Elem = e
	case reflect.Struct:
		s.Kind = Struct
		if t.Name() != "" {
			s.Name = typeName(t)
		}
		if n, ok := reflect.New(t).Elem().Interface().(interface{ SchemaName() string }); ok {
			s.Name = n.SchemaName()
		}
		if d, ok := reflect.New(t).Elem().Interface().(interface{ SchemaDescription() string }); ok {
			s.Description = d.SchemaDescription()
		}
		s.byName = map[string]*Field{}
		if err := r.fields(s, t, nil, stack); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unsupported type %s (kind %s)", t, t.Kind())
	}
	return nil
}

func (r *Registry) fields(s *Type, t reflect.Type, index []int, stack []string) error {
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		idx := append(append([]int(nil), index...), i)
		if sf.Anonymous && name == "" {
			ft := sf.Type
			if ft.Kind() == reflect.Pointer {
				return fmt.Errorf("%s: embedded pointer field %s is not supported; embed the struct itself", t, sf.Name)
			}
			if ft.Kind() == reflect.Struct {
				if err := r.fields(s, ft, idx, stack); err != nil {
					return err
				}
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		if _, dup := s.byName[name]; dup {
			return fmt.Errorf("%s: two fields have the JSON name %q", s.T, name)
		}
		ft, err := r.of(sf.Type, stack)
		if err != nil {
			return fmt.Errorf("%s.%s: %w", t, sf.Name, err)
		}
		f := &Field{Name: name, GoName: sf.Name, Index: idx, Type: ft, Pos: len(s.Fields)}
		for o := range strings.SplitSeq(opts, ",") {
			switch o {
			case "omitempty":
				f.OmitEmpty = true
			case "omitzero":
				f.OmitZero = true
			case "string":
				return fmt.Errorf("%s.%s: the json \",string\" option is not supported", t, sf.Name)
			}
		}
		f.Required = ft.Kind != Pointer && !f.OmitEmpty && !f.OmitZero
		c, err := ParseConstraints(sf.Tag, ft)
		if err != nil {
			return fmt.Errorf("%s.%s: %w", t, sf.Name, err)
		}
		if c.Required != nil {
			f.Required = *c.Required
		}
		f.C = c
		s.Fields = append(s.Fields, f)
		s.byName[name] = f
	}
	return nil
}

// typeName is the component name of a named type: the Go name, with the short
// names of generic type arguments appended ("Page_User").
func typeName(t reflect.Type) string {
	n := t.Name()
	base, args, ok := strings.Cut(n, "[")
	if !ok {
		return n
	}
	args = strings.TrimSuffix(args, "]")
	var b strings.Builder
	b.WriteString(base)
	depth := 0
	start := 0
	flush := func(a string) {
		a = strings.TrimLeft(a, "*[]")
		if i := strings.LastIndexAny(a, "./"); i >= 0 {
			a = a[i+1:]
		}
		b.WriteByte('_')
		b.WriteString(sanitize(a))
	}
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case '[':
			depth++
		case ']':
			depth--
		case ',':
			if depth == 0 {
				flush(args[start:i])
				start = i + 1
			}
		}
	}
	flush(args[start:])
	return b.String()
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '-' || r == '.' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9') {
			return r
		}
		return '_'
	}, s)
}

// Deref returns the type a pointer points to, or t itself.
func (t *Type) Deref() *Type {
	if t.Kind == Pointer {
		return t.Elem
	}
	return t
}
