package openapi

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/dmr-go/dmr/internal/jsonx"
)

// The model marshals through explicit field tables rather than struct tags, so
// the key order and the omission rules are exact and documented in one place:
// keys appear in the order the OpenAPI specification lists them, map keys are
// sorted, and zero values are left out (except the few fields marked "always
// written").

// obj builds one JSON object.
type obj struct {
	b   []byte
	n   int
	err error
}

func (o *obj) key(k string) {
	if o.n == 0 {
		o.b = append(o.b, '{')
	} else {
		o.b = append(o.b, ',')
	}
	o.n++
	o.b = jsonx.AppendString(o.b, k)
	o.b = append(o.b, ':')
}

func (o *obj) str(k, v string) {
	if v != "" {
		o.key(k)
		o.b = jsonx.AppendString(o.b, v)
	}
}

func (o *obj) strAlways(k, v string) {
	o.key(k)
	o.b = jsonx.AppendString(o.b, v)
}

func (o *obj) boolean(k string, v bool) {
	if v {
		o.key(k)
		o.b = append(o.b, "true"...)
	}
}

func (o *obj) boolAlways(k string, v bool) {
	o.key(k)
	o.b = strconv.AppendBool(o.b, v)
}

func (o *obj) intp(k string, v *int) {
	if v != nil {
		o.key(k)
		o.b = strconv.AppendInt(o.b, int64(*v), 10)
	}
}

func (o *obj) num(k string, v *float64) {
	if v != nil {
		o.key(k)
		o.b = appendFloat(o.b, *v)
	}
}

func (o *obj) anyv(k string, v any) {
	if v == nil {
		return
	}
	o.key(k)
	o.raw(v)
}

func (o *obj) raw(v any) {
	if m, ok := v.(interface{ appendJSON([]byte) []byte }); ok {
		o.b = m.appendJSON(o.b)
		return
	}
	bs, err := json.Marshal(v)
	if err != nil && o.err == nil {
		o.err = err
	}
	o.b = append(o.b, bs...)
}

func (o *obj) strs(k string, v []string) {
	if len(v) == 0 {
		return
	}
	o.key(k)
	o.b = append(o.b, '[')
	for i, s := range v {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.b = jsonx.AppendString(o.b, s)
	}
	o.b = append(o.b, ']')
}

func (o *obj) ext(m map[string]any) {
	for _, k := range sortedKeys(m) {
		o.key(k)
		o.raw(m[k])
	}
}

func (o *obj) end() []byte {
	if o.n == 0 {
		return append(o.b, "{}"...)
	}
	return append(o.b, '}')
}

type appender interface{ appendJSON([]byte) []byte }

func appendList[T appender](o *obj, k string, v []T) {
	if len(v) == 0 {
		return
	}
	o.key(k)
	o.b = append(o.b, '[')
	for i, x := range v {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.b = x.appendJSON(o.b)
	}
	o.b = append(o.b, ']')
}

func appendMap[T appender](o *obj, k string, m map[string]T, always bool) {
	if len(m) == 0 && !always {
		return
	}
	o.key(k)
	o.b = appendSortedMap(o.b, m, strings.Compare)
}

func appendSortedMap[T appender](b []byte, m map[string]T, cmp func(a, b string) int) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, cmp)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonx.AppendString(b, k)
		b = append(b, ':')
		b = m[k].appendJSON(b)
	}
	return append(b, '}')
}

func sortedKeys[T any](m map[string]T) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// compareStatus orders response keys numerically ("200" < "404" < "default").
func compareStatus(a, b string) int {
	ai, aerr := strconv.Atoi(a)
	bi, berr := strconv.Atoi(b)
	switch {
	case aerr == nil && berr == nil:
		return ai - bi
	case aerr == nil:
		return -1
	case berr == nil:
		return 1
	}
	return strings.Compare(a, b)
}

func appendFloat(b []byte, f float64) []byte {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.AppendInt(b, int64(f), 10)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

// MarshalJSON writes the document.
func (d *Document) MarshalJSON() ([]byte, error) {
	o := obj{b: make([]byte, 0, 64<<10)}
	d.appendTo(&o)
	b := o.end()
	if o.err != nil {
		return nil, fmt.Errorf("openapi: marshal: %w", o.err)
	}
	return b, nil
}

func (d *Document) appendTo(o *obj) {
	v := d.OpenAPI
	if v == "" {
		v = Version
	}
	o.strAlways("openapi", v)
	o.str("$self", d.Self)
	o.key("info")
	o.b = d.Info.appendJSON(o.b)
	o.str("jsonSchemaDialect", d.JSONSchemaDialect)
	appendList(o, "servers", d.Servers)
	o.key("paths")
	o.b = appendSortedMap(o.b, d.Paths, strings.Compare)
	if d.Components != nil && !d.Components.empty() {
		o.key("components")
		o.b = d.Components.appendJSON(o.b)
	}
	appendList(o, "security", d.Security)
	appendList(o, "tags", d.Tags)
	if d.ExternalDocs != nil {
		o.key("externalDocs")
		o.b = d.ExternalDocs.appendJSON(o.b)
	}
	o.ext(d.Extensions)
}

func (i Info) appendJSON(b []byte) []byte {
	o := obj{b: b}
	o.strAlways("title", i.Title)
	o.str("summary", i.Summary)
	o.str("description", i.Description)
	o.str("termsOfService", i.TermsOfService)
	if i.Contact != nil {
		o.key("contact")
		c := obj{b: o.b}
		c.str("name", i.Contact.Name)
		c.str("url", i.Contact.URL)
		c.str("email", i.Contact.Email)
		o.b = c.end()
	}
	if i.License != nil {
		o.key("license")
		c := obj{b: o.b}
		c.strAlways("name", i.License.Name)
		c.str("identifier", i.License.Identifier)
		c.str("url", i.License.URL)
		o.b = c.end()
	}
	o.strAlways("version", i.Version)
	return o.end()
}

func (s Server) appendJSON(b []byte) []byte {
	o := obj{b: b}
	o.strAlways("url", s.URL)
	o.str("description", s.Description)
	o.str("name", s.Name)
	return o.end()
}

func (e *ExternalDocs) appendJSON(b []byte) []byte {
	o := obj{b: b}
	o.str("description", e.Description)
	o.strAlways("url", e.URL)
	return o.end()
}

func (t Tag) appendJSON(b []byte) []byte {
	o := obj{b: b}
	o.strAlways("name", t.Name)
	o.str("summary", t.Summary)
	o.str("description", t.Description)
	if t.ExternalDocs != nil {
		o.key("externalDocs")
		o.b = t.ExternalDocs.appendJSON(o.b)
	}
	o.str("parent", t.Parent)
	o.str("kind", t.Kind)
	return o.end()
}

func (p *PathItem) appendJSON(b []byte) []byte {
	o := obj{b: b}
	o.str("summary", p.Summary)
	o.str("description", p.Description)
	for _, m := range []struct {
		k  string
		op *Operation
	}{{"get", p.Get}, {"put", p.Put}, {"post", p.Post}, {"delete", p.Delete}, {"options", p.Options},
		{"head", p.Head}, {"patch", p.Patch}, {"trace", p.Trace}, {"query", p.Query}} {
		if m.op != nil {
			o.key(m.k)
			o.b = m.op.appendJSON(o.b)
		}
	}
	appendMap(&o, "additionalOperations", p.AdditionalOperations, false)
	appendList(&o, "servers", p.Servers)
	appendList(&o, "parameters", p.Parameters)
	return o.end()
}

func (op *Operation) appendJSON(b []byte) []byte {
	o := obj{b: b}
	o.strs("tags", op.Tags)
	o.str("summary", op.Summary)
	o.str("description", op.Description)
	if op.ExternalDocs != nil {
		o.key("externalDocs")
		o.b = op.ExternalDocs.appendJSON(o.b)
	}
	o.str("operationId", op.OperationID)
	appendList(&o, "parameters", op.Parameters)
	if op.RequestBody != nil {
		o.key("requestBody")
		o.b = op.RequestBody.appendJSON(o.b)
	}
	if len(op.Responses) > 0 {
		o.key("responses")
		o.b = appendSortedMap(o.b, op.Responses, compareStatus)
	}
	o.boolAlways("deprecated", op.Deprecated)
	if op.Security != nil {
		o.key("security")
		o.b = append(o.b, '[')
		for i, r := range op.Security {
			if i > 0 {
				o.b = append(o.b, ',')
			}
			o.b = r.appendJSON(o.b)
		}
		o.b = append(o.b, ']')
	}
	appendList(&o, "servers", op.Servers)
	o.ext(op.Extensions)
	return o.end()
}

func (p *Parameter) appendJSON(b []byte) []byte {
	o := obj{b: b}
	o.strAlways("name", p.Name)
	o.strAlways("in", p.In)
	o.str("description", p.Description)
	o.boolean("required", p.Required)
	o.boolAlways("deprecated", p.Deprecated)
	o.str("style", p.Style)
	if p.Explode != nil {
		o.boolAlways("explode", *p.Explode)
	}
	if p.Schema != nil {
		o.key("schema")
		o.b = p.Schema.appendJSON(o.b)
	}
	o.anyv("example", p.Example)
	return o.end()
}

func (r *RequestBody) appendJSON(b []byte) []byte {
	o := obj{b: b}
	o.str("description", r.Description)
	appendMap(&o, "content", r.Content, true)
	o.boolean("required", r.Required)
	return o.end()
}

func (m *MediaType) appendJSON(b []byte) []byte {
	o := obj{b: b}
	if m.Schema != nil {
		o.key("schema")
		o.b = m.Schema.appendJSON(o.b)
	}
	if m.ItemSchema != nil {
		o.key("itemSchema")
		o.b = m.ItemSchema.appendJSON(o.b)
	}
	o.anyv("example", m.Example)
	return o.end()
}

func (r *Response) appendJSON(b []byte) []byte {
	o := obj{b: b}
	o.str("summary", r.Summary)
	o.strAlways("description", r.Description)
	appendMap(&o, "headers", r.Headers, false)
	appendMap(&o, "content", r.Content, false)
	return o.end()
}

func (h *Header) appendJSON(b []byte) []byte {
	o := obj{b: b}
	o.str("description", h.Description)
	o.boolean("required", h.Required)
	o.boolean("deprecated", h.Deprecated)
	if h.Schema != nil {
		o.key("schema")
		o.b = h.Schema.appendJSON(o.b)
	}
	return o.end()
}

func (c *Components) empty() bool {
	return len(c.Schemas) == 0 && len(c.Responses) == 0 && len(c.Parameters) == 0 &&
		len(c.Headers) == 0 && len(c.SecuritySchemes) == 0
}

func (c *Components) appendJSON(b []byte) []byte {
	o := obj{b: b}
	appendMap(&o, "schemas", c.Schemas, false)
	appendMap(&o, "responses", c.Responses, false)
	appendMap(&o, "parameters", c.Parameters, false)
	appendMap(&o, "headers", c.Headers, false)
	appendMap(&o, "securitySchemes", c.SecuritySchemes, false)
	return o.end()
}

func (s *SecurityScheme) appendJSON(b []byte) []byte {
	o := obj{b: b}
	o.strAlways("type", s.Type)
	o.str("description", s.Description)
	o.str("name", s.Name)
	o.str("in", s.In)
	o.str("scheme", s.Scheme)
	o.str("bearerFormat", s.BearerFormat)
	if s.Flows != nil {
		o.key("flows")
		o.b = s.Flows.appendJSON(o.b)
	}
	o.str("openIdConnectUrl", s.OpenIDConnectURL)
	o.str("oauth2MetadataUrl", s.OAuth2MetadataURL)
	o.boolean("deprecated", s.Deprecated)
	return o.end()
}

func (f *OAuthFlows) appendJSON(b []byte) []byte {
	o := obj{b: b}
	for _, x := range []struct {
		k string
		f *OAuthFlow
	}{{"implicit", f.Implicit}, {"password", f.Password}, {"clientCredentials", f.ClientCredentials},
		{"authorizationCode", f.AuthorizationCode}, {"deviceAuthorization", f.DeviceAuthorization}} {
		if x.f == nil {
			continue
		}
		o.key(x.k)
		c := obj{b: o.b}
		c.str("authorizationUrl", x.f.AuthorizationURL)
		c.str("deviceAuthorizationUrl", x.f.DeviceAuthorizationURL)
		c.str("tokenUrl", x.f.TokenURL)
		c.str("refreshUrl", x.f.RefreshURL)
		c.key("scopes")
		c.b = append(c.b, '{')
		for i, k := range sortedKeys(x.f.Scopes) {
			if i > 0 {
				c.b = append(c.b, ',')
			}
			c.b = jsonx.AppendString(c.b, k)
			c.b = append(c.b, ':')
			c.b = jsonx.AppendString(c.b, x.f.Scopes[k])
		}
		c.b = append(c.b, '}')
		o.b = c.end()
	}
	return o.end()
}

func (r SecurityRequirement) appendJSON(b []byte) []byte {
	b = append(b, '{')
	for i, k := range sortedKeys(r) {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonx.AppendString(b, k)
		b = append(b, ':', '[')
		for j, s := range r[k] {
			if j > 0 {
				b = append(b, ',')
			}
			b = jsonx.AppendString(b, s)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// MarshalJSON writes the schema.
func (s *Schema) MarshalJSON() ([]byte, error) { return s.appendJSON(nil), nil }

func (s *Schema) appendJSON(b []byte) []byte {
	o := obj{b: b}
	o.str("$ref", s.Ref)
	o.str("title", s.Title)
	o.str("description", s.Description)
	switch {
	case len(s.Types) > 0:
		o.strs("type", s.Types)
	default:
		o.str("type", s.Type)
	}
	o.str("format", s.Format)
	if s.Enum != nil {
		o.key("enum")
		o.raw(s.Enum)
	}
	if s.HasConst || s.Const != nil {
		o.key("const")
		o.raw(s.Const)
	}
	o.anyv("default", s.Default)
	o.anyv("example", s.Example)
	if len(s.Examples) > 0 {
		o.key("examples")
		o.raw(s.Examples)
	}
	if len(s.Properties) > 0 {
		o.key("properties")
		o.b = append(o.b, '{')
		for i, p := range s.Properties {
			if i > 0 {
				o.b = append(o.b, ',')
			}
			o.b = jsonx.AppendString(o.b, p.Name)
			o.b = append(o.b, ':')
			o.b = p.Schema.appendJSON(o.b)
		}
		o.b = append(o.b, '}')
	}
	o.strs("required", s.Required)
	if s.NoAdditionalProperties {
		o.key("additionalProperties")
		o.b = append(o.b, "false"...)
	} else if s.AdditionalProperties != nil {
		o.key("additionalProperties")
		o.b = s.AdditionalProperties.appendJSON(o.b)
	}
	if s.Items != nil {
		o.key("items")
		o.b = s.Items.appendJSON(o.b)
	}
	appendList(&o, "prefixItems", s.PrefixItems)
	o.intp("minItems", s.MinItems)
	o.intp("maxItems", s.MaxItems)
	o.boolean("uniqueItems", s.UniqueItems)
	o.intp("minLength", s.MinLength)
	o.intp("maxLength", s.MaxLength)
	o.str("pattern", s.Pattern)
	o.num("minimum", s.Minimum)
	o.num("maximum", s.Maximum)
	o.num("exclusiveMinimum", s.ExclusiveMinimum)
	o.num("exclusiveMaximum", s.ExclusiveMaximum)
	o.num("multipleOf", s.MultipleOf)
	appendList(&o, "allOf", s.AllOf)
	appendList(&o, "anyOf", s.AnyOf)
	appendList(&o, "oneOf", s.OneOf)
	if s.Not != nil {
		o.key("not")
		o.b = s.Not.appendJSON(o.b)
	}
	o.boolean("readOnly", s.ReadOnly)
	o.boolean("writeOnly", s.WriteOnly)
	o.boolean("deprecated", s.Deprecated)
	o.ext(s.Extra)
	return o.end()
}

// MarshalJSON writes the components object.
func (c *Components) MarshalJSON() ([]byte, error) { return c.appendJSON(nil), nil }

// MarshalJSON writes the operation.
func (op *Operation) MarshalJSON() ([]byte, error) { return op.appendJSON(nil), nil }

// MarshalJSON writes the security scheme.
func (s *SecurityScheme) MarshalJSON() ([]byte, error) { return s.appendJSON(nil), nil }
