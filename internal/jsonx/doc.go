// Package jsonx decodes JSON straight into Go values described by package
// shape, validating constraints on the way and collecting every problem with
// its location, and encodes Go values back, validating them the same way.
//
// One pass, no intermediate map[string]any: a body is read once, and a
// syntax error stops decoding with a single "Invalid JSON" problem. Strings
// are read by the scanner pyjson shares (internal/pycompat).
package jsonx
