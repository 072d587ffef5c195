// Package commit lets middlewares that keep per-request state (the session, the
// CSRF token) write that state out just before the response header is sent, by
// whoever sends it.
//
// Django saves the session after the view has built its whole response. A Go
// handler writes as it goes, so the moment must be chosen explicitly: a middleware
// registers a [Func] on the request with [Register]; whoever is about to send the
// header (the API layer, which knows the final status, or the thin
// [ResponseWriter] wrapper for plain net/http handlers) calls [Run] exactly once.
//
// Funcs run in reverse order of registration (the innermost middleware first), so
// a CSRF middleware placed inside the session middleware stores a rotated token in
// the session before the session is saved. Each Func runs at most once per
// request; a second Run is a no-op that returns the first Run's error.
//
// A Func may add headers (Set-Cookie, Vary) and may fail; a failure that
// implements apierror.Coder (such as an interrupted session) tells the caller
// which error response to send instead.
package commit
