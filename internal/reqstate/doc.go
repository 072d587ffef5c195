// Package reqstate keeps the per-request values of this module's middlewares
// in one context value.
//
// The session middleware, the CSRF middleware, the auth middleware, the
// commit list and the API layer each attach a value to the request. Done one
// context value at a time, every middleware pays a context.WithValue and a
// copy of the *http.Request (about 300 bytes) per request, which on a cached,
// session-authenticated GET was a third of everything the stack allocated.
// Here the first middleware makes one [State] (one context value, one request
// copy) and the others fill its slots in place.
//
// The semantics of separate context values are kept where they are visible:
//   - a slot is filled in place only while it is empty; setting a taken slot
//     (the same middleware twice in one chain, or NewContext-style helpers
//     called on a context that already has the value) derives a child State,
//     so code holding the outer context keeps seeing the outer value;
//   - [With] always derives, for public helpers that return a new context.
//
// Child states share their parent's commit list, as nested calls of
// commit.Register always shared one list.
//
// Slots are written only while a middleware sets up the request, before the
// next handler runs, so reads from the handler and from goroutines it starts
// need no lock.
package reqstate
