package throttle

import (
	"context"
	"net/netip"
	"time"
)

// Algorithm is how a [Rule] counts.
type Algorithm uint8

// The algorithms.
const (
	// FixedWindow counts requests in windows of Rule.Period that start at a
	// key's first request: Rule.Limit are allowed per window, and the count
	// starts again when the window ends. A client may send up to twice the
	// limit across a window boundary.
	FixedWindow Algorithm = iota
	// TokenBucket is a bucket of Rule.Burst tokens refilled at Rule.Limit
	// per Rule.Period, implemented as GCRA (one timestamp per key): bursts
	// up to Burst, then requests evenly spaced.
	TokenBucket
)

func (a Algorithm) String() string {
	if a == TokenBucket {
		return "token_bucket"
	}
	return "fixed_window"
}

// Rule is one limit, as a [Store] applies it.
type Rule struct {
	Algorithm Algorithm
	// Limit requests per Period.
	Limit  int64
	Period time.Duration
	// Burst is the token bucket's capacity; zero means Limit. Fixed
	// windows ignore it.
	Burst int64
}

// quota is the number of requests a fresh key may make at once.
func (r Rule) quota() int64 {
	if r.Algorithm == TokenBucket && r.Burst > 0 {
		return r.Burst
	}
	return r.Limit
}

// interval is the token bucket's emission interval (Period / Limit), at
// least unit.
func (r Rule) interval(unit time.Duration) time.Duration {
	if r.Limit <= 0 {
		return r.Period
	}
	iv := r.Period / time.Duration(r.Limit)
	return max(iv, unit)
}

// Key identifies what a rule counts: one client, user or credential under
// one policy. It is comparable and built without allocating.
type Key struct {
	// Scope is the policy's name; the same client counts separately under
	// each policy.
	Scope string
	// IP is the client's address when ID is empty (IPv6 addresses by their
	// /64 prefix).
	IP netip.Addr
	// ID, when set, replaces IP: "u:" and a user's id, or "c:" and a
	// credential's digest.
	ID string
}

// Decision is a [Store]'s answer for one request.
type Decision struct {
	Allowed bool
	// Quota is the requests a fresh key may make at once: the rule's
	// Limit, or its Burst for a token bucket (RateLimit-Policy's q).
	Quota int64
	// Remaining is how many more requests would be allowed now.
	Remaining int64
	// Reset is how long until the quota is whole again: the end of the
	// window, or the time the bucket needs to fill up.
	Reset time.Duration
	// RetryAfter, for a refused request, is how long until one would be
	// allowed.
	RetryAfter time.Duration
}

// Store counts requests. Take counts one request under key and decides it
// by rule, atomically: concurrent Takes (from several processes, for a
// shared store) never admit more than the rule allows. A store must be
// safe for concurrent use. The rule of one key must not change between
// calls, except that a changed rule may misjudge keys counted before.
type Store interface {
	Take(ctx context.Context, key Key, rule Rule) (Decision, error)
}
