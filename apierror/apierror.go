package apierror

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Well-known values of [Detail.Type], as used by Django Modern Rest.
const (
	TypeValueError    = "value_error"
	TypeInternalError = "internal_error"
	TypeNotAllowed    = "not_allowed"
	TypeSecurity      = "security"
	TypeRateLimit     = "ratelimit"
	TypeUserMsg       = "user_msg"
	TypeNotFound      = "not_found"
)

// Detail is one entry of the error model's "detail" list.
//
// Loc elements are strings or ints (path segments and list indexes).
type Detail struct {
	Msg  string `json:"msg"`
	Loc  []any  `json:"loc,omitempty"`
	Type string `json:"type,omitempty"`
}

// Error is an API error: an HTTP status with one or more details, and optional
// extra response headers (for example Allow or Retry-After).
//
// Handlers return it (or any error wrapping it) for a fast exit with any status.
// The API layer renders it with the error model of the endpoint, and validates the
// status against the endpoint's declared responses like any other response.
type Error struct {
	Status  int
	Details []Detail
	Header  http.Header
	// Err is the underlying cause, if any; it is never shown to clients.
	Err error
}

// New returns an Error with one detail.
func New(status int, msg, typ string) *Error {
	return &Error{Status: status, Details: []Detail{{Msg: msg, Type: typ}}}
}

// Newf is New with a formatted message and no type.
func Newf(status int, format string, args ...any) *Error {
	return &Error{Status: status, Details: []Detail{{Msg: fmt.Sprintf(format, args...)}}}
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s", e.Status, http.StatusText(e.Status))
	for i, d := range e.Details {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(d.Msg)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// WithHeader returns e after adding a response header to it.
func (e *Error) WithHeader(key, value string) *Error {
	if e.Header == nil {
		e.Header = http.Header{}
	}
	e.Header.Add(key, value)
	return e
}

// Coder is implemented by errors that know how they should be answered over
// HTTP, such as a CSRF rejection, an interrupted session or a busy password
// hasher. The standalone packages implement it; the API layer calls it.
type Coder interface {
	error
	APIError() *Error
}

// As finds the first error in err's chain that is an *Error or a [Coder] and
// returns its API form. It returns nil, false when there is none.
func As(err error) (*Error, bool) {
	for e := err; e != nil; {
		switch v := e.(type) {
		case *Error:
			return v, true
		case Coder:
			return v.APIError(), true
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			e = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, inner := range u.Unwrap() {
				if ae, ok := As(inner); ok {
					return ae, true
				}
			}
			return nil, false
		default:
			return nil, false
		}
	}
	return nil, false
}

// Internal returns the 500 answer to an error that has no API form:
// {"detail":[{"msg":"Internal server error","type":"internal_error"}]}. The
// cause is logged, never shown.
func Internal() *Error {
	return New(http.StatusInternalServerError, "Internal server error", TypeInternalError)
}

// Write answers e on a plain net/http writer in the default error model,
// {"detail":[{"msg":…,"loc":…,"type":…}]}, with e's headers. Middlewares that
// fail outside an API layer (which renders errors with its configured model)
// use it, so that every failure stays in the error model.
func Write(w http.ResponseWriter, e *Error) {
	h := w.Header()
	for k, v := range e.Header {
		h[k] = append(h[k][:0:0], v...)
	}
	details := e.Details
	if details == nil {
		details = []Detail{}
	}
	body, err := json.Marshal(struct {
		Detail []Detail `json:"detail"`
	}{details})
	if err != nil { // a Loc element json cannot encode
		body = []byte(`{"detail":[{"msg":"Internal server error","type":"internal_error"}]}`)
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Del("Content-Encoding")
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}
