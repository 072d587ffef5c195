package dmr

import (
	"log/slog"

	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/openapi"
	"github.com/dmr-go/dmr/security"
)

// DefaultBodyLimit is the request body size limit when none is configured.
const DefaultBodyLimit = 1 << 20

// Switch is a setting that a lower level (controller, endpoint) may leave to
// the level above (Inherit) or force On or Off.
type Switch uint8

// Switch values.
const (
	Inherit Switch = iota
	On
	Off
)

func (s Switch) resolve(levels ...Switch) bool {
	v := s
	for _, l := range levels {
		if l != Inherit {
			v = l
		}
	}
	return v != Off
}

// UnknownFields says what happens to JSON object members that the body type
// does not declare.
type UnknownFields uint8

// UnknownFields values.
const (
	// InheritUnknownFields leaves the choice to the level above; at the API
	// level it means IgnoreUnknownFields.
	InheritUnknownFields UnknownFields = iota
	// IgnoreUnknownFields skips them, as pydantic and Django Modern Rest do by
	// default, so clients may send more than a given version declares.
	IgnoreUnknownFields
	// RejectUnknownFields fails with 400 "Extra inputs are not permitted"
	// and documents "additionalProperties": false.
	RejectUnknownFields
)

// Config configures an [API]. The zero value works: JSON in and out, response
// validation on, 1 MiB body limit, unknown body fields ignored, no auth.
type Config struct {
	// Title, Version and Description fill the document's info object.
	// Title defaults to "API" and Version to "0.1.0".
	Title       string
	Version     string
	Description string
	// Servers are written to the document.
	Servers []openapi.Server

	// Prefix is where the API's handler is mounted, for example "/api". Every
	// controller path is appended to it. The handler answers 404 for paths
	// under the prefix that no controller serves.
	Prefix string

	// Auth applies to every endpoint, after the endpoint's and controller's
	// own auths. See package security.
	Auth []security.Auth
	// Throttle applies to every endpoint, after the endpoint's and
	// controller's own limiters (all of them apply). See package throttle.
	Throttle []security.Limiter
	// ErrorModel replaces the default {"detail":[…]} error body.
	ErrorModel *ErrorModel
	// ValidateResponses checks every response against its declaration (422
	// otherwise). It is on unless set to Off ("production mode").
	ValidateResponses Switch
	// BodyLimit is the largest request body accepted, in bytes (413
	// otherwise). Zero means DefaultBodyLimit; negative means no limit.
	BodyLimit int64
	// UnknownFields defaults to IgnoreUnknownFields.
	UnknownFields UnknownFields
	// Logger receives panics and unexpected handler errors. Defaults to
	// slog.Default().
	Logger *slog.Logger
	// Responses are added to every endpoint's declared responses.
	Responses []Response
	// Tags are written to the document's tags list.
	Tags []openapi.Tag
	// NamedSetCookieKeys documents each cookie a response sets as its own
	// response header named "Set-Cookie: <name>", byte for byte as Django
	// Modern Rest writes its documents. Such keys are not header names:
	// client generators (ogen) and validating proxies (Prism) refuse them.
	// By default the cookies are documented under one "Set-Cookie" header
	// whose description names each of them.
	NamedSetCookieKeys bool
}

// ControllerConfig configures a [Controller]: a named group of endpoints
// served at one path.
type ControllerConfig struct {
	// Name feeds the generated operationIds (for example "APIController").
	Name string
	// Path is appended to the API prefix, for example "/users/{id}/". Path
	// parameters are written {name} and match one non-empty segment.
	Path string
	// Summary and Description document the path item.
	Summary     string
	Description string
	// Tags are added to every operation of the controller.
	Tags []string

	// Auth is tried after the endpoint's own auths and before the API's.
	Auth []security.Auth
	// NoAuth disables every auth (API, controller and endpoint levels) for
	// the controller's endpoints.
	NoAuth bool
	// Throttle applies after the endpoint's own limiters and before the
	// API's; NoThrottle disables every level's for the controller.
	Throttle   []security.Limiter
	NoThrottle bool
	// ErrorModel overrides the API's error model for this controller.
	ErrorModel        *ErrorModel
	ValidateResponses Switch
	UnknownFields     UnknownFields
	// Responses are added to every endpoint of the controller.
	Responses []Response
}

// Operation describes one endpoint.
type Operation struct {
	// OperationID overrides the generated operationId.
	OperationID string
	Summary     string
	Description string
	Tags        []string
	Deprecated  bool
	// Hidden keeps the endpoint out of the document (it still serves).
	Hidden bool

	// Status is the success status. Defaults to 201 for POST, 200 otherwise.
	// An output with a `status` field may return other declared statuses.
	Status int
	// ResponseDescription describes the success response; defaults to the
	// status text ("OK", "Created").
	ResponseDescription string
	// Headers and Cookies document the success response's headers and
	// cookies beyond those of the output type, typically the ones a
	// middleware sets (mark them SetElsewhere).
	Headers []Header
	Cookies []Cookie
	// Responses are the other statuses the handler may answer with (errors
	// it returns, alternative successes).
	Responses []Response

	// Auth is tried before the controller's and the API's auths.
	Auth []security.Auth
	// NoAuth disables every auth for this endpoint.
	NoAuth bool
	// Throttle applies before the controller's and the API's limiters (all
	// of them apply); NoThrottle disables every level's for this endpoint.
	Throttle          []security.Limiter
	NoThrottle        bool
	ValidateResponses Switch
	UnknownFields     UnknownFields
}

// Response declares a response an endpoint may answer with.
type Response struct {
	Status int
	// Description defaults to the status text.
	Description string
	// Body is a value whose type gives the content schema. nil means the
	// error model for statuses >= 400 and no content otherwise.
	Body any
	// NoContent declares a response without a body even for an error status.
	NoContent bool
	Headers   []Header
	Cookies   []Cookie
}

// Header documents a response header.
type Header struct {
	Name        string
	Description string
	// Optional marks a header the response may lack. Headers are required
	// by default, as in Django Modern Rest.
	Optional bool
	// SetElsewhere marks a header that a middleware adds after the endpoint
	// has answered: it is documented but never validated.
	SetElsewhere bool
}

// Cookie documents a cookie set by a response. It appears in the document
// under the response's "Set-Cookie" header, or as a header named
// "Set-Cookie: <name>" (as Django Modern Rest writes it) with
// [Config.NamedSetCookieKeys].
type Cookie struct {
	Name        string
	Description string
	Optional    bool
	// SetElsewhere marks a cookie that a middleware sets (the session and
	// CSRF cookies): documented, never validated.
	SetElsewhere bool
}

// ErrorModel is the shape of every error body of an API or controller.
type ErrorModel struct {
	// Body is a value of the Go type errors are rendered to; its schema is
	// referenced by every error response in the document.
	Body any
	// Format renders an error. It must return a value of Body's type.
	Format func(e *apierror.Error) any
}
