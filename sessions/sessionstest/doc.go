// Package sessionstest is the conformance suite for sessions.Store
// implementations, in the spirit of testing/fstest: a store's own test calls
// [Run] with a function that makes a fresh store, and the suite checks the
// whole contract the session middleware relies on (create, load, compare-and-
// swap save, delete, expiry, concurrent writers, requests through the
// middleware). Every store in this module runs it; a third-party store (MySQL,
// another cache) should too.
package sessionstest
