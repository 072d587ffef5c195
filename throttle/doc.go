// Package throttle limits how often clients may call an API's endpoints, as
// Django REST framework's throttles and Django Modern Rest's throttling do:
// per client address, per user or per credential, with a fixed window or a
// token bucket, counted in memory or in Redis. A request over a limit is
// answered 429 in the API's error model,
//
//	{"detail":[{"msg":"Too many requests","type":"ratelimit"}]}
//
// with Retry-After (whole seconds, at least 1) and the RateLimit and
// RateLimit-Policy fields of draft-ietf-httpapi-ratelimit-headers-10
// (structured fields: RateLimit-Policy: "anon";q=100;w=60 and
// RateLimit: "anon";r=42;t=18), which successful responses carry too.
//
// # Use
//
// A [Limiter] is a security.Limiter: attach it to an API
// (dmr.Config.Throttle), a controller or an endpoint; every level's
// limiters apply. [Anon] and [User] are DRF's AnonRateThrottle and
// UserRateThrottle; [New] builds any other. [ParseRate] reads DRF's rate
// strings ("100/min", "1000/day").
//
// # When a limiter runs
//
// As in Django Modern Rest, a limiter keyed by client address only runs
// before everything else (before the Accept check and the auths), so a
// flood is refused before it costs a session lookup or a password hash. A
// limiter that needs to know the user (ByUser, ByCredential, AnonOnly) runs
// after the endpoint's auths have accepted the request; requests that the
// auths refuse (401, 403) are not counted by it.
//
// # Threat model
//
//   - Spoofed addresses: the client address is the connection's peer
//     unless a trusted-proxy header is configured in Options.Trust (the same
//     securityheaders.Trust the CSRF and security header middlewares use,
//     which takes the ProxyCount-th address from the right of that header,
//     never one the client wrote). Never configure a header that clients can
//     reach directly: they would pick a fresh address per request. IPv6
//     addresses are counted per /64, since one host usually holds a whole
//     /64.
//   - Memory exhaustion: a [MemoryStore] holds at most MemoryOptions.MaxKeys
//     keys; when full, a new key evicts an expired one or the one expiring
//     soonest among a few sampled. A flood from very many addresses can
//     thus make the store forget some counts (it limits less, never more),
//     but never grow without bound. [RedisStore] keys expire by themselves
//     when their window ends or their bucket refills.
//   - Several instances: counts in memory are per process (a client gets
//     the limit once per instance); a [RedisStore] shares them. Each
//     decision is one Lua script, atomic in Redis, so concurrent requests
//     on any instance never admit more than the limit.
//   - Clock skew: a RedisStore uses Redis's clock only (key expiry, and
//     TIME inside the token bucket's script), never the instances' clocks.
//   - Credentials: ByCredential keeps only a SHA-256 digest of the
//     credential, so keys hold no secret; it runs after the auths so a
//     client cannot burn another credential's budget with garbage.
//
// # When the store fails
//
// By default a limiter fails open: when its store cannot answer (Redis
// down), the request goes through unlimited and the failure is logged at
// most once per 10 s. Rate limiting protects capacity and fairness; an API
// next to a Django site should not go down with the Redis that counts for
// it, and the security-critical limit — failed logins — is
// auth/loginthrottle's, which fails closed. Options.FailClosed answers 503
// with Retry-After instead (apierror.ErrUnavailable), for APIs where an
// unlimited client is worse than an outage; the document then lists the
// 503 as well. The Redis client's own timeouts bound the wait (manage's
// client: 100 ms).
//
// # Differences from Django REST framework
//
// DRF keeps a sliding log of request times per key in the cache; here the
// algorithms are a fixed window (one counter, the default) or a token bucket
// (GCRA: one timestamp), so a key costs a few bytes and Redis answers in one
// round trip. DRF's message "Request was throttled. Expected available in N
// seconds." is Django Modern Rest's "Too many requests" here, with the wait
// in Retry-After.
package throttle
