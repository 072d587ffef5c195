package sessions

import (
	"context"
	"testing"
	"time"
)

// deadlineStore records whether Load got a deadline.
type deadlineStore struct {
	MemoryStore
	bounded bool
	sawDL   bool
}

func (d *deadlineStore) Load(ctx context.Context, key string) (Record, error) {
	_, d.sawDL = ctx.Deadline()
	return d.MemoryStore.Load(ctx, key)
}

type boundedLoaderStore struct{ deadlineStore }

func (*boundedLoaderStore) LoadBounded() bool { return true }

// StoreTimeout starts a timer for Load unless the store bounds its Load
// itself (BoundedLoader).
func TestBoundStoreSkipsSelfBoundedLoad(t *testing.T) {
	plain := &deadlineStore{}
	self := &boundedLoaderStore{}
	tests := []struct {
		name   string
		store  Store
		saw    func() bool
		wantDL bool
	}{
		{"plain store", plain, func() bool { return plain.sawDL }, true},
		{"BoundedLoader", self, func() bool { return self.sawDL }, false},
	}
	for _, tc := range tests {
		b := boundStore(tc.store, time.Minute)
		if _, err := b.Load(context.Background(), "missing"); err == nil {
			t.Fatalf("%s: a missing key loaded", tc.name)
		}
		if got := tc.saw(); got != tc.wantDL {
			t.Errorf("%s: Load saw a deadline %v, want %v", tc.name, got, tc.wantDL)
		}
	}
}
