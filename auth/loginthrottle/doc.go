// Package loginthrottle limits failed logins, as django-axes does for
// Django: after too many failed attempts within a cool-off, further attempts
// are refused with 429 Too Many Requests and a Retry-After header — even
// with the right password — until the cool-off ends.
//
// # Threat model
//
// It slows down online password guessing against the login endpoint and
// keeps a guessing flood from spending the server's CPU on password hashes:
//
//   - one client guessing one account's password: counted per (client IP,
//     username), refused after [Options.FailureLimit] failures;
//   - one client trying many accounts (password spraying, user
//     enumeration): counted per client IP over all usernames, refused after
//     [Options.IPFailureLimit] failures;
//   - every refusal is decided from the counters alone, before the
//     credentials are authenticated, so a refused attempt costs no password
//     hash and its answer does not depend on the password (only the failure
//     that reaches a limit has been checked, and is answered 429 anyway);
//   - the counters live in a [Store] shared by every instance of the
//     service (a database table or Redis), so adding instances does not add
//     guesses, and expire by themselves.
//
// It does not stop a distributed attack from many addresses against one
// account beyond what the per-(IP, username) limit allows each address: a
// per-account lock (axes' "username" lockout parameter) would let anyone
// lock any user out, so it is deliberately not offered. It does not replace
// network-level rate limiting of a denial-of-service flood either: counting
// costs a store round trip per attempt.
//
// The client IP is the one securityheaders.Trust.ClientIP reports, so it
// honours the same trusted-proxy settings as the rest of the stack; behind a
// proxy that is not configured there, every client shares the proxy's
// address and the per-IP limit applies to all of them together. IPv6
// addresses are counted per /64 prefix, since one host usually holds a whole
// /64 and could otherwise pick a fresh address for every attempt.
//
// # Counting, as django-axes does
//
// An attempt is refused when a counter has reached its limit ("locked once
// failures ≥ limit"); the failure that reaches the limit is itself answered
// 429, as in axes. Each failure restarts its counters' cool-off (axes keeps
// the time of the latest attempt and forgets attempts older than the
// cool-off), so a lock ends one cool-off after the last counted failure.
// Refused attempts are not counted: they do not extend the lock.
//
// Unlike axes, an admitted attempt is counted when it starts, as a failure
// until it succeeds ([Throttle.Begin], then [Throttle.Failed] or
// [Throttle.Succeeded]): a flood whose attempts queue for the hashing pool
// is throttled after the limit however slowly its passwords are checked,
// and attempts that end in an error (hashing busy, a store down) stay
// counted. A success takes its attempt back out of the counters, but the
// cool-off restart it caused stays.
//
// Usernames are compared as NFKC-normalised, lower-cased text. The login
// itself compares usernames exactly against names stored NFKC-normalised
// (Django's normalize_username); on MySQL with a *_ci collation it also
// ignores case. The throttle's comparison is never finer than any of these,
// so no spelling of a username gets a budget of its own; it is coarser only
// for the same client IP. Usernames are stored hashed (SHA-256), so the
// counters hold no typed-in names and keys stay short whatever is sent.
//
// # Deliberate differences from django-axes
//
//   - axes locks per IP by default (AXES_LOCKOUT_PARAMETERS ["ip_address"])
//     with 3 failures and no cool-off (locked until an admin resets it);
//     here both the (IP, username) and the IP counters apply, with
//     [DefaultFailureLimit], [DefaultIPFailureLimit] and a [DefaultCoolOff]
//     that always ends, so nobody needs an admin to get back in.
//   - axes keeps failures on success unless AXES_RESET_ON_SUCCESS is set;
//     here a successful login resets its (IP, username) counter by default
//     (Options.KeepOnSuccess turns that off), as AXES_RESET_ON_SUCCESS does.
//     The per-IP counter is never reset by a success: an attacker owning one
//     account must not be able to clear the count of their sprayed guesses by
//     logging in to it.
//   - the answer is 429 in the API's error model, type "ratelimit", with
//     axes' message and a Retry-After header (whole seconds left of the
//     cool-off), instead of axes' template or redirect.
//   - a store that fails makes the attempt fail (the error is returned, and
//     answered as the store's failure): the throttle fails closed rather
//     than allowing unlimited guesses while its counters are unreachable.
//
// # Stores
//
// [MemoryStore] keeps the counters in the process (one instance, or tests);
// [SQLStore] in the dmr_login_failure table of SQLite or PostgreSQL, created
// by [SQLStore.CreateTable] (written so that another SQL dialect is one more
// case); [RedisStore] in Redis keys updated atomically (INCR and PEXPIRE in
// one Lua script) that Redis expires itself.
package loginthrottle
