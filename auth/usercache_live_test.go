package auth

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

type countingPerms struct {
	user, all atomic.Int64
}

func (p *countingPerms) UserPermissions(context.Context, string) (PermissionSet, error) {
	p.user.Add(1)
	return NewPermissionSet("app.view_x"), nil
}

func (p *countingPerms) AllPermissions(context.Context) (PermissionSet, error) {
	p.all.Add(1)
	return NewPermissionSet("app.view_x"), nil
}

// A UserCache with a feed: each kind of eviction drops what it should and
// nothing else; Live false bypasses users and permissions alike.
func TestUserCacheLive(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name                         string
		step                         func(c *UserCache, live *atomic.Bool, clk *testClock, id string)
		wantUser, wantPerms, wantAll int64 // lookups reaching the stores over three rounds
	}{
		{"live: hits", func(*UserCache, *atomic.Bool, *testClock, string) {}, 0, 0, 0},
		{"down: bypass", func(_ *UserCache, live *atomic.Bool, _ *testClock, _ string) { live.Store(false) }, 3, 3, 3},
		{"user invalidated", func(c *UserCache, _ *atomic.Bool, _ *testClock, id string) { c.Invalidate(id) }, 1, 1, 0},
		{"user's permissions invalidated", func(c *UserCache, _ *atomic.Bool, _ *testClock, id string) { c.InvalidatePermissions(id) }, 0, 1, 0},
		{"all permissions invalidated", func(c *UserCache, _ *atomic.Bool, _ *testClock, _ string) { c.InvalidateAllPermissions() }, 0, 1, 1},
		{"flushed", func(c *UserCache, _ *atomic.Bool, _ *testClock, _ string) { c.Flush() }, 1, 1, 1},
		{"safety TTL", func(_ *UserCache, _ *atomic.Bool, clk *testClock, _ string) { clk.Add(time.Minute) }, 1, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := &testClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			mem := &MemoryUsers{}
			users := &countingUsers{UserStore: mem}
			var live atomic.Bool
			live.Store(true)
			c, err := NewUserCache(users, UserCacheOptions{TTL: time.Minute, Now: clk.Now, Live: live.Load})
			if err != nil {
				t.Fatal(err)
			}
			pc := &countingPerms{}
			perms := c.CachePermissions(pc)
			u := &User{Username: "ann", IsActive: true}
			if err := mem.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			round := func() {
				t.Helper()
				if got, err := c.UserByID(ctx, u.ID); err != nil || got.Username != "ann" {
					t.Fatalf("UserByID: %+v %v", got, err)
				}
				if _, err := perms.UserPermissions(ctx, u.ID); err != nil {
					t.Fatal(err)
				}
				if _, err := perms.AllPermissions(ctx); err != nil {
					t.Fatal(err)
				}
			}
			round()
			tc.step(c, &live, clk, u.ID)
			bu, bp, ba := users.byID.Load(), pc.user.Load(), pc.all.Load()
			for range 3 {
				round()
			}
			if du, dp, da := users.byID.Load()-bu, pc.user.Load()-bp, pc.all.Load()-ba; du != tc.wantUser || dp != tc.wantPerms || da != tc.wantAll {
				t.Fatalf("store lookups user/perms/all = %d/%d/%d, want %d/%d/%d", du, dp, da, tc.wantUser, tc.wantPerms, tc.wantAll)
			}
		})
	}
}

// BenchmarkUserCacheHit measures a hit without and with a feed's Live.
func BenchmarkUserCacheHit(b *testing.B) {
	for _, withLive := range []bool{false, true} {
		name := "ttl"
		if withLive {
			name = "live"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			mem := &MemoryUsers{}
			opts := UserCacheOptions{TTL: time.Hour}
			var live atomic.Bool
			live.Store(true)
			if withLive {
				opts.Live = live.Load
			}
			c, err := NewUserCache(mem, opts)
			if err != nil {
				b.Fatal(err)
			}
			u := &User{Username: "ann", IsActive: true}
			if err := mem.CreateUser(ctx, u); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.UserByID(ctx, u.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// racingPerms runs during() inside each load, as an event arriving while a
// load is in flight.
type racingPerms struct {
	countingPerms
	during func()
}

func (p *racingPerms) UserPermissions(ctx context.Context, id string) (PermissionSet, error) {
	s, err := p.countingPerms.UserPermissions(ctx, id)
	if p.during != nil {
		p.during()
	}
	return s, err
}

// An eviction that arrives while a permission load is in flight wins: the
// load's (old) set is not stored.
func TestUserCachePermsEventDuringLoad(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"user's permissions", "all permissions", "flush"} {
		t.Run(name, func(t *testing.T) {
			c, err := NewUserCache(&MemoryUsers{}, UserCacheOptions{TTL: time.Hour, Live: func() bool { return true }})
			if err != nil {
				t.Fatal(err)
			}
			src := &racingPerms{}
			perms := c.CachePermissions(src)
			src.during = func() {
				switch name {
				case "user's permissions":
					c.InvalidatePermissions("1")
				case "all permissions":
					c.InvalidateAllPermissions()
				case "flush":
					c.Flush()
				}
			}
			if _, err := perms.UserPermissions(ctx, "1"); err != nil {
				t.Fatal(err)
			}
			src.during = nil
			for range 2 {
				if _, err := perms.UserPermissions(ctx, "1"); err != nil {
					t.Fatal(err)
				}
			}
			if n := src.user.Load(); n != 2 {
				t.Fatalf("%d loads, want 2: the raced load was stored, or the next one was not", n)
			}
		})
	}
}
