package sessions

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// threadCPU returns the CPU time used by the calling OS thread (Linux
// RUSAGE_THREAD), so benchmarks can report CPU ns/op next to wall time on a
// shared machine.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loop runs body b.N times (via b.Loop) on a locked OS thread and reports
// its CPU time per iteration as cpu-ns/op.
func loop(b *testing.B, body func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	start := threadCPU()
	n := 0
	for b.Loop() {
		body()
		n++
	}
	if used := threadCPU() - start; used > 0 && n > 0 {
		b.ReportMetric(float64(used.Nanoseconds())/float64(n), "cpu-ns/op")
	}
}

// loggedIn is what django.contrib.auth.login stores.
func loggedIn() (id, backend, hash string) {
	b := make([]byte, 32)
	rand.Read(b)
	return "42", "django.contrib.auth.backends.ModelBackend", hex.EncodeToString(b)
}

func readAuth(b *testing.B, get func(string) (any, bool)) {
	for _, k := range []string{"_auth_user_id", "_auth_user_backend", "_auth_user_hash"} {
		if _, ok := get(k); !ok {
			b.Fatalf("%s missing", k)
		}
	}
}

// BenchmarkDecodeLoggedIn verifies and decodes a typical logged-in session's
// session_data (no store I/O) and reads its three keys.
func BenchmarkDecodeLoggedIn(b *testing.B) {
	c := newCodec(b, CodecOptions{})
	id, backend, hash := loggedIn()
	ours, _ := c.Encode(obj("_auth_user_id", id, "_auth_user_backend", backend, "_auth_user_hash", hash))
	uncompressed := c.ts.SignPayload([]byte(`{"_auth_user_id":"42","_auth_user_backend":"django.contrib.auth.backends.ModelBackend","_auth_user_hash":"`+hash+`"}`), false)
	django := vstr(b, vectors(b, "v", "5.2.18"), "db.encode(sess)")
	for _, bc := range []struct{ name, data string }{
		{"go-encoded", ours}, {"uncompressed", uncompressed}, {"django-compressed", django},
	} {
		b.Run(bc.name, func(b *testing.B) {
			loop(b, func() {
				d, err := c.Decode(bc.data)
				if err != nil {
					b.Fatal(err)
				}
				readAuth(b, d.Get)
			})
		})
	}
}

// BenchmarkMiddlewareRead is the full middleware read path: cookie parsing,
// session lookup in the store, reading the three auth keys, commit.
func BenchmarkMiddlewareRead(b *testing.B) {
	id, backend, hash := loggedIn()
	data := obj("_auth_user_id", id, "_auth_user_backend", backend, "_auth_user_hash", hash)
	mem := &MemoryStore{}
	key := NewKey()
	mem.Create(context.Background(), Record{Key: key, Data: data, Expiry: time.Now().Add(time.Hour)})
	sc, _ := NewSignedCookieStore(SignedCookieOptions{SecretKey: []byte(sk)})
	cookieValue, _ := sc.EncodeCookie(data)
	for _, bc := range []struct {
		name   string
		o      Options
		cookie string
	}{
		{"memory", Options{Store: mem, Logger: discard}, key},
		{"signed_cookies", Options{CookieStore: sc, Logger: discard}, cookieValue},
	} {
		b.Run(bc.name, func(b *testing.B) {
			mw, err := NewMiddleware(bc.o)
			if err != nil {
				b.Fatal(err)
			}
			h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				readAuth(b, FromContext(r.Context()).Get)
				w.WriteHeader(204)
			}))
			req, _ := http.NewRequest("GET", "/", nil)
			req.Header.Set("Cookie", "csrftoken=abc; sessionid="+bc.cookie)
			loop(b, func() {
				rec := newRecorder()
				h.ServeHTTP(rec, req)
				if rec.code != 204 {
					b.Fatal(rec.code)
				}
			})
		})
	}
}
