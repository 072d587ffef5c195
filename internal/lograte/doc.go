// Package lograte logs bursts of one failure once per interval with a count,
// instead of once per request: when a store is down, every request fails the
// same way, and one line per second saying how many did is more useful than
// thousands of identical lines.
//
// A [Limiter] is a value owned by whoever logs (a middleware, an API); it
// keeps one small entry per key (the message) and needs no goroutine: the
// count of what was held back is written with the next occurrence after the
// interval.
package lograte
