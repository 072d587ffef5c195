package hashers

import (
	"context"
	"sync"
	"syscall"
	"testing"
)

// niceOf returns the nice value of the calling thread. The raw
// getpriority system call returns 20 - nice.
func niceOf(t *testing.T) int {
	t.Helper()
	raw, err := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
	if err != nil {
		t.Fatal(err)
	}
	return 20 - raw
}

// Hashes run on threads at nice 19; the callers' threads keep their
// priority.
func TestHashingRunsAtLowestPriority(t *testing.T) {
	var mu sync.Mutex
	var nices []int
	hk := &hookHasher{fakeHasher: fakeHasher{name: "fake"}}
	hk.hook = func() {
		n := niceOf(t)
		mu.Lock()
		nices = append(nices, n)
		mu.Unlock()
	}
	h := &Hashers{List: []Hasher{hk}, MaxConcurrent: 2}
	before := niceOf(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			if _, err := h.Make(ctx, "pw"); err != nil {
				t.Error(err)
			}
			if _, _, err := h.Check(ctx, "pw", "fake$s$pw"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if len(nices) != 12 {
		t.Fatalf("%d hashes observed, want 12", len(nices))
	}
	for i, n := range nices {
		if n != lowestPriority {
			t.Fatalf("hash %d ran at nice %d, want %d", i, n, lowestPriority)
		}
	}
	if after := niceOf(t); after != before {
		t.Fatalf("the caller's thread went from nice %d to %d", before, after)
	}
}
