package fakeclock_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dmr-go/dmr/internal/fakeclock"
)

func TestClock(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := fakeclock.New(start)
	if !c.Now().Equal(start) {
		t.Fatalf("Now = %v", c.Now())
	}
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { c.Add(time.Second) })
	}
	wg.Wait()
	if got := c.Now().Sub(start); got != 10*time.Second {
		t.Fatalf("after 10 concurrent Add(1s): %v", got)
	}
	c.Add(-time.Minute)
	c.Set(start)
	if !c.Now().Equal(start) {
		t.Fatalf("Set: %v", c.Now())
	}
	var zero fakeclock.Clock
	if !zero.Now().IsZero() {
		t.Fatal("zero Clock is not at the zero time")
	}
}

func Example() {
	c := fakeclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	now := c.Now // what a store's Options.Now would get
	c.Add(90 * time.Minute)
	fmt.Println(now().Format(time.Kitchen))
	// Output: 1:30AM
}
