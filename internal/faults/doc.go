// Package faults is the fault-injection suite of the example application
// (examples/sessionauth). It has no code of its own, only tests.
//
// The tests start their own servers on free ports in 18200–18299 and stop
// only those: a PostgreSQL cluster made with initdb in a temporary directory
// (run as the postgres user when the tests run as root, since PostgreSQL
// refuses to run as root), a redis-server with an append-only file, and a
// second SQLite connection holding the write lock. They never touch the
// shared services on 5432, 6379 or 3306. The example is built once and run
// as a separate process with DMR_DB_TIMEOUT=1s and the session and user cache
// off, so that every request reaches the stores.
//
// Each case injects a fault (stop, freeze with SIGSTOP, restart, lock) and
// checks what the issue asks for:
//
//   - statuses: 503 with Retry-After in the error model, never 500 nor
//     text/plain, on the protected endpoints, the login, the logout and the
//     CSRF endpoint (or a success where the store is not needed);
//   - bounds: every answer within the store deadline plus slack;
//   - recovery: without restarting the application, requests succeed again
//     within 3 s of the store's return;
//   - nothing acknowledged lost: notes created with a 2xx before the fault
//     are all there afterwards, and a logout acknowledged while Redis was down
//     is not undone by a stale cache entry when it comes back (cached_db);
//   - logs: a burst of failures logs a few rate-limited lines, not one per
//     request.
//
// The servers' binaries are found in /usr/lib/postgresql/*/bin and on PATH;
// without them the tests skip, or fail under DMR_TEST_REQUIRE_ALL=1
// (internal/testenv).
package faults
