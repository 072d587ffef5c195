package hashers

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
)

func TestPoolStats(t *testing.T) {
	if got := (&Hashers{MaxConcurrent: -1}).Stats(); got != (PoolStats{}) {
		t.Errorf("invalid configuration: %+v, want zeros", got)
	}
	synctest.Test(t, func(t *testing.T) {
		f := &fakeHasher{name: "fake", gate: make(chan struct{})}
		h := &Hashers{List: []Hasher{f}, MaxConcurrent: 2}
		if got := h.Stats(); got != (PoolStats{Capacity: 2}) {
			t.Errorf("idle pool: %+v", got)
		}
		var wg sync.WaitGroup
		for range 5 {
			wg.Go(func() { h.Check(context.Background(), "pw", "fake$s$pw") })
		}
		synctest.Wait() // two hold a slot, three wait for one
		if got := h.Stats(); got != (PoolStats{Queued: 3, Running: 2, Capacity: 2}) {
			t.Errorf("flooded pool: %+v", got)
		}
		f.gate <- struct{}{}
		synctest.Wait()
		if got := h.Stats(); got != (PoolStats{Queued: 2, Running: 2, Capacity: 2}) {
			t.Errorf("after one finished: %+v", got)
		}
		close(f.gate)
		wg.Wait()
		if got := h.Stats(); got != (PoolStats{Capacity: 2}) {
			t.Errorf("drained pool: %+v", got)
		}
	})
}
