package bodytimeout

import (
	"errors"
	"net"
	"net/http"
	"os"
	"time"
)

// DefaultTimeout is the bound on reading a request body when none is
// configured: generous for a real upload of an API's JSON body, short enough
// that stalled connections do not pile up.
const DefaultTimeout = 30 * time.Second

// Options configure Handler.
type Options struct {
	// Timeout is how long a request's body may take to arrive, counted
	// from when the handler starts. Zero means DefaultTimeout; negative
	// disables the deadline (the handler then only forwards).
	Timeout time.Duration
}

// Handler returns h with its request bodies read under a deadline (see the
// package documentation).
func Handler(h http.Handler, o Options) http.Handler {
	d := o.Timeout
	if d == 0 {
		d = DefaultTimeout
	}
	if d < 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			// A ResponseWriter without deadlines (a test recorder) gets none.
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(d))
		}
		h.ServeHTTP(w, r)
	})
}

// IsTimeout reports whether err, returned by a request body's Read, means
// the body did not arrive before its deadline.
func IsTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}
