package dmr

import (
	"context"
	"net/http"

	"github.com/dmr-go/dmr/internal/reqstate"
)

// Request returns the *http.Request of the endpoint call ctx belongs to, or
// nil when ctx does not come from an endpoint. Handlers use it to reach what
// the typed input does not carry (r.TLS, r.RemoteAddr, the raw header).
//
// The request is the one the winning auth returned, so its context carries
// the middlewares' and the auth's values.
func Request(ctx context.Context) *http.Request {
	r, _ := reqstate.Get(ctx, reqstate.Request).(*http.Request)
	return r
}

// withRequest returns the context of the endpoint call for r.
func withRequest(r *http.Request) context.Context {
	return reqstate.Set(r, reqstate.Request, r).Context()
}
