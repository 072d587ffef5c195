package dmr

import "net/http"

// Route returns the path template of the controller that serves r (for
// example "/api/users/{id}/"), chosen as ServeHTTP chooses it: the most
// specific route serving r's method, else the most specific route matching
// the path (the one a 405 names); "" when no controller matches. It changes
// nothing. Middlewares outside the API use it to name a request by its
// route, a bounded set, rather than by its raw path (metrics labels, logs).
func (a *API) Route(r *http.Request) string {
	var params [maxParams]string
	if rt, _ := a.lookup(r.URL.Path, r.Method, &params); rt != nil {
		return rt.path
	}
	return ""
}
