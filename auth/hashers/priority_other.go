//go:build !linux

package hashers

// lowerThreadPriority does nothing outside Linux: other systems either set
// priorities per process only or need privileges to lower a thread's. The
// pool's size limit still bounds the CPU hashing takes.
func lowerThreadPriority() {}
