package redisfail

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/dmr-go/dmr/apierror"
)

// replyError is a server reply, as go-redis returns one (redis.Error).
type replyError string

func (e replyError) Error() string { return string(e) }
func (replyError) RedisError()     {}

func TestMark(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{redis.Nil, false},
		{io.EOF, true},
		{redis.ErrClosed, true},
		{fmt.Errorf("get: %w", redis.ErrPoolTimeout), true},
		{redis.ErrPoolExhausted, true},
		{context.DeadlineExceeded, true},
		{replyError("LOADING Redis is loading the dataset in memory"), true},
		{fmt.Errorf("evalsha: %w", replyError("READONLY You can't write against a read only replica.")), true},
		{replyError("ERR Error running script"), false},
		{errors.New("plain"), false},
	} {
		if got := errors.Is(Mark(tc.err), apierror.ErrUnavailable); got != tc.want {
			t.Errorf("Mark(%v) unavailable = %v, want %v", tc.err, got, tc.want)
		}
	}
	if Mark(nil) != nil {
		t.Fatal("Mark(nil) != nil")
	}
	if err := errors.New("plain"); Mark(err) != err {
		t.Fatal("an answer was rewrapped")
	}
}

func ExampleMark() {
	err := Mark(fmt.Errorf("get session: %w", io.EOF)) // the server closed the connection
	fmt.Println(errors.Is(err, apierror.ErrUnavailable), errors.Is(Mark(redis.Nil), apierror.ErrUnavailable))
	// Output: true false
}
