package lograte

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	now := time.Unix(1000, 0)
	l := &Limiter{Interval: time.Second, Now: func() time.Time { return now }}
	ctx := context.Background()
	steps := []struct {
		advance time.Duration
		msg     string
		wrote   bool
	}{
		{0, "store down", true},
		{100 * time.Millisecond, "store down", false},
		{100 * time.Millisecond, "store down", false},
		{0, "other failure", true},
		{900 * time.Millisecond, "store down", true}, // 1.1 s after the first: carries suppressed=2
		{2 * time.Second, "store down", true},        // nothing held back since
	}
	for i, s := range steps {
		now = now.Add(s.advance)
		if got := l.Log(ctx, log, slog.LevelError, s.msg, "n", i); got != s.wrote {
			t.Fatalf("step %d: Log = %v, want %v", i, got, s.wrote)
		}
	}
	want := strings.Join([]string{
		`level=ERROR msg="store down" n=0`,
		`level=ERROR msg="other failure" n=3`,
		`level=ERROR msg="store down" n=4 suppressed=2 suppressed_over=1s`,
		`level=ERROR msg="store down" n=5`,
	}, "\n") + "\n"
	if buf.String() != want {
		t.Fatalf("log:\n%s\nwant:\n%s", buf.String(), want)
	}
}

func TestLimiterDisabledLevel(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelError}))
	var l Limiter
	if l.Log(context.Background(), log, slog.LevelWarn, "x") || buf.Len() != 0 {
		t.Fatal("a disabled level must not be written")
	}
}

func TestLimiterConcurrent(t *testing.T) {
	var buf syncBuffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	var l Limiter // one record per 10 s
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 100 {
				l.Log(context.Background(), log, slog.LevelError, "burst", "g", i, "j", j)
			}
		}()
	}
	wg.Wait()
	if n := strings.Count(buf.String(), "\n"); n != 1 {
		t.Fatalf("%d records for 800 occurrences within the interval, want 1", n)
	}
}

func TestLimiterBoundedKeys(t *testing.T) {
	now := time.Unix(0, 0)
	l := &Limiter{Now: func() time.Time { return now }}
	log := slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))
	for i := range 3 * maxKeys {
		l.Log(context.Background(), log, slog.LevelError, fmt.Sprint("k", i))
	}
	if len(l.entries) > maxKeys {
		t.Fatalf("%d entries kept, want at most %d", len(l.entries), maxKeys)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func ExampleLimiter() {
	log := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	var l Limiter // one record per key and 10 s
	for range 1000 {
		l.Log(context.Background(), log, slog.LevelError, "session store unavailable")
	}
	// Output:
	// level=ERROR msg="session store unavailable"
}
