package openapi

// Schema is a JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1 and 3.2).
//
// Only the keywords the generator uses and a few common ones are modelled;
// Extra holds anything else (written last, keys sorted).
type Schema struct {
	Ref         string // $ref; when set, only Description and Summary-like siblings are written
	Title       string
	Description string
	// Type is the JSON type ("object", "string"…). Types, when set, replaces
	// it with a list (for example ["string","null"]).
	Type   string
	Types  []string
	Format string
	Enum   []any
	Const  any
	// HasConst marks Const as set (so a null const can be expressed).
	HasConst bool
	Default  any
	Example  any // deprecated in JSON Schema terms but understood by every UI
	Examples []any

	// Objects.
	Properties           []Property // in declaration order
	Required             []string
	AdditionalProperties *Schema
	// NoAdditionalProperties writes "additionalProperties": false.
	NoAdditionalProperties bool

	// Arrays.
	Items       *Schema
	PrefixItems []*Schema
	MinItems    *int
	MaxItems    *int
	UniqueItems bool

	// Strings.
	MinLength *int
	MaxLength *int
	Pattern   string

	// Numbers.
	Minimum          *float64
	Maximum          *float64
	ExclusiveMinimum *float64
	ExclusiveMaximum *float64
	MultipleOf       *float64

	AllOf []*Schema
	AnyOf []*Schema
	OneOf []*Schema
	Not   *Schema

	ReadOnly   bool
	WriteOnly  bool
	Deprecated bool

	Extra map[string]any
}

// Property is one named property of an object schema.
type Property struct {
	Name   string
	Schema *Schema
}

// Prop returns the schema of the named property, or nil.
func (s *Schema) Prop(name string) *Schema {
	for _, p := range s.Properties {
		if p.Name == name {
			return p.Schema
		}
	}
	return nil
}

// RefTo returns a schema referring to components/schemas/name.
func RefTo(name string) *Schema { return &Schema{Ref: "#/components/schemas/" + name} }

// Ptr returns a pointer to v, for the optional numeric keywords.
func Ptr[T any](v T) *T { return &v }
