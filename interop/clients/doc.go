// Package clients checks that clients generated from the example's OpenAPI
// document by the tools people use work against the real example server.
//
// It is its own module (like bench/*), so the generators never become
// dependencies of dmr. run.sh builds and starts examples/sessionauth, writes
// its document (the 3.1 form: these generators read OpenAPI 3.0 and 3.1),
// generates clients with ogen and oapi-codegen (pinned by the tool lines of
// go.mod) into gen/ (ignored by git, never committed), then runs the flow
// tests of this package with -tags clientgen against the server: log in,
// GET /api/csrf/, POST /api/notes/ with the X-CSRFToken header the document
// asks for, and list the notes. It also starts Prism's validating proxy
// (prism proxy --errors, npm package pinned in prism.sh) in front of the
// server and sends the flow and the error cases through it: no answer may
// carry a violation.
package clients
