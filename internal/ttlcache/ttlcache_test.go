package ttlcache

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dmr-go/dmr/internal/fakeclock"
)

func TestTTL(t *testing.T) {
	clk := fakeclock.New(time.Unix(1_700_000_000, 0))
	c := New[string, int](time.Second, 10, clk.Now)
	if !c.PutIfGen("a", 1, c.Gen()) {
		t.Fatal("PutIfGen refused without an invalidation")
	}
	clk.Add(999 * time.Millisecond)
	if v, ok := c.Get("a"); !ok || v != 1 {
		t.Fatalf("before the TTL: %v %v", v, ok)
	}
	clk.Add(time.Millisecond)
	if _, ok := c.Get("a"); ok {
		t.Fatal("entry served at the TTL")
	}
	if c.Len() != 0 {
		t.Fatalf("expired entry kept: %d", c.Len())
	}
}

func TestInvalidateBeatsRacingLoad(t *testing.T) {
	c := New[string, int](time.Hour, 10, nil)
	c.PutIfGen("a", 1, c.Gen())
	gen := c.Gen() // a reader starts loading "b"
	c.Invalidate("a")
	if _, ok := c.Get("a"); ok {
		t.Fatal("invalidated entry still served")
	}
	if c.PutIfGen("b", 2, gen) {
		t.Fatal("a load that started before an invalidation was stored")
	}
	if !c.PutIfGen("b", 2, c.Gen()) {
		t.Fatal("a fresh load was refused")
	}
}

func TestBound(t *testing.T) {
	clk := fakeclock.New(time.Unix(1_700_000_000, 0))
	c := New[int, int](time.Second, 100, clk.Now)
	for i := range 1000 {
		c.PutIfGen(i, i, c.Gen())
		if c.Len() > 100 {
			t.Fatalf("%d entries, bound 100", c.Len())
		}
	}
	// Replacing an existing key when full evicts nothing.
	for k := range c.m {
		c.PutIfGen(k, -1, c.Gen())
		if c.Len() != 100 {
			t.Fatalf("replacing evicted: %d", c.Len())
		}
		break
	}
	// Expired entries are preferred victims.
	clk.Add(2 * time.Second)
	c.PutIfGen(5000, 1, c.Gen())
	if v, ok := c.Get(5000); !ok || v != 1 {
		t.Fatal("new entry missing")
	}
}

func TestNewPanicsOnBadConfig(t *testing.T) {
	for _, tc := range []struct {
		ttl time.Duration
		max int
	}{{0, 1}, {time.Second, 0}, {-time.Second, 1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%v, %d) did not panic", tc.ttl, tc.max)
				}
			}()
			New[int, int](tc.ttl, tc.max, nil)
		}()
	}
}

func TestConcurrent(t *testing.T) {
	c := New[string, int](time.Millisecond, 50, nil)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				k := fmt.Sprint(i % 64)
				if _, ok := c.Get(k); !ok {
					c.PutIfGen(k, g, c.Gen())
				}
				if i%97 == 0 {
					c.Invalidate(k)
				}
			}
		}()
	}
	wg.Wait()
	if c.Len() > 50 {
		t.Fatalf("%d entries, bound 50", c.Len())
	}
}

func TestFlushBeatsRacingLoad(t *testing.T) {
	c := New[string, int](time.Hour, 10, nil)
	c.PutIfGen("a", 1, c.Gen())
	c.PutIfGen("b", 2, c.Gen())
	gen := c.Gen() // a reader starts loading "c"
	c.Flush()
	if c.Len() != 0 {
		t.Fatalf("%d entries after Flush", c.Len())
	}
	if c.PutIfGen("c", 3, gen) {
		t.Fatal("a load that started before a flush was stored")
	}
	if !c.PutIfGen("c", 3, c.Gen()) {
		t.Fatal("a fresh load was refused")
	}
}
