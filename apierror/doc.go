// Package apierror holds the error types shared by the API layer and the standalone
// packages (sessions, csrf, auth, hashers).
//
// It is a leaf: it imports nothing from this module, so every other package may
// import it without creating a cycle. The standalone packages never import the API
// layer; instead, an error that knows how it should look over HTTP implements
// [Coder], and the API layer turns it into a response with [As].
//
// The default wire shape is Django Modern Rest's error model:
//
//	{"detail":[{"msg":"...","loc":["parsed_body","age"],"type":"value_error"}]}
//
// where "loc" and "type" are omitted when empty.
package apierror
