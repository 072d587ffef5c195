// Package openapi is a model of OpenAPI 3.2 documents that marshals exactly,
// a JSON Schema generator for Go types, and a downgrade to OpenAPI 3.1.
//
// # Exact output
//
// Every type marshals through an explicit field table: keys come in the order
// the specification lists them, map keys are sorted (response codes
// numerically), and zero values are omitted, except for the fields that
// Django Modern Rest always writes (an operation's and a parameter's
// "deprecated", a response's "description", the info "title" and "version").
// The same document always marshals to the same bytes.
//
// # Schemas from Go types
//
// [Generator.Schema] turns a Go type into a schema. Named struct types become
// components (components.schemas.<Name>) referenced with $ref; the name is the
// Go type name (generic instantiations get their type arguments appended), or
// what the type's SchemaName method returns. Descriptions come from a
// `description:"…"` struct tag on fields and from a SchemaDescription method
// on types (Go has no runtime doc comments). Constraint tags (required,
// minLength, maxLength, pattern, minimum, maximum, exclusiveMinimum,
// exclusiveMaximum, multipleOf, enum, format, minItems, maxItems,
// uniqueItems, example, deprecated) are described in the shape package docs
// of this module and appear in the schema exactly as the API layer enforces
// them. Titles follow pydantic (type name; field name with underscores as
// spaces, title-cased) so documents read like Django Modern Rest's.
//
// # 3.1 downgrade
//
// [Downgrade31] rewrites a 3.2 document for tools that only read 3.1
// (openapi-typescript, swagger-parser): 3.2-only fields are removed and the
// QUERY and additional operations are dropped (they have no 3.1 form).
package openapi
