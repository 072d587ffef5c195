// Package health serves the two probes an orchestrator or load balancer
// asks a server: is the process alive (Live, GET /healthz) and can it serve
// traffic now (Ready, GET /readyz).
//
// Live answers 200 {"status":"ok"} as long as the process handles HTTP at
// all; it touches nothing else, so a slow database never gets a healthy
// process restarted.
//
// Ready runs every configured Check (a database ping, a Redis ping, anything
// with a Check(ctx) error method) concurrently, each under its own deadline,
// and answers 200 {"status":"ok","checks":{"database":"ok",…}} when all of
// them succeed in time, else 503 with Retry-After in the error model, one
// detail per failed check naming it:
//
//	{"detail":[{"msg":"database did not answer within 2s","loc":["checks","database"],"type":"unavailable"}]}
//
// The error itself is logged, not shown: the probe is usually reachable by
// anyone, and driver errors carry host names and addresses. Concurrent
// probes share one run of the checks, so a burst of /readyz requests costs
// the database one ping, not one per request.
//
// DB and Redis adapt a *sql.DB and a go-redis client. Both handlers answer
// GET and HEAD (mount them with a "GET /healthz" pattern, which covers HEAD)
// with Cache-Control: no-store.
package health
