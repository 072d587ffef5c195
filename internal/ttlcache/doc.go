// Package ttlcache is the small in-process cache behind the session and user
// caches: entries live for a fixed time to live, the number of entries is
// bounded, and an invalidation is never undone by a load that raced with it.
//
// The race it closes: a reader misses, loads the old value from the
// database, a writer changes the row and invalidates the key, then the reader
// stores the old value it loaded. Readers therefore take a generation number
// (Gen) before loading and store with PutIfGen, which refuses when any key was
// invalidated since. Writes are rare next to reads (logins, logouts, password
// changes), so a global generation costs little and keeps the map free of
// tombstones.
package ttlcache
