package hashers

import "syscall"

// lowestPriority is the highest nice value, the lowest CPU priority.
const lowestPriority = 19

// lowerThreadPriority gives the calling OS thread the lowest CPU priority.
// On Linux, setpriority(PRIO_PROCESS, tid) sets the nice value of that one
// thread, not of the process. A failure (a seccomp filter, say) leaves the
// priority as it was: hashing still works, only without the isolation.
func lowerThreadPriority() {
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), lowestPriority)
}
