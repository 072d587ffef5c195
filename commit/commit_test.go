package commit_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/commit"
)

func TestRunOrderAndOnce(t *testing.T) {
	var order []string
	r := httptest.NewRequest("GET", "/", nil)
	r = commit.Register(r, func(ctx context.Context, h http.Header, status int) error {
		order = append(order, fmt.Sprint("outer ", status))
		h.Add("X-Seen", "outer")
		return nil
	})
	r = commit.Register(r, func(ctx context.Context, h http.Header, status int) error {
		order = append(order, fmt.Sprint("inner ", status))
		h.Add("X-Seen", "inner")
		return nil
	})
	if !commit.Pending(r.Context()) || commit.Done(r.Context()) {
		t.Fatal("want pending, not done")
	}
	h := http.Header{}
	if err := commit.Run(r.Context(), h, 201); err != nil {
		t.Fatal(err)
	}
	if err := commit.Run(r.Context(), h, 500); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(order, ","); got != "inner 201,outer 201" {
		t.Fatalf("order = %s", got)
	}
	if got := strings.Join(h.Values("X-Seen"), ","); got != "inner,outer" {
		t.Fatalf("headers = %s", got)
	}
	if commit.Pending(r.Context()) || !commit.Done(r.Context()) {
		t.Fatal("want done")
	}
}

func TestRunStopsAtFirstError(t *testing.T) {
	boom := errors.New("boom")
	ran := false
	r := httptest.NewRequest("GET", "/", nil)
	r = commit.Register(r, func(context.Context, http.Header, int) error { ran = true; return nil })
	r = commit.Register(r, func(context.Context, http.Header, int) error { return boom })
	if err := commit.Run(r.Context(), http.Header{}, 200); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if ran {
		t.Fatal("a func after the failing one ran")
	}
	if err := commit.Run(r.Context(), http.Header{}, 200); !errors.Is(err, boom) {
		t.Fatalf("second Run = %v, want the first error", err)
	}
	if err := commit.Run(context.Background(), http.Header{}, 200); err != nil {
		t.Fatalf("Run without funcs = %v", err)
	}
}

func stateful(status *int) func(*http.Request) *http.Request {
	return func(r *http.Request) *http.Request {
		return commit.Register(r, func(_ context.Context, h http.Header, s int) error {
			*status = s
			h.Set("Set-Cookie", "sessionid=abc")
			return nil
		})
	}
}

func TestWrap(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler func(w http.ResponseWriter)
		status  int
	}{
		{"WriteHeader", func(w http.ResponseWriter) { w.WriteHeader(http.StatusCreated) }, 201},
		{"Write", func(w http.ResponseWriter) { _, _ = w.Write([]byte("hi")) }, 200},
		{"Flush", func(w http.ResponseWriter) { _ = http.NewResponseController(w).Flush() }, 200},
		{"nothing", func(w http.ResponseWriter) {}, 200},
		{"informational first", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(http.StatusAccepted)
		}, 202},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got int
			r := stateful(&got)(httptest.NewRequest("GET", "/", nil))
			rec := httptest.NewRecorder()
			w := commit.Wrap(rec, r, nil)
			if commit.Wrap(w, r, nil) != w {
				t.Fatal("Wrap wrapped twice")
			}
			tc.handler(w)
			w.(*commit.ResponseWriter).Finish()
			// (httptest.ResponseRecorder keeps the first, informational, code.)
			if got != tc.status || (rec.Code != tc.status && rec.Code >= 200) || rec.Header().Get("Set-Cookie") != "sessionid=abc" {
				t.Fatalf("commit saw %d, response %d, cookie %q", got, rec.Code, rec.Header().Get("Set-Cookie"))
			}
		})
	}
}

func TestWrapFailure(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r = commit.Register(r, func(context.Context, http.Header, int) error { return errors.New("session interrupted") })
	rec := httptest.NewRecorder()
	w := commit.Wrap(rec, r, func(w http.ResponseWriter, r *http.Request, err error) {
		http.Error(w, err.Error(), http.StatusBadRequest)
	})
	_, _ = w.Write([]byte("handler body"))
	_, _ = w.Write([]byte("more"))
	if rec.Code != 400 || strings.Contains(rec.Body.String(), "handler body") || !strings.Contains(rec.Body.String(), "session interrupted") {
		t.Fatalf("got %d %q", rec.Code, rec.Body.String())
	}
}

func TestWrapUnwrap(t *testing.T) {
	rec := httptest.NewRecorder()
	w := commit.Wrap(rec, httptest.NewRequest("GET", "/", nil), nil)
	if w.(interface{ Unwrap() http.ResponseWriter }).Unwrap() != rec {
		t.Fatal("Unwrap does not return the wrapped writer")
	}
	// The recorder cannot hijack: the error comes through, not a panic.
	if _, _, err := w.(http.Hijacker).Hijack(); !errors.Is(err, http.ErrNotSupported) {
		t.Fatalf("Hijack = %v", err)
	}
}

// A middleware keeping per-request state registers a commit func and wraps the
// writer; the state is written just before the header goes out.
func ExampleWrap() {
	middleware := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r = commit.Register(r, func(_ context.Context, h http.Header, status int) error {
				if status < 500 {
					h.Set("X-State", "saved")
				}
				return nil
			})
			cw := commit.Wrap(w, r, nil)
			next.ServeHTTP(cw, r)
			cw.(*commit.ResponseWriter).Finish()
		})
	}
	h := middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "hello")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	fmt.Println(rec.Code, rec.Header().Get("X-State"), rec.Body.String())
	// Output: 200 saved hello
}

// An API layer that knows its final status runs the funcs itself.
func ExampleRun() {
	r := commit.Register(httptest.NewRequest("GET", "/", nil), func(_ context.Context, h http.Header, status int) error {
		h.Set("X-Status-Seen", fmt.Sprint(status))
		return nil
	})
	h := http.Header{}
	if err := commit.Run(r.Context(), h, http.StatusCreated); err != nil {
		fmt.Println(err)
	}
	fmt.Println(h.Get("X-Status-Seen"))
	// Output: 201
}

// TestWrapDefaultErrorWriter: a failing commit under a wrapper without an
// ErrorWriter answers in the error model: the error's API form, 503 for an
// unavailable store, else 500, never plain text.
func TestWrapDefaultErrorWriter(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		status int
		body   string
	}{
		{"api form", apierror.New(http.StatusBadRequest, "Interrupted", ""), 400, `{"detail":[{"msg":"Interrupted"}]}`},
		{"unavailable", fmt.Errorf("save: %w", context.DeadlineExceeded), 503,
			`{"detail":[{"msg":"Service temporarily unavailable, please retry later","type":"unavailable"}]}`},
		{"other", errors.New("boom"), 500, `{"detail":[{"msg":"Internal server error","type":"internal_error"}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r = commit.Register(r, func(context.Context, http.Header, int) error { return tc.err })
			rec := httptest.NewRecorder()
			w := commit.Wrap(rec, r, nil)
			_, _ = w.Write([]byte("handler body"))
			if rec.Code != tc.status || rec.Header().Get("Content-Type") != "application/json" || rec.Body.String() != tc.body {
				t.Fatalf("%d %q %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
			}
		})
	}
}
