package auth

import (
	"context"
	"testing"
	"time"
)

// deadlineUsers records whether UserByID got a deadline.
type deadlineUsers struct {
	MemoryUsers
	sawDL bool
}

func (d *deadlineUsers) UserByID(ctx context.Context, id string) (*User, error) {
	_, d.sawDL = ctx.Deadline()
	return d.MemoryUsers.UserByID(ctx, id)
}

type boundedLoaderUsers struct{ deadlineUsers }

func (*boundedLoaderUsers) UserByIDBounded() bool { return true }

// StoreTimeout starts a timer for UserByID unless the store bounds it
// itself (BoundedUserLoader).
func TestBoundUsersSkipsSelfBoundedLoad(t *testing.T) {
	plain := &deadlineUsers{}
	self := &boundedLoaderUsers{}
	tests := []struct {
		name   string
		users  UserStore
		saw    func() bool
		wantDL bool
	}{
		{"plain store", plain, func() bool { return plain.sawDL }, true},
		{"BoundedUserLoader", self, func() bool { return self.sawDL }, false},
	}
	for _, tc := range tests {
		b := boundUsers(tc.users, storeTimeout(time.Minute))
		_, _ = b.UserByID(context.Background(), "1")
		if got := tc.saw(); got != tc.wantDL {
			t.Errorf("%s: UserByID saw a deadline %v, want %v", tc.name, got, tc.wantDL)
		}
	}
}
