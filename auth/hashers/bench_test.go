package hashers

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user+system CPU time. Benchmarks report it next
// to wall time, which a busy machine inflates.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e6, "cpu-ms/op")
}

// BenchmarkPBKDF2SHA256 is Django 5.2's default hash: 1,000,000 iterations.
// Compare with Python: hashlib.pbkdf2_hmac("sha256", b"correct horse",
// b"seasalt", 1000000) (docs/benchmarks.md).
func BenchmarkPBKDF2SHA256(b *testing.B) {
	h := &PBKDF2{Iterations: 1_000_000}
	start := cpuTime()
	for b.Loop() {
		if _, err := h.Encode("correct horse", "seasalt"); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, start)
}

// BenchmarkPBKDF2SHA256Stdlib is the same computation with crypto/pbkdf2,
// for reference.
func BenchmarkPBKDF2SHA256Stdlib(b *testing.B) {
	start := cpuTime()
	for b.Loop() {
		if _, err := pbkdf2.Key(sha256.New, "correct horse", []byte("seasalt"), 1_000_000, 32); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, start)
}
