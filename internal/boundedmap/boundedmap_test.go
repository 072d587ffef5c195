package boundedmap

import (
	"fmt"
	"sync"
	"testing"
)

func TestBounded(t *testing.T) {
	for _, tc := range []struct {
		max, shards, bound int
	}{
		{8, 1, 8},
		{100, 32, 128}, // 32 shards of ⌈100/32⌉ = 4
		{0, 0, 1},
	} {
		t.Run(fmt.Sprint(tc.max, "/", tc.shards), func(t *testing.T) {
			m := New[int](tc.max, tc.shards)
			for i := range 1000 {
				m.Put(fmt.Sprint(i), i)
				if n := m.Len(); n > tc.bound || n == 0 {
					t.Fatalf("%d entries after %d puts, bound %d", n, i+1, tc.bound)
				}
			}
			if v, ok := m.Get("999"); !ok || v != 999 {
				t.Fatalf("the last key put: %v %v", v, ok)
			}
		})
	}
}

func TestGetPutDelete(t *testing.T) {
	m := New[string](4, 2)
	if _, ok := m.Get("k"); ok {
		t.Fatal("empty map has k")
	}
	m.Put("k", "1")
	m.Put("k", "2") // replaces, whatever the shard's fill
	if v, ok := m.Get("k"); !ok || v != "2" {
		t.Fatalf("Get = %q %v", v, ok)
	}
	m.Delete("k")
	m.Delete("k")
	if _, ok := m.Get("k"); ok || m.Len() != 0 {
		t.Fatalf("after Delete: Len %d", m.Len())
	}
}

func TestConcurrent(t *testing.T) {
	m := New[int](64, 8)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				k := fmt.Sprint(g, i%100)
				m.Put(k, i)
				m.Get(k)
				if i%7 == 0 {
					m.Delete(k)
				}
			}
		}()
	}
	wg.Wait()
	if n := m.Len(); n > 64 {
		t.Fatalf("%d entries, bound 64", n)
	}
}
