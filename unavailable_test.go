package dmr_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/commit"
)

// TestUnavailableErrors: a handler or commit error that is an
// infrastructure failure (a store past its deadline, a refused connection)
// answers 503 with Retry-After in the error model where the operation
// declares it, is logged once per interval, and an undeclared 503 is a 422
// like any undeclared status.
func TestUnavailableErrors(t *testing.T) {
	var logs bytes.Buffer
	api := dmr.New(dmr.Config{Prefix: "/api", Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	c := api.Controller(dmr.ControllerConfig{Name: "Store", Path: "/store/"})
	storeDown := func(context.Context, *struct{}) (*string, error) {
		return nil, fmt.Errorf("list: %w", context.DeadlineExceeded)
	}
	dmr.Get(c, dmr.Operation{Responses: []dmr.Response{{Status: http.StatusServiceUnavailable, Description: apierror.UnavailableDescription}}}, storeDown)
	dmr.Delete(c, dmr.Operation{}, storeDown) // 503 not declared
	dmr.Put(c, dmr.Operation{}, func(context.Context, *struct{}) (*string, error) {
		s := "ok"
		return &s, nil
	})
	// A middleware's commit hook (a session save) failing with a refused
	// connection that has no API form.
	withHook := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = commit.Register(r, func(context.Context, http.Header, int) error {
			return fmt.Errorf("save: %w", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")})
		})
		api.ServeHTTP(w, r)
	})
	body503 := `{"detail":[{"msg":"Service temporarily unavailable, please retry later","type":"unavailable"}]}`
	for range 50 {
		got := serve(api, do{"GET", "/api/store/", "", nil})
		expect(t, got, 503, body503)
		if got.header.Get("Retry-After") != "1" {
			t.Fatalf("Retry-After %q", got.header.Get("Retry-After"))
		}
	}
	if n := strings.Count(logs.String(), "backing service unavailable"); n != 1 {
		t.Errorf("%d log lines for 50 identical failures, want 1:\n%s", n, logs.String())
	}
	expect(t, serve(api, do{"DELETE", "/api/store/", "", nil}), 422,
		`{"detail":[{"msg":"Returned status code 503 is not specified in the list of allowed status codes: [200, 422, 406]","type":"value_error"}]}`)
	got := serve(withHook, do{"PUT", "/api/store/", "", nil})
	expect(t, got, 503, body503)
	if got.header.Get("Retry-After") != "1" {
		t.Fatalf("commit failure: Retry-After %q", got.header.Get("Retry-After"))
	}
}
