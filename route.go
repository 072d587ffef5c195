package dmr

import (
	"net/http"

	"github.com/dmr-go/dmr/internal/reqstate"
)

// Route returns the path template of the controller that serves r (for
// example "/api/users/{id}/"), chosen as ServeHTTP chooses it: the most
// specific route serving r's method, else the most specific route matching
// the path (the one a 405 names); "" when no controller matches. It changes
// nothing. Middlewares outside the API use it to name a request by its
// route, a bounded set, rather than by its raw path (metrics labels, logs).
//
// Called after the request was served, with a request whose context a
// middleware prepared with [PrepareRoute], it reads the route ServeHTTP
// found instead of matching the path again.
func (a *API) Route(r *http.Request) string {
	if rt, ok := reqstate.Get(r.Context(), reqstate.Route).(*route); ok && rt.ctrl.api == a {
		return rt.path
	}
	var params [maxParams]string
	if rt, _ := a.lookup(r.URL.Path, r.Method, &params); rt != nil {
		return rt.path
	}
	return ""
}

// PrepareRoute returns r ready to remember the route the API serves it with,
// for [API.Route] called after the fact by a middleware outside the API (as
// a metrics middleware labels a request once it is answered): pass the
// returned request on. It costs one context value when nothing in the
// chain prepared per-request state yet, and nothing otherwise.
func PrepareRoute(r *http.Request) *http.Request {
	_, r = reqstate.Ensure(r)
	return r
}
