package apierror_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/dmr-go/dmr/apierror"
)

// Stand-ins with the methods of the drivers' error types (pgx's
// *pgconn.PgError has SQLState, modernc.org/sqlite's *Error has Code): the
// classifier recognises them by those methods.
type sqlStateErr string

func (e sqlStateErr) Error() string    { return "pg: " + string(e) }
func (e sqlStateErr) SQLState() string { return string(e) }

type sqliteErr int

func (e sqliteErr) Error() string { return fmt.Sprintf("sqlite: %d", int(e)) }
func (e sqliteErr) Code() int     { return int(e) }

func TestIsUnavailable(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain", errors.New("boom"), false},
		{"marked", apierror.Unavailable(errors.New("x")), true},
		{"deadline", fmt.Errorf("load: %w", context.DeadlineExceeded), true},
		{"canceled is the client leaving", context.Canceled, false},
		{"dial refused", fmt.Errorf("connect: %w", refused), true},
		{"errno reset", fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{"errno other", syscall.ENOENT, false},
		{"unexpected EOF", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{"EOF alone is not", io.EOF, false},
		{"bad conn", driver.ErrBadConn, true},
		{"pg connection exception", sqlStateErr("08006"), true},
		{"pg too many connections", sqlStateErr("53300"), true},
		{"pg shutting down", sqlStateErr("57P01"), true},
		{"pg cannot connect now", sqlStateErr("57P03"), true},
		{"pg statement timeout", sqlStateErr("57014"), true},
		{"pg lock timeout", sqlStateErr("55P03"), true},
		{"pg unique violation", sqlStateErr("23505"), false},
		{"pg syntax error", sqlStateErr("42601"), false},
		{"sqlite busy", sqliteErr(5), true},
		{"sqlite locked", sqliteErr(6), true},
		{"sqlite busy snapshot (extended)", sqliteErr(5 | 2<<8), true},
		{"sqlite constraint", sqliteErr(19), false},
		{"joined", errors.Join(errors.New("a"), sqliteErr(5)), true},
		{"joined none", errors.Join(errors.New("a"), errors.New("b")), false},
		{"an API error is not", apierror.New(400, "bad", ""), false},
	} {
		if got := apierror.IsUnavailable(tc.err); got != tc.want {
			t.Errorf("%s: IsUnavailable(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}

func TestUnavailableAPIError(t *testing.T) {
	cause := errors.New("dial tcp: connection refused")
	err := fmt.Errorf("loading: %w", apierror.Unavailable(cause))
	if !errors.Is(err, apierror.ErrUnavailable) || !errors.Is(err, cause) {
		t.Fatal("errors.Is must reach ErrUnavailable and the cause")
	}
	ae, ok := apierror.As(err)
	if !ok || ae.Status != http.StatusServiceUnavailable || ae.Header.Get("Retry-After") != "1" ||
		len(ae.Details) != 1 || ae.Details[0].Type != apierror.TypeUnavailable || ae.Details[0].Msg != apierror.UnavailableMsg {
		t.Fatalf("As = %+v, %v", ae, ok)
	}
	long := &apierror.UnavailableError{Err: cause, RetryAfter: 2500 * time.Millisecond}
	if got := long.APIError().Header.Get("Retry-After"); got != "3" {
		t.Fatalf("Retry-After = %q, want 3 (rounded up)", got)
	}
	if apierror.Unavailable(nil) != nil || apierror.MarkUnavailable(nil) != nil {
		t.Fatal("nil stays nil")
	}
	if u := apierror.Unavailable(err); u != err {
		t.Fatal("an error already marked is returned as is")
	}
	plain := errors.New("constraint")
	if apierror.MarkUnavailable(plain) != plain {
		t.Fatal("MarkUnavailable must leave other errors alone")
	}
}

func TestMarkUnavailableCtx(t *testing.T) {
	interrupted := sqliteErr(9) // SQLITE_INTERRUPT: what the driver says when the deadline stops it
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	if !errors.Is(apierror.MarkUnavailableCtx(ctx, interrupted), apierror.ErrUnavailable) {
		t.Fatal("an error after the deadline must be marked")
	}
	if errors.Is(apierror.MarkUnavailableCtx(context.Background(), interrupted), apierror.ErrUnavailable) {
		t.Fatal("the same error without a passed deadline must not be marked")
	}
	canceled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if errors.Is(apierror.MarkUnavailableCtx(canceled, interrupted), apierror.ErrUnavailable) {
		t.Fatal("a canceled request is not unavailability")
	}
}

func TestWrite(t *testing.T) {
	rec := httptest.NewRecorder()
	rec.Header().Set("Content-Encoding", "gzip")
	ae, _ := apierror.As(apierror.Unavailable(errors.New("x")))
	apierror.Write(rec, ae)
	if rec.Code != 503 || rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("Retry-After") != "1" ||
		rec.Header().Get("Content-Encoding") != "" {
		t.Fatalf("%d %v", rec.Code, rec.Header())
	}
	want := `{"detail":[{"msg":"Service temporarily unavailable, please retry later","type":"unavailable"}]}`
	if rec.Body.String() != want {
		t.Fatalf("body %s, want %s", rec.Body, want)
	}
}

func ExampleIsUnavailable() {
	err := fmt.Errorf("load session: %w", context.DeadlineExceeded)
	fmt.Println(apierror.IsUnavailable(err))
	ae, _ := apierror.As(apierror.MarkUnavailable(err))
	fmt.Println(ae.Status, ae.Header.Get("Retry-After"), ae.Details[0].Type)
	// Output:
	// true
	// 503 1 unavailable
}
