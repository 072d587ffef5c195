package redisstore

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestBreaker(t *testing.T) {
	now := time.Unix(100, 0)
	b := &breaker{cooldown: time.Second, now: func() time.Time { return now }}
	if ok, probe, _, _ := b.allow(); !ok || probe {
		t.Fatal("a new breaker is closed")
	}
	if b.markDirty("k0") {
		t.Fatal("closed: writes must go to Redis, not be remembered")
	}
	b.failed("k1")
	if !b.markDirty("k2") {
		t.Fatal("open: writes are remembered")
	}
	if ok, _, _, _ := b.allow(); ok {
		t.Fatal("open during the cool-down")
	}
	now = now.Add(time.Second)
	ok, probe, dirty, overflow := b.allow()
	slices.Sort(dirty)
	if !ok || !probe || overflow || !slices.Equal(dirty, []string{"k1", "k2"}) {
		t.Fatalf("after the cool-down one caller probes with the dirty keys: %v %v %v %v", ok, probe, dirty, overflow)
	}
	if ok, _, _, _ := b.allow(); ok {
		t.Fatal("only one probe at a time")
	}
	b.failed()
	now = now.Add(500 * time.Millisecond)
	if ok, _, _, _ := b.allow(); ok {
		t.Fatal("a failed probe opens it for another cool-down")
	}
	now = now.Add(600 * time.Millisecond)
	_, probe, dirty, _ = b.allow()
	if !probe || len(dirty) != 2 {
		t.Fatalf("the dirty keys survive a failed probe: %v", dirty)
	}
	b.markDirty("k3") // written while the probe runs
	b.succeeded(dirty, false)
	if ok, probe, dirty, _ := b.allow(); !ok || !probe || !slices.Equal(dirty, []string{"k3"}) {
		t.Fatalf("a key dirtied during the probe is cleaned by an immediate second probe: %v %v %v", ok, probe, dirty)
	}
	b.succeeded([]string{"k3"}, false)
	if ok, probe, _, _ := b.allow(); !ok || probe {
		t.Fatal("closed after a clean probe")
	}
}

func TestBreakerOverflow(t *testing.T) {
	now := time.Unix(100, 0)
	b := &breaker{cooldown: time.Second, now: func() time.Time { return now }}
	b.failed()
	for i := range maxDirty + 5 {
		b.markDirty(fmt.Sprint("k", i))
	}
	now = now.Add(time.Second)
	_, probe, dirty, overflow := b.allow()
	if !probe || !overflow || len(dirty) != maxDirty {
		t.Fatalf("probe %v overflow %v dirty %d", probe, overflow, len(dirty))
	}
	b.succeeded(dirty, true)
	if ok, probe, _, _ := b.allow(); !ok || probe {
		t.Fatal("closed after clearing everything")
	}
}

func TestGlobEscape(t *testing.T) {
	if got := globEscape(`a*b?[c]\d`); got != `a\*b\?\[c\]\\d` {
		t.Fatalf("globEscape = %s", got)
	}
}
