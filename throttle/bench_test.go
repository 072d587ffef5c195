package throttle

import (
	"context"
	"net/http"
	"net/netip"
	"testing"
	"time"
)

// benchTake measures one decision on a store, over 1024 client addresses.
func benchTake(b *testing.B, s Store, r Rule) {
	keys := make([]Key, 1024)
	for i := range keys {
		keys[i] = Key{Scope: "anon", IP: netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})}
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := s.Take(ctx, keys[i%len(keys)], r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMemoryFixedWindow(b *testing.B) {
	benchTake(b, NewMemoryStore(MemoryOptions{}), Rule{Limit: 1000, Period: time.Minute})
}

func BenchmarkMemoryTokenBucket(b *testing.B) {
	benchTake(b, NewMemoryStore(MemoryOptions{}), Rule{Algorithm: TokenBucket, Limit: 1000, Period: time.Minute})
}

func BenchmarkMemoryParallel(b *testing.B) {
	s := NewMemoryStore(MemoryOptions{})
	r := Rule{Limit: 1000, Period: time.Minute}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			_, _ = s.Take(context.Background(), Key{Scope: "anon", IP: netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)})}, r)
		}
	})
}

func BenchmarkRedisDecision(b *testing.B) {
	s, _, _ := redisTestStore(b)
	benchTake(b, s, Rule{Limit: 1 << 40, Period: time.Minute})
}

// BenchmarkLimit is a whole Limit call on a request: client address, key,
// decision on memory, the two RateLimit headers.
func BenchmarkLimit(b *testing.B) {
	l, err := New(Options{Name: "anon", Rate: Rate{Limit: 1 << 40, Period: time.Minute}})
	if err != nil {
		b.Fatal(err)
	}
	r := request("203.0.113.5:1234")
	w := nopWriter{http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		if err := l.Limit(w, r); err != nil {
			b.Fatal(err)
		}
	}
}

type nopWriter struct{ h http.Header }

func (w nopWriter) Header() http.Header         { return w.h }
func (w nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w nopWriter) WriteHeader(int)             {}
