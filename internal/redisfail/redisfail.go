package redisfail

import (
	"errors"
	"io"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/dmr-go/dmr/apierror"
)

// Mark returns err marked apierror.ErrUnavailable when it says Redis is
// down, unreachable, too slow or not ready (see Down); other errors, nil and
// redis.Nil are returned unchanged.
func Mark(err error) error {
	if err == nil || errors.Is(err, redis.Nil) {
		return err
	}
	if Down(err) {
		return apierror.Unavailable(err)
	}
	return err
}

// Down reports whether err is an infrastructure failure: the generic ones
// (apierror.IsUnavailable: refused connections, I/O timeouts, deadlines),
// plus what only go-redis says: a connection closed by the server (io.EOF),
// a closed client, a pool wait that timed out or found the pool exhausted,
// and the server's LOADING, BUSY, MASTERDOWN, TRYAGAIN, CLUSTERDOWN and
// READONLY replies.
func Down(err error) bool {
	if apierror.IsUnavailable(err) {
		return true
	}
	if errors.Is(err, io.EOF) || errors.Is(err, redis.ErrClosed) || errors.Is(err, redis.ErrPoolTimeout) || errors.Is(err, redis.ErrPoolExhausted) {
		return true
	}
	var re redis.Error
	if errors.As(err, &re) {
		for _, p := range notReady {
			if strings.HasPrefix(re.Error(), p) {
				return true
			}
		}
	}
	return false
}

// notReady are the prefixes of the server replies that mean "not now".
var notReady = [...]string{"LOADING ", "BUSY ", "MASTERDOWN ", "TRYAGAIN ", "CLUSTERDOWN ", "READONLY "}
