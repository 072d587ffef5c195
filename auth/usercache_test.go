package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type countingUsers struct {
	UserStore
	byID atomic.Int64
}

func (c *countingUsers) UserByID(ctx context.Context, id string) (*User, error) {
	c.byID.Add(1)
	return c.UserStore.UserByID(ctx, id)
}

func TestUserCacheHitsAndCopies(t *testing.T) {
	ctx := context.Background()
	mem := &MemoryUsers{}
	counter := &countingUsers{UserStore: mem}
	c, err := NewUserCache(counter, UserCacheOptions{TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ll := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	u := &User{Username: "ann", Password: "x", IsActive: true, LastLogin: &ll}
	if err := mem.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		got, err := c.UserByID(ctx, u.ID)
		if err != nil || got.Username != "ann" {
			t.Fatalf("UserByID: %+v %v", got, err)
		}
		got.Username = "changed"
		*got.LastLogin = time.Time{}
	}
	if n := counter.byID.Load(); n != 1 {
		t.Fatalf("%d lookups reached the store, want 1", n)
	}
	// (The first lookup's LastLogin points at the test's variable, which the
	// loop zeroed; the cached copy must still hold the original time.)
	if got, _ := c.UserByID(ctx, u.ID); got.Username != "ann" || !got.LastLogin.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("cache shares memory with callers: %+v", got)
	}
	for range 2 {
		if _, err := c.UserByID(ctx, "999"); !errors.Is(err, ErrUserNotFound) {
			t.Fatalf("missing: %v", err)
		}
	}
	if n := counter.byID.Load(); n != 3 {
		t.Fatalf("missing users are cached: %d lookups", n)
	}
}

func TestUserCacheOwnWritesAreImmediate(t *testing.T) {
	ctx := context.Background()
	mem := &MemoryUsers{}
	c, err := NewUserCache(mem, UserCacheOptions{TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	u := &User{Username: "ann", Password: "old", IsActive: true}
	if err := c.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.UserByID(ctx, u.ID); got.Password != "old" {
		t.Fatal(got.Password)
	}
	if err := c.SetPassword(ctx, u.ID, "new"); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.UserByID(ctx, u.ID); got.Password != "new" {
		t.Fatalf("after own SetPassword: %q", got.Password)
	}
	now := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	if err := c.UpdateLastLogin(ctx, u.ID, now); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.UserByID(ctx, u.ID); got.LastLogin == nil || !got.LastLogin.Equal(now) {
		t.Fatalf("after own UpdateLastLogin: %v", got.LastLogin)
	}
}

// Through the whole auth stack: a password change or a deactivation made
// behind the cache (by Django, say) still lets the session in for less than
// TTL and logs it out from TTL on; one made through the cache is immediate.
func TestUserCacheStalenessThroughSessionAuth(t *testing.T) {
	const ttl = 2 * time.Second
	for _, tc := range []struct {
		name   string
		change func(e *env, c *UserCache, id string)
		ownTTL bool // the change goes through the cache: immediate
	}{
		{"password changed elsewhere", func(e *env, _ *UserCache, id string) {
			e.users.update(id, func(u *User) { u.Password = "pbkdf2_sha256$2$salt$otherhash=" })
		}, false},
		{"deactivated elsewhere", func(e *env, _ *UserCache, id string) {
			e.users.update(id, func(u *User) { u.IsActive = false })
		}, false},
		{"password changed here", func(e *env, c *UserCache, id string) {
			if err := c.SetPassword(context.Background(), id, "pbkdf2_sha256$2$salt$otherhash="); err != nil {
				t.Fatal(err)
			}
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := &testClock{t: time.Now()}
			users := &MemoryUsers{}
			c, err := NewUserCache(users, UserCacheOptions{TTL: ttl, Now: clk.Now})
			if err != nil {
				t.Fatal(err)
			}
			e := newEnv(t, Options{Users: c})
			e.users = users
			u := e.mustCreate("ann", "pw", nil)
			b := browser{}
			e.login(b, "ann", "pw")
			if !e.current(b).IsAuthenticated() {
				t.Fatal("not logged in")
			}
			tc.change(e, c, u.ID)
			if tc.ownTTL {
				if e.current(b).IsAuthenticated() {
					t.Fatal("own password change not effective immediately")
				}
				return
			}
			clk.Add(ttl - time.Millisecond)
			if !e.current(b).IsAuthenticated() {
				t.Fatal("within TTL the cached row is used (the documented bound), yet the user was refused")
			}
			clk.Add(time.Millisecond)
			if e.current(b).IsAuthenticated() {
				t.Fatal("change made elsewhere not effective at TTL")
			}
		})
	}
}

func TestNewUserCacheValidates(t *testing.T) {
	if _, err := NewUserCache(nil, UserCacheOptions{}); err == nil {
		t.Error("nil store accepted")
	}
	if _, err := NewUserCache(&MemoryUsers{}, UserCacheOptions{TTL: -1}); err == nil {
		t.Error("negative TTL accepted")
	}
}

func TestUserCacheConcurrent(t *testing.T) {
	ctx := context.Background()
	mem := &MemoryUsers{}
	c, err := NewUserCache(mem, UserCacheOptions{TTL: time.Hour, MaxEntries: 4})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 8 {
		u := &User{Username: fmt.Sprint("u", i), IsActive: true}
		if err := c.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 400 {
				id := ids[(g+i)%len(ids)]
				u, err := c.UserByID(ctx, id)
				if err != nil {
					t.Error(err)
					return
				}
				u.Username = "mine"
				if i%20 == 0 {
					pw := fmt.Sprint("pw", g, i)
					if err := c.SetPassword(ctx, id, pw); err != nil {
						t.Error(err)
						return
					}
					if got, _ := c.UserByID(ctx, id); got.Password != pw && got.Password == "" {
						t.Errorf("lost password write")
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}
