package hashers

import (
	"context"
	"runtime"
	"testing"
)

// hookHasher runs a hook inside Encode and Verify, on the hashing worker.
type hookHasher struct {
	fakeHasher
	hook func()
}

func (h *hookHasher) Encode(pw, salt string) (string, error) {
	h.hook()
	return h.fakeHasher.Encode(pw, salt)
}

func (h *hookHasher) Verify(pw, enc string) (bool, error) {
	h.hook()
	return h.fakeHasher.Verify(pw, enc)
}

func TestDefaultMaxConcurrent(t *testing.T) {
	for _, tc := range []struct{ procs, want int }{{1, 1}, {2, 1}, {3, 2}, {4, 2}, {8, 4}} {
		old := runtime.GOMAXPROCS(tc.procs)
		got := DefaultMaxConcurrent()
		runtime.GOMAXPROCS(old)
		if got != tc.want {
			t.Errorf("GOMAXPROCS %d: %d slots, want %d", tc.procs, got, tc.want)
		}
	}
}

// A panic inside a hasher reaches the caller, as it did before hashes ran
// on workers, and the pool keeps working.
func TestWorkerPanicReachesCaller(t *testing.T) {
	boom := true
	h := &Hashers{List: []Hasher{&hookHasher{fakeHasher: fakeHasher{name: "fake"}, hook: func() {
		if boom {
			panic("boom")
		}
	}}}}
	func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Fatalf("recovered %v, want boom", p)
			}
		}()
		h.Make(context.Background(), "pw")
		t.Fatal("Make did not panic")
	}()
	boom = false
	if ok, _, err := h.Check(context.Background(), "pw", "fake$s$pw"); !ok || err != nil {
		t.Fatalf("Check after a panic: %v, %v", ok, err)
	}
}
