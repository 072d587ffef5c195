// Package dmr serves typed JSON APIs on net/http and documents them with
// OpenAPI 3.2, following Django Modern Rest (the Python framework) in its
// error bodies, status codes and document shapes.
//
// # Shape of an API
//
// An [API] is an http.Handler mounted at a prefix. It holds controllers: a
// [Controller] is a named group of endpoints served at one path (the name
// feeds the generated operationIds). An endpoint is a plain typed function
// registered with [Register] (or [Get], [Post], [Put], [Patch], [Delete]):
//
//	api := dmr.New(dmr.Config{Title: "Shop", Prefix: "/api"})
//	users := api.Controller(dmr.ControllerConfig{Name: "UserController", Path: "/users/{id}/"})
//	dmr.Get(users, dmr.Operation{Summary: "Get a user"},
//		func(ctx context.Context, in *struct {
//			ID int `path:"id" minimum:"1"`
//		}) (*User, error) {
//			return findUser(ctx, in.ID)
//		})
//	mux.Handle("/api/", api)
//
// All reflection happens at registration. Registration errors (an
// unsupported field type, a body on GET, a path parameter without a field, a
// duplicate operationId, a status that cannot have a body…) panic at
// start-up with a message naming the endpoint; nothing is checked at request
// time that could have been checked before.
//
// # Input
//
// The input type is a struct whose fields name their source with a tag:
// `path:"id"`, `query:"page"`, `header:"X-API-Token"`, `cookie:"sessionid"`
// or `body:""` (the JSON body, any type). Scalars (strings, numbers,
// booleans, encoding.TextUnmarshaler types such as time.Time) are accepted
// in the path, query, headers and cookies; query and header fields may also
// be slices (repeated values).
//
// Requiredness: a parameter or body field is required unless it is a
// pointer, a slice parameter, has a `default` tag, or (body fields) has the
// json omitempty/omitzero option; `required:"true|false"` overrides.
// Constraint tags (minLength, maxLength — counted in Unicode code points —,
// pattern, minimum, maximum, exclusiveMinimum, exclusiveMaximum,
// multipleOf, enum, format, minItems, maxItems, uniqueItems) are enforced
// and appear in the document. `description`, `example` and `deprecated`
// only document.
//
// Every component is parsed and validated in one pass and every problem is
// reported at once, as 400 with locations named as Django Modern Rest names
// them and pydantic's wording:
//
//	{"detail":[{"msg":"Field required","loc":["parsed_headers","X-API-Token"],"type":"value_error"},
//	           {"msg":"String should have at most 10 characters","loc":["parsed_body","name"],"type":"value_error"}]}
//
// The body is decoded straight into the Go value (no intermediate map) and
// must be JSON (application/json or a +json type; an absent Content-Type is
// read as JSON). Other content types get 400 "Cannot parse request body with
// content type '…', expected=['application/json']". Bodies above
// Config.BodyLimit (1 MiB by default) get 413. JSON values must have the
// declared type (no "5" for an integer). Unknown object members are ignored
// by default, as pydantic does, or rejected with RejectUnknownFields.
//
// # Output
//
// The output type is either the body itself (a struct, a string, a slice…),
// or an envelope: a struct with fields tagged `body:""`, `status:""` (an
// int; zero means the default status), `header:"X-Name"` (scalars; a zero
// string or nil pointer means "not set") and `cookie:"name"`
// (*http.Cookie, or []*http.Cookie with `cookie:""`). The default status is
// 201 for POST and 200 otherwise (Operation.Status changes it). Nil slices
// and maps are written as [] and {}.
//
// # Order of checks
//
// Each request goes through: routing (404, 405 with Allow), the limiters
// keyed by client address (429; Config.Throttle and the controller's and
// endpoint's, see package throttle), the Accept check (406), the auths (401,
// 403, …; see package security), the limiters that need the user (429),
// parsing and validation (400, 413), the handler, response validation (422),
// the commit hooks, then the write. A panic in a handler is logged with log/slog and
// answered with 500 {"detail":[{"msg":"Internal server error","type":"internal_error"}]};
// so is any returned error that has no API form, except an infrastructure
// failure (apierror.IsUnavailable: a store down, locked or past its
// deadline), which answers 503 with Retry-After and is logged once per
// interval with a count.
//
// # Errors
//
// Handlers return *apierror.Error (or any error wrapping one, or an
// apierror.Coder such as a CSRF rejection or an interrupted session) for a
// fast exit with any status. Errors are rendered with the error model of the
// controller or API: by default [ErrorBody], documented as the ErrorModel
// and ErrorDetail schemas; Config.ErrorModel and ControllerConfig.ErrorModel
// replace it in the responses and in the document alike.
//
// # Response validation
//
// On by default, switchable per API, controller and endpoint ([Switch];
// "production mode" is Off). The status must be declared (the success
// status, Operation.Responses, and the semantic responses: 400 when the
// endpoint has input, 406, 422 while validating, and whatever the auths
// contribute), the body must satisfy its constraints, and required envelope
// headers and cookies must be set. A violation becomes 422 with every
// problem, for example
//
//	{"detail":[{"msg":"Returned status code 418 is not specified in the list of allowed status codes: [200, 422, 406]","type":"value_error"}]}
//
// Error responses are validated too: an undeclared error status becomes 422.
// The protocol-level answers 404, 405, 408, 413 and 500 are never validated
// nor listed per operation (408: the request body did not arrive before the
// connection's read deadline, which package bodytimeout sets). Headers and cookies a middleware sets after the
// endpoint (the session and CSRF cookies) are declared SetElsewhere:
// documented, not validated. When validation is off, 422 disappears from
// the document.
//
// # Commit hooks
//
// Middlewares that keep per-request state (sessions, CSRF) register hooks
// with package commit. Before writing any response, success or error, the
// API calls commit.Run(r.Context(), w.Header(), status) with the final
// header and status. If a hook fails, the API answers with that error's API
// form instead (apierror.As: an interrupted session becomes its 400, an
// error without an API form a logged 500), and the hooks do not run again.
//
// # Handlers and the request
//
// The ctx given to a handler derives from the request's context (after the
// winning auth's changes), so middleware values are visible; [Request]
// returns the *http.Request itself.
//
// # OpenAPI
//
// [API.Document] builds the OpenAPI 3.2 document once; [API.OpenAPIHandler]
// and [API.OpenAPI31Handler] serve it (and its 3.1.0 downgrade) from
// pre-rendered bytes, and [DocsHandler] serves a Swagger UI page for it.
// operationIds follow Django Modern Rest ([OperationID]) unless overridden,
// and must be unique. Every operation carries "deprecated". Schemas are named
// after the Go types (see package openapi).
//
// # Where this differs from Django Modern Rest
//
//   - Handlers are functions with typed input and output rather than
//     methods of a controller class; a controller is a value holding
//     configuration, not a type.
//   - JSON is strict about types (no numeric strings for numbers), like
//     msgspec rather than pydantic's lax mode.
//   - The 406 and JSON syntax messages are worded for Go.
//   - HEAD is not derived from GET, and there is no OPTIONS endpoint unless
//     registered, as in Django Modern Rest.
package dmr
