package dmr

import "net/http"

// Route returns the path template of the controller that serves r (for
// example "/api/users/{id}/"), chosen as ServeHTTP chooses it: the most
// specific route serving r's method, else the most specific route matching
// the path (the one a 405 names); "" when no controller matches. It changes
// nothing. Middlewares outside the API use it to name a request by its
// route, a bounded set, rather than by its raw path (metrics labels, logs).
func (a *API) Route(r *http.Request) string {
	path := r.URL.Path
	first := a.static[path]
	if first != nil && first.methods[r.Method] != nil {
		return first.path
	}
	var params [maxParams]string
	for _, rt := range a.dynamic {
		if !rt.matchPath(path, &params) {
			continue
		}
		if first == nil {
			first = rt
		}
		if rt.methods[r.Method] != nil {
			return rt.path
		}
	}
	if first == nil {
		return ""
	}
	return first.path
}
