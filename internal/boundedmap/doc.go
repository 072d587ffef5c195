// Package boundedmap is a string-keyed map that never holds more than a
// fixed number of entries, safe for concurrent use: when a part is full, an
// arbitrary entry (the first of Go's randomised map iteration) makes room.
// It suits memos whose entries are all equally cheap to lose, where the cost
// of a miss is one recomputation and an LRU's bookkeeping on every hit would
// cost more than it saves. Entries are split over independently locked
// shards by a seeded hash of the key; the bound is per shard, so a map of
// max entries over n shards holds at most n·⌈max/n⌉.
package boundedmap
