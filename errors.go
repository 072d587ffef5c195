package dmr

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/dmr-go/dmr/apierror"
)

// ErrorBody is the default error model:
//
//	{"detail":[{"msg":"…","loc":["parsed_body","age"],"type":"value_error"}]}
//
// It is documented as the ErrorModel and ErrorDetail schemas, the same shape
// Django Modern Rest publishes.
type ErrorBody struct {
	Detail []apierror.Detail `json:"detail"`
}

// SchemaName names the schema "ErrorModel".
func (ErrorBody) SchemaName() string { return "ErrorModel" }

// SchemaDescription describes the schema.
func (ErrorBody) SchemaDescription() string {
	return "Default error response schema.\n\nEvery error of the API has this shape unless a custom error model is configured."
}

// DefaultErrorModel returns the error model used when none is configured.
func DefaultErrorModel() *ErrorModel {
	return &ErrorModel{
		Body:   ErrorBody{},
		Format: func(e *apierror.Error) any { return ErrorBody{Detail: e.Details} },
	}
}

// Messages of the protocol-level errors.
const (
	msgNotFound       = "Page not found"
	descBadRequest    = "Raised when request components cannot be parsed"
	descNotAcceptable = "Raised when provided `Accept` header cannot be satisfied"
	descValidation    = "Raised when returned response does not match the response schema"
)

func errNotFound() *apierror.Error {
	return apierror.New(http.StatusNotFound, msgNotFound, apierror.TypeNotFound)
}

func errInternal() *apierror.Error { return apierror.Internal() }

// errMethodNotAllowed is Django Modern Rest's 405, with Allow.
func errMethodNotAllowed(method string, allowed []string) *apierror.Error {
	var b strings.Builder
	b.WriteByte('[')
	for i, m := range allowed {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("'" + m + "'")
	}
	b.WriteByte(']')
	e := apierror.New(http.StatusMethodNotAllowed,
		fmt.Sprintf("Method '%s' is not allowed, allowed: %s", method, b.String()), apierror.TypeNotAllowed)
	return e.WithHeader("Allow", strings.Join(allowed, ", "))
}

func errTooLarge(limit int64) *apierror.Error {
	return apierror.New(http.StatusRequestEntityTooLarge,
		fmt.Sprintf("Request body is too large: the limit is %d bytes", limit), apierror.TypeValueError)
}

// errUndeclaredStatus is the 422 for a status the endpoint does not declare.
func errUndeclaredStatus(status int, declared []int) *apierror.Error {
	var b strings.Builder
	b.WriteByte('[')
	for i, s := range declared {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprint(&b, s)
	}
	b.WriteByte(']')
	return apierror.New(http.StatusUnprocessableEntity,
		fmt.Sprintf("Returned status code %d is not specified in the list of allowed status codes: %s", status, b.String()),
		apierror.TypeValueError)
}

// errBodyTimeout is the 408 for a request body that did not arrive within
// the read deadline (a slow or stalled client; see package bodytimeout).
func errBodyTimeout() *apierror.Error {
	return apierror.New(http.StatusRequestTimeout, "Request body was not received in time", apierror.TypeValueError)
}

// bypassesValidation reports whether status is a protocol-level answer that
// is never validated nor listed per operation.
func bypassesValidation(status int) bool {
	switch status {
	case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusRequestTimeout, http.StatusRequestEntityTooLarge, http.StatusInternalServerError:
		return true
	}
	return false
}

// errNotAcceptable is the 406 for an Accept header that excludes JSON.
func errNotAcceptable(accept []string) *apierror.Error {
	var b strings.Builder
	b.WriteByte('[')
	n := 0
	for _, v := range accept {
		for part := range strings.SplitSeq(v, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			if n > 0 {
				b.WriteString(", ")
			}
			n++
			b.WriteString("'" + part + "'")
		}
	}
	b.WriteByte(']')
	return apierror.New(http.StatusNotAcceptable,
		fmt.Sprintf("Cannot serialize response body with accepted types %s, supported=['application/json']", b.String()),
		apierror.TypeValueError)
}
