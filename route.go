package dmr

import "net/http"

// Route returns the path template of the controller that serves r's path
// (for example "/api/users/{id}/"), or "" when no controller does. It ignores
// the method and changes nothing. Middlewares outside the API use it to name
// a request by its route, a bounded set, rather than by its raw path (metrics
// labels, logs).
func (a *API) Route(r *http.Request) string {
	var params [maxParams]string
	if rt := a.match(r.URL.Path, &params); rt != nil {
		return rt.path
	}
	return ""
}
