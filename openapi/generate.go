package openapi

import (
	"fmt"
	"reflect"
	"strings"
	"unicode"

	"github.com/dmr-go/dmr/internal/shape"
)

// SchemaProvider is implemented by types that describe themselves: the
// returned schema is used as is (inline) instead of the generated one.
type SchemaProvider interface {
	OpenAPISchema() *Schema
}

// Generator builds schemas for Go types and collects the named ones as
// components. It is not safe for concurrent use.
type Generator struct {
	// NoTitles leaves out the pydantic-style "title" keywords.
	NoTitles bool
	// NoAdditionalProperties writes "additionalProperties": false on every
	// struct schema (for APIs that reject unknown fields).
	NoAdditionalProperties bool

	reg       *shape.Registry
	schemas   map[string]*Schema
	owners    map[string]reflect.Type
	overrides map[reflect.Type]override
	building  map[reflect.Type]bool
}

type override struct {
	name   string
	schema *Schema
}

// NewGenerator returns an empty Generator.
func NewGenerator() *Generator {
	return &Generator{
		reg:       shape.NewRegistry(),
		schemas:   map[string]*Schema{},
		owners:    map[string]reflect.Type{},
		overrides: map[reflect.Type]override{},
		building:  map[reflect.Type]bool{},
	}
}

// Override replaces the schema of t. With a name, the schema is stored as a
// component and referenced; without one it is inlined.
func (g *Generator) Override(t reflect.Type, name string, s *Schema) {
	g.overrides[t] = override{name: name, schema: s}
}

// Components returns the named schemas collected so far.
func (g *Generator) Components() map[string]*Schema { return g.schemas }

// Schema returns the schema of t: a $ref for named struct types (which are
// added to the components), an inline schema otherwise.
func (g *Generator) Schema(t reflect.Type) (*Schema, error) {
	st, err := g.reg.Of(t)
	if err != nil {
		return nil, err
	}
	return g.schemaOf(st)
}

// Description returns the description of t (from its SchemaDescription
// method), or "".
func (g *Generator) Description(t reflect.Type) string {
	st, err := g.reg.Of(t)
	if err != nil {
		return ""
	}
	return st.Deref().Description
}

func (g *Generator) schemaOf(t *shape.Type) (*Schema, error) {
	if o, ok := g.overrides[t.T]; ok {
		if o.name == "" {
			return clone(o.schema), nil
		}
		if err := g.register(o.name, t.T, o.schema); err != nil {
			return nil, err
		}
		return RefTo(o.name), nil
	}
	if t.Kind != shape.Pointer {
		if p, ok := reflect.New(t.T).Elem().Interface().(SchemaProvider); ok {
			return clone(p.OpenAPISchema()), nil
		}
	}
	switch t.Kind {
	case shape.Bool:
		return &Schema{Type: "boolean"}, nil
	case shape.Int:
		return &Schema{Type: "integer"}, nil
	case shape.Uint:
		return &Schema{Type: "integer", Minimum: Ptr(0.0)}, nil
	case shape.Float:
		return &Schema{Type: "number"}, nil
	case shape.String:
		return &Schema{Type: "string"}, nil
	case shape.Text:
		return &Schema{Type: "string", Format: t.Format}, nil
	case shape.Bytes:
		return &Schema{Type: "string", Extra: map[string]any{"contentEncoding": "base64"}}, nil
	case shape.Any, shape.Custom:
		return &Schema{}, nil
	case shape.Pointer:
		inner, err := g.schemaOf(t.Elem)
		if err != nil {
			return nil, err
		}
		return nullable(inner), nil
	case shape.Slice:
		items, err := g.schemaOf(t.Elem)
		if err != nil {
			return nil, err
		}
		return &Schema{Type: "array", Items: items}, nil
	case shape.Map:
		v, err := g.schemaOf(t.Elem)
		if err != nil {
			return nil, err
		}
		return &Schema{Type: "object", AdditionalProperties: v}, nil
	case shape.Struct:
		if t.Name == "" {
			return g.object(t)
		}
		if _, ok := g.schemas[t.Name]; ok || g.building[t.T] {
			if owner := g.owners[t.Name]; owner != t.T {
				return nil, fmt.Errorf("openapi: two types are named %q: %s and %s; give one a SchemaName method", t.Name, owner, t.T)
			}
			return RefTo(t.Name), nil
		}
		g.building[t.T] = true
		g.owners[t.Name] = t.T
		s, err := g.object(t)
		delete(g.building, t.T)
		if err != nil {
			return nil, err
		}
		if !g.NoTitles {
			s.Title = t.Name
		}
		if err := g.register(t.Name, t.T, s); err != nil {
			return nil, err
		}
		return RefTo(t.Name), nil
	}
	return nil, fmt.Errorf("openapi: unsupported type %s", t.T)
}

func (g *Generator) register(name string, t reflect.Type, s *Schema) error {
	if owner, ok := g.owners[name]; ok && owner != t {
		return fmt.Errorf("openapi: two types are named %q: %s and %s; give one a SchemaName method", name, owner, t)
	}
	g.owners[name] = t
	g.schemas[name] = s
	return nil
}

func nullable(s *Schema) *Schema {
	return &Schema{AnyOf: []*Schema{s, {Type: "null"}}}
}

func (g *Generator) object(t *shape.Type) (*Schema, error) {
	s := &Schema{Type: "object", Description: t.Description, NoAdditionalProperties: g.NoAdditionalProperties}
	s.Properties = []Property{}
	for _, f := range t.Fields {
		fs, err := g.FieldSchema(f.Type, f.C, f.Name)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", t.T, f.GoName, err)
		}
		s.Properties = append(s.Properties, Property{Name: f.Name, Schema: fs})
		if f.Required {
			s.Required = append(s.Required, f.Name)
		}
	}
	return s, nil
}

// FieldSchema returns the schema of a field or parameter of type t with
// constraints c, titled after name.
func (g *Generator) FieldSchema(t *shape.Type, c *shape.Constraints, name string) (*Schema, error) {
	base, err := g.schemaOf(t)
	if err != nil {
		return nil, err
	}
	s := base
	if c != nil {
		// Apply the constraints to the right level: inside the nullable
		// wrapper and, for value keywords on slices, to the items.
		target := s
		if t.Kind == shape.Pointer && len(s.AnyOf) == 2 {
			target = s.AnyOf[0]
			if target.Ref != "" {
				target = nil
			}
		}
		if target != nil {
			if t.Deref().Kind == shape.Slice {
				applyList(target, c)
				if target.Items != nil && target.Items.Ref == "" {
					applyItem(target.Items, c)
				}
			} else if target.Ref == "" {
				applyItem(target, c)
			}
		}
		if c.Description != "" || c.Deprecated || c.Example != nil {
			if s.Ref != "" {
				s = &Schema{Ref: s.Ref}
			}
			s.Description = c.Description
			s.Deprecated = c.Deprecated
			if c.Example != nil {
				s.Examples = []any{c.Example}
			}
		}
		if c.HasDefault {
			if v, err := parseDefault(t, c.Default); err == nil {
				s.Default = v
			}
		}
	}
	if !g.NoTitles && name != "" {
		if s == base && s.Ref != "" {
			s = &Schema{Ref: s.Ref}
		}
		s.Title = PyTitle(name)
	}
	return s, nil
}

func parseDefault(t *shape.Type, v string) (any, error) {
	st := t.Deref()
	if st.Kind == shape.Slice {
		return nil, fmt.Errorf("no default for slices")
	}
	c, err := shape.ParseConstraints(reflect.StructTag(`enum:"`+v+`"`), st)
	if err != nil || len(c.Enum) != 1 {
		return nil, fmt.Errorf("bad default")
	}
	return c.Enum[0], nil
}

func applyItem(s *Schema, c *shape.Constraints) {
	if c.MinLength >= 0 {
		s.MinLength = Ptr(c.MinLength)
	}
	if c.MaxLength >= 0 {
		s.MaxLength = Ptr(c.MaxLength)
	}
	if c.Pattern != nil {
		s.Pattern = c.Pattern.String()
	}
	if c.Format != "" {
		s.Format = c.Format
	}
	if c.Minimum != nil {
		if s.Minimum == nil || *c.Minimum > *s.Minimum {
			s.Minimum = c.Minimum
		}
	}
	if c.Maximum != nil {
		s.Maximum = c.Maximum
	}
	s.ExclusiveMinimum = c.ExclusiveMinimum
	s.ExclusiveMaximum = c.ExclusiveMaximum
	s.MultipleOf = c.MultipleOf
	if c.Enum != nil {
		s.Enum = append([]any(nil), c.Enum...)
	}
}

func applyList(s *Schema, c *shape.Constraints) {
	if c.MinItems >= 0 {
		s.MinItems = Ptr(c.MinItems)
	}
	if c.MaxItems >= 0 {
		s.MaxItems = Ptr(c.MaxItems)
	}
	s.UniqueItems = c.UniqueItems
}

// PyTitle turns a field name into a title the way pydantic does:
// underscores become spaces and the result is title-cased ("user_id" →
// "User Id").
func PyTitle(name string) string {
	name = strings.ReplaceAll(name, "_", " ")
	var b strings.Builder
	prevLetter := false
	for _, r := range name {
		if unicode.IsLetter(r) {
			if prevLetter {
				b.WriteRune(unicode.ToLower(r))
			} else {
				b.WriteRune(unicode.ToUpper(r))
			}
			prevLetter = true
		} else {
			b.WriteRune(r)
			prevLetter = false
		}
	}
	return b.String()
}

func clone(s *Schema) *Schema {
	if s == nil {
		return &Schema{}
	}
	c := *s
	return &c
}
