// Package redisstore keeps sessions in Redis the way Django's cache and
// cached_db session backends do with Django's own
// django.core.cache.backends.redis.RedisCache (Django 4.0+) or with
// django-redis's django_redis.cache.RedisCache (Options.Format), so a Go
// service and a Django site can share them.
//
// # Format
//
// Keys are Django's cache keys: KEY_FUNCTION's default
// "<KEY_PREFIX>:<VERSION>:<key>" around "django.contrib.sessions.cache<session
// key>" ([Cache]) or "django.contrib.sessions.cached_db<session key>"
// ([CachedDB]), e.g. ":1:django.contrib.sessions.cacheabc…". The value is the
// session dict itself pickled as RedisCache writes it,
// pickle.dumps(dict, pickle.HIGHEST_PROTOCOL) — see package pickle, which
// reads only plain data and never instantiates anything. The TTL is the
// session's expiry age (we set it in milliseconds from Record.Expiry; Django
// sets whole seconds).
//
// # Formats
//
// [FormatDjango] (the default) is described above. [FormatDjangoRedis] is
// django-redis (checked against its 5.2, 5.4 and 7.0 releases) with its
// DefaultClient and PickleSerializer, as configured by default. It differs
// from Django's own RedisCache in exactly these points:
//
//   - Pickle protocol: pickle.DEFAULT_PROTOCOL (4 on Python 3.8 to 3.13)
//     instead of pickle.HIGHEST_PROTOCOL (5); see pickle.MarshalProtocol. We
//     write 4 and read both (OPTIONS["PICKLE_VERSION"] changes only what
//     Python writes).
//   - Compression: OPTIONS["COMPRESSOR"] =
//     "django_redis.compressors.zlib.ZlibCompressor" ([CompressorZlib]) stores
//     a pickle longer than 15 bytes as a zlib stream at level 6 (no marker,
//     just the stream, "x\x9c…"), shorter ones as they are; reading tries to
//     inflate and on failure unpickles the bytes as they are. Our deflate
//     output is not byte-identical to CPython's zlib, but each side inflates
//     the other's. The inflated size is bounded by MaxValueSize too.
//   - TTL: django-redis sets it in milliseconds (SET … PX), as we do; Django's
//     own RedisCache in whole seconds.
//
// The same in both: the key (django-redis uses Django's KEY_PREFIX, VERSION
// and KEY_FUNCTION, so the default is ":1:django.contrib.sessions.cache…"),
// and plain integers (not bools), which both store as decimal text and read
// back with int() before trying to unpickle; such a value is never a
// session and Load treats it as unusable. cache.add is SET NX in both.
// Django's own RedisCache has no compressor, so Options.Compressor requires
// FormatDjangoRedis. Other django-redis serializers (JSON, msgpack) and
// compressors (lz4, zstd, lzma, gzip) are not supported.
//
// # Cache ("django.contrib.sessions.backends.cache")
//
// Redis is the only copy. Create is SET … NX (Django's cache.add; a taken key
// is sessions.ErrKeyExists). Save is compare-and-swap in one Lua script: the
// stored bytes must still equal the Version the session was loaded with
// (sessions.ErrConflict otherwise); a missing key is sessions.ErrNotFound,
// Django's UpdateError. Django's own save is a blind SET after a GET, so
// Django's writes are detected by ours but not the other way round.
//
// # CachedDB ("django.contrib.sessions.backends.cached_db")
//
// The database ([dbstore.Store], Django's django_session table) is
// authoritative; Redis holds a pickled copy. Load reads the cache and falls
// back to the database, refilling the cache (TTL = the row's expire_date
// minus now), as Django does. Every write goes to the database first: Save
// is the database's compare-and-swap on session_data, then the cache entry is
// set to the new dict; when the save fails (conflict, session gone) the cache
// entry is deleted so the next Load reads the database. Delete removes the
// row, then the cache entry.
//
// A session loaded from the cache has no session_data text to compare with;
// its Version is the cached bytes, and Save then reads the row and compares
// the decoded row with the decoded cached dict (as Python dicts compare):
// equal means nobody changed the session since, and the row is updated with
// compare-and-swap on the text just read. So a stale cache entry can cause a
// conflict and a reload, never a lost update.
//
// Residual race (shared with Django): two writers that commit to the
// database in one order may refresh the cache in the other, leaving the
// older dict cached until the next write or its TTL. Writes stay correct
// (the stale copy fails the comparison above); reads may see the older dict
// meanwhile.
//
// # Invalidation (Track)
//
// A sessions.LocalCache in front of a Cache saves Redis a round trip per
// request, but alone it serves a session changed by another process (a
// logout in Django, which deletes the key) for up to its TTL. [Track] keeps
// it current with Redis's server-assisted client-side caching (Redis 6+):
// one dedicated connection, speaking RESP2, runs CLIENT ID, then CLIENT
// TRACKING ON REDIRECT <that id> BCAST PREFIX <the Redis key of the empty
// session key> NOLOOP, then SUBSCRIBE __redis__:invalidate. From then on
// Redis publishes on that connection every key under the prefix that any
// client writes, deletes, renames, expires or evicts, and the tracker
// evicts the session ([Cache.SessionKey] maps the key back; keys of other
// backends, prefixes or versions are ignored). A FLUSHALL or FLUSHDB (any
// database: tracking is per server) flushes the whole cache.
//
// The bound: a change made elsewhere is served from the cache for at most
// the time Redis takes to push one message to this process (about a
// millisecond on a local network), instead of the TTL, which stays as a
// safety net.
//
// Outages: [Tracker.Live] is false from the moment the connection fails (an
// error, or no answer to a PING sent after TrackingOptions.Heartbeat of
// silence, so a silently dead connection is noticed within two heartbeats)
// until the tracker has reconnected (backoff 50 ms doubling to
// MaxBackoff), turned tracking on again, resubscribed and flushed the
// cache. A LocalCache whose Live is Tracker.Live bypasses itself meanwhile:
// every Load reads Redis, so no change made during the outage is served
// stale. The window that remains is the time to notice a dead connection:
// immediate when Redis or the network closes it, up to two heartbeats when
// it vanishes silently. Redis also closes a subscriber that falls more than
// its client-output-buffer-limit for Pub/Sub behind; that is an outage like
// any other.
//
// Where tracking is unavailable (Redis before 6.0, a proxy or managed
// service that disables CLIENT TRACKING or Pub/Sub, an ACL that denies
// them) Track fails with [ErrTrackingUnavailable] and nothing evicts the
// cache: the staleness bound stays the LocalCache's TTL. Track needs one
// Redis server (a *redis.Client, or TrackingOptions.Redis); with Redis
// Cluster a node only reports its own keys, so it is not supported.
//
// # Concurrent writers
//
// Two requests that load one session and change different keys both survive:
// the second save gets sessions.ErrConflict, and the session layer reloads
// and re-applies its own changes. Two requests that change the same key: the
// later save wins (its value is re-applied on top of the first one's), as
// with any last-writer-wins store, but no other key is lost.
package redisstore
