// Package redisfail tells which go-redis errors mean that Redis is down,
// unreachable, too slow or not ready — an infrastructure failure the API
// answers with 503 and Retry-After (apierror.ErrUnavailable) — as opposed to
// an answer (redis.Nil, a script error) the caller handles itself.
//
// The session stores (sessions/redisstore) and the rate limiter's Redis store
// (throttle) share it, so that one Redis outage is classified the same way
// wherever it is met.
package redisfail
