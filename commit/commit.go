package commit

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/internal/reqstate"
)

// Func writes a middleware's per-request state out. h is the response header about
// to be sent and status its status code. It runs at most once per request.
type Func func(ctx context.Context, h http.Header, status int) error

// Hook is a commit function as a method, for middlewares whose per-request
// state has one: registering a pointer through [Add] costs no allocation,
// where a method value passed to [Register] costs one.
type Hook = reqstate.Hook

// Commit makes a Func a [Hook].
func (f Func) Commit(ctx context.Context, h http.Header, status int) error {
	return f(ctx, h, status)
}

// Register adds f to the request's commit list and returns the request to pass
// on (with the list in its context). Calling Register several times on one
// request chain shares one list.
func Register(r *http.Request, f Func) *http.Request { return Add(r, f) }

// Add is [Register] for a [Hook].
func Add(r *http.Request, h Hook) *http.Request {
	st, r := reqstate.Ensure(r)
	c := st.Commit()
	c.Mu.Lock()
	c.Append(h)
	c.Mu.Unlock()
	return r
}

// Pending reports whether ctx carries commit funcs that have not run yet.
func Pending(ctx context.Context) bool {
	c := list(ctx)
	if c == nil {
		return false
	}
	c.Mu.Lock()
	defer c.Mu.Unlock()
	return !c.Done && len(c.Hooks) > 0
}

// Done reports whether the commit funcs of ctx have already run.
func Done(ctx context.Context) bool {
	c := list(ctx)
	if c == nil {
		return false
	}
	c.Mu.Lock()
	defer c.Mu.Unlock()
	return len(c.Hooks) > 0 && c.Done
}

// list returns ctx's commit list, or nil.
func list(ctx context.Context) *reqstate.Commit {
	if st := reqstate.From(ctx); st != nil {
		return st.Commit()
	}
	return nil
}

// Run calls the request's commit funcs, innermost first, once. It stops at the
// first error and returns it; later calls return the same error without running
// anything. With no registered funcs it returns nil.
func Run(ctx context.Context, h http.Header, status int) error {
	c := list(ctx)
	if c == nil {
		return nil
	}
	c.Mu.Lock()
	defer c.Mu.Unlock()
	if len(c.Hooks) == 0 {
		return nil // nothing registered: Done stays false, as without a list
	}
	if c.Done {
		return c.Err
	}
	c.Done = true
	for i := len(c.Hooks) - 1; i >= 0; i-- {
		if err := c.Hooks[i].Commit(ctx, h, status); err != nil {
			c.Err = err
			break
		}
	}
	return c.Err
}

// ErrorWriter writes an error response when a commit func fails inside
// [ResponseWriter]. The header has not been sent yet when it is called.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, err error)

// Wrap returns a ResponseWriter that runs the request's commit funcs just before
// the header is first written (by WriteHeader, Write or a Flush), for plain
// net/http handlers that do not call Run themselves. It never buffers the body,
// and it implements Unwrap so http.ResponseController reaches the underlying
// writer's Flush, Hijack, SetReadDeadline and so on.
//
// When a commit func fails, onErr (or [WriteError] when nil) answers instead
// of the handler, and whatever the handler writes afterwards is discarded.
//
// If the request already carries a wrapper from an outer middleware, Wrap
// returns w unchanged.
func Wrap(w http.ResponseWriter, r *http.Request, onErr ErrorWriter) http.ResponseWriter {
	if _, ok := w.(*ResponseWriter); ok {
		return w
	}
	return &ResponseWriter{rw: w, req: r, onErr: onErr}
}

// ResponseWriter is the wrapper returned by [Wrap].
type ResponseWriter struct {
	rw          http.ResponseWriter
	req         *http.Request
	onErr       ErrorWriter
	wroteHeader bool
	failed      bool
}

// Unwrap returns the underlying ResponseWriter.
func (w *ResponseWriter) Unwrap() http.ResponseWriter { return w.rw }

// Header returns the underlying header map.
func (w *ResponseWriter) Header() http.Header { return w.rw.Header() }

// WriteHeader runs the commit funcs, then sends the header.
func (w *ResponseWriter) WriteHeader(status int) {
	if w.wroteHeader {
		w.rw.WriteHeader(status) // let net/http report the superfluous call
		return
	}
	if status >= 100 && status < 200 && status != http.StatusSwitchingProtocols {
		w.rw.WriteHeader(status) // informational: no commit yet
		return
	}
	w.wroteHeader = true
	if err := Run(w.req.Context(), w.rw.Header(), status); err != nil {
		w.failed = true
		if w.onErr != nil {
			w.onErr(w.rw, w.req, err)
		} else {
			WriteError(w.rw, w.req, err)
		}
		return
	}
	w.rw.WriteHeader(status)
}

// Write sends the header with status 200 first if needed.
func (w *ResponseWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.failed {
		return len(p), nil
	}
	return w.rw.Write(p)
}

// Flush implements http.Flusher.
func (w *ResponseWriter) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.failed {
		return
	}
	_ = http.NewResponseController(w.rw).Flush()
}

// Hijack implements http.Hijacker; the commit funcs run first with status 101.
func (w *ResponseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if !w.wroteHeader {
		w.wroteHeader = true
		if err := Run(w.req.Context(), w.rw.Header(), http.StatusSwitchingProtocols); err != nil {
			return nil, nil, fmt.Errorf("commit before hijack: %w", err)
		}
	}
	return http.NewResponseController(w.rw).Hijack()
}

// Finish runs the commit funcs for a handler that returned without writing
// anything (net/http then sends 200 with an empty body). Middlewares call it
// after the handler returns.
func (w *ResponseWriter) Finish() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
}

// WriteError is the default [ErrorWriter]: err's API form (apierror.As: an
// interrupted session's 400, an unavailable store's 503 with Retry-After…),
// else a 503 for an infrastructure failure (apierror.IsUnavailable), else a
// 500, always in the default error model (apierror.Write), never as plain
// text.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	ae, _ := apierror.Answer(err)
	if ae == nil {
		ae = apierror.Internal()
	}
	apierror.Write(w, ae)
}

// LogLate logs, at error level, a change to per-request state made after the
// commit ran: it would otherwise be lost silently.
func LogLate(ctx context.Context, logger *slog.Logger, what string) {
	if logger == nil {
		logger = slog.Default()
	}
	logger.ErrorContext(ctx, "change after the response header was sent is not saved", "what", what)
}
