package hashers

import "runtime"

// DefaultMaxConcurrent is the pool size used when Hashers.MaxConcurrent is
// zero: half of runtime.GOMAXPROCS(0), rounded up (1 on 1 or 2 CPUs, 4 on
// 8). Measured on 2 cores (docs/benchmarks.md, "Login flood"), a pool as
// large as GOMAXPROCS lets a flood of wrong passwords hold every scheduler
// slot, so other requests wait for the runtime to preempt a hash.
func DefaultMaxConcurrent() int { return (runtime.GOMAXPROCS(0) + 1) / 2 }

// onWorker runs fn on a hashing worker and waits for it. The caller holds a
// slot, so at most MaxConcurrent workers exist at once.
//
// A worker is a goroutine locked to its own OS thread, whose CPU priority
// it lowers to the lowest (nice 19 on Linux, see lowerThreadPriority): a
// flood of password checks then takes only the CPU time that request
// handling and the rest of the machine leave over. The worker never
// unlocks its thread, so the runtime ends the thread, lowered priority and
// all, when the worker returns; a new thread per hash costs tens of
// microseconds, nothing beside the hash itself, and leaves no idle workers
// behind.
func (h *Hashers) onWorker(fn func()) {
	done := make(chan any, 1)
	go func() {
		defer func() { done <- recover() }()
		runtime.LockOSThread() // never unlocked: the thread ends with the worker
		lowerThreadPriority()
		fn()
	}()
	if p := <-done; p != nil {
		panic(p) // re-raised on the caller's goroutine, as before the pool
	}
}
