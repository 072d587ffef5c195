// Package fakeredis is a RESP2 server for tests that need a Redis which
// answers as no real one on the machine would: one that refuses CLIENT
// TRACKING, sends FLUSHALL invalidations, or is a proxy. Tests that can use
// the real Redis do; this is for the replies that cannot be provoked there
// without reconfiguring a shared server.
package fakeredis
