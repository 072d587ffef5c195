//go:build linux

package csrf

import (
	"syscall"
	"time"
)

// threadCPU returns the CPU time the calling OS thread has used. The check
// benchmarks report it next to wall time because the build machine is
// shared: wall time there includes waiting for a CPU.
func threadCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	const rusageThread = 1 // RUSAGE_THREAD
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
