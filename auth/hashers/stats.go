package hashers

// PoolStats is a snapshot of the hashing pool.
type PoolStats struct {
	// Queued is the number of calls waiting for a free hashing slot.
	Queued int
	// Running is the number of hash computations in progress.
	Running int
	// Capacity is the number of slots (MaxConcurrent, or
	// DefaultMaxConcurrent()).
	Capacity int
}

// Stats reports the hashing pool's current load, for metrics. It only reads
// (atomic loads and the slot channel's length), so it is cheap enough to call
// on every scrape. Before the first use, or when the configuration is invalid,
// it reports zeros.
func (h *Hashers) Stats() PoolStats {
	if h.setup() != nil {
		return PoolStats{}
	}
	return PoolStats{
		Queued:   int(h.waiting.Load()),
		Running:  len(h.slots),
		Capacity: cap(h.slots),
	}
}
