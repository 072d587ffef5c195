package apierror

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// TypeUnavailable is the [Detail.Type] of a 503 answered because a backing
// service (database, Redis) is down, unreachable or too slow.
const TypeUnavailable = "unavailable"

// UnavailableMsg is the message of that 503.
const UnavailableMsg = "Service temporarily unavailable, please retry later"

// UnavailableDescription documents the 503 in OpenAPI documents.
const UnavailableDescription = "Raised when a backing store (database, cache) is down, unreachable or too slow; retry after the given delay"

// DefaultRetryAfter is the Retry-After of an [UnavailableError] whose
// RetryAfter is zero.
const DefaultRetryAfter = time.Second

// ErrUnavailable matches, with errors.Is, every error marked as "a backing
// service is unavailable" by [Unavailable] (every *UnavailableError).
var ErrUnavailable error = &UnavailableError{}

// UnavailableError marks an error as an infrastructure failure: a store that
// is down, unreachable, locked or slower than its deadline. It answers 503 in
// the error model with a Retry-After header (see [UnavailableError.APIError]);
// the cause is never shown to clients.
type UnavailableError struct {
	// Err is the cause (a driver error, context.DeadlineExceeded…).
	Err error
	// RetryAfter is the delay suggested to clients; zero means
	// DefaultRetryAfter. It is written in whole seconds, at least 1.
	RetryAfter time.Duration
}

// Unavailable marks err as an infrastructure failure. It returns nil for a
// nil err and err itself when it is already marked.
func Unavailable(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrUnavailable) {
		return err
	}
	return &UnavailableError{Err: err}
}

// MarkUnavailable returns Unavailable(err) when [IsUnavailable] recognises
// err as an infrastructure failure, and err unchanged otherwise. Layers that
// call stores use it on every store error, so that the API answers 503
// instead of 500.
func MarkUnavailable(err error) error {
	if err == nil || !IsUnavailable(err) {
		return err
	}
	return Unavailable(err)
}

// MarkUnavailableCtx is MarkUnavailable for the error of an operation run
// under ctx: it also marks any error once ctx's deadline has passed (a driver
// interrupted by the deadline may report it as its own error, such as
// SQLite's "interrupted"). It is for the layers that bound store operations
// with context.WithTimeout.
func MarkUnavailableCtx(ctx context.Context, err error) error {
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return Unavailable(err)
	}
	return MarkUnavailable(err)
}

func (e *UnavailableError) Error() string {
	if e.Err == nil {
		return "service unavailable"
	}
	return "service unavailable: " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *UnavailableError) Unwrap() error { return e.Err }

// Is reports whether target is an *UnavailableError (ErrUnavailable).
func (e *UnavailableError) Is(target error) bool {
	_, ok := target.(*UnavailableError)
	return ok
}

// APIError implements [Coder]: 503 {"detail":[{"msg":UnavailableMsg,
// "type":"unavailable"}]} with Retry-After.
func (e *UnavailableError) APIError() *Error {
	d := e.RetryAfter
	if d <= 0 {
		d = DefaultRetryAfter
	}
	secs := int((d + time.Second - 1) / time.Second)
	ae := &Error{Status: http.StatusServiceUnavailable, Details: []Detail{{Msg: UnavailableMsg, Type: TypeUnavailable}}, Err: e}
	return ae.WithHeader("Retry-After", strconv.Itoa(secs))
}

// Answer returns the API answer to err: its own API form when it carries an
// error status (4xx or 5xx); else, for an infrastructure failure
// ([IsUnavailable]), a 503 with Retry-After, and unavailable is true; else
// nil, for the caller to log and answer [Internal]. Every layer that turns a
// handler, hook or middleware error into a response asks this one function.
func Answer(err error) (ae *Error, unavailable bool) {
	if ae, ok := As(err); ok && ae != nil && ae.Status >= 400 && ae.Status <= 599 {
		return ae, false
	}
	if IsUnavailable(err) {
		return (&UnavailableError{Err: err}).APIError(), true
	}
	return nil, false
}

// IsUnavailable reports whether err says that a backing service is down,
// unreachable, locked or too slow, rather than that the request or the data
// is wrong. It recognises, anywhere in err's chain:
//
//   - errors marked with [Unavailable] (ErrUnavailable);
//   - context.DeadlineExceeded (a store operation outlived its deadline);
//   - network errors (net.Error: refused or reset connections, DNS failures,
//     I/O timeouts) and the connection errnos ECONNREFUSED, ECONNRESET,
//     ECONNABORTED, EPIPE, ETIMEDOUT, EHOSTUNREACH, ENETUNREACH;
//   - io.ErrUnexpectedEOF (the server closed the connection mid-reply) and
//     driver.ErrBadConn;
//   - PostgreSQL errors (pgx's *pgconn.PgError, through its SQLState method)
//     of class 08 (connection exception) and 53 (insufficient resources:
//     too many connections, out of memory or disk), 57P01–57P03 (server
//     shutting down or starting), 57014 (statement timeout or cancel) and
//     55P03 (lock timeout);
//   - SQLite's SQLITE_BUSY and SQLITE_LOCKED (modernc.org/sqlite's *Error,
//     through its Code method, extended codes included).
//
// The drivers are recognised through their methods, so this package imports
// none of them. Client-side Redis errors (go-redis's closed client and pool
// timeouts) are marked by package redisstore, which knows them.
// context.Canceled is not unavailability: the client went away.
func IsUnavailable(err error) bool {
	for e := err; e != nil; {
		if unavailableLeaf(e) {
			return true
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			e = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, inner := range u.Unwrap() {
				if IsUnavailable(inner) {
					return true
				}
			}
			return false
		default:
			return false
		}
	}
	return false
}

func unavailableLeaf(e error) bool {
	switch e {
	case context.DeadlineExceeded, io.ErrUnexpectedEOF, driver.ErrBadConn:
		return true
	}
	switch v := e.(type) {
	case *UnavailableError:
		return true
	case syscall.Errno: // before net.Error, which every Errno satisfies
		switch v {
		case syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED, syscall.EPIPE,
			syscall.ETIMEDOUT, syscall.EHOSTUNREACH, syscall.ENETUNREACH:
			return true
		}
	case net.Error:
		return true
	case interface{ SQLState() string }:
		return unavailableSQLState(v.SQLState())
	case interface{ Code() int }:
		// SQLite result codes: the primary code is the low byte.
		switch v.Code() & 0xff {
		case 5, 6: // SQLITE_BUSY, SQLITE_LOCKED
			return true
		}
	}
	return false
}

func unavailableSQLState(s string) bool {
	switch {
	case strings.HasPrefix(s, "08"), strings.HasPrefix(s, "53"):
		return true
	}
	switch s {
	case "57P01", "57P02", "57P03", "57014", "55P03":
		return true
	}
	return false
}
