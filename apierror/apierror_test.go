package apierror_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/dmr-go/dmr/apierror"
)

type coder struct{ status int }

func (c coder) Error() string { return "coder" }
func (c coder) APIError() *apierror.Error {
	return apierror.New(c.status, "from coder", apierror.TypeSecurity)
}

type multi []error

func (m multi) Error() string   { return "multi" }
func (m multi) Unwrap() []error { return m }

func TestAs(t *testing.T) {
	direct := apierror.New(http.StatusTeapot, "teapot", "")
	for _, tc := range []struct {
		name   string
		err    error
		status int // 0: not found
	}{
		{"nil", nil, 0},
		{"plain", errors.New("x"), 0},
		{"direct", direct, http.StatusTeapot},
		{"wrapped", fmt.Errorf("ctx: %w", direct), http.StatusTeapot},
		{"coder", coder{http.StatusForbidden}, http.StatusForbidden},
		{"wrapped coder", fmt.Errorf("a: %w", fmt.Errorf("b: %w", coder{http.StatusUnauthorized})), http.StatusUnauthorized},
		{"joined", errors.Join(errors.New("x"), coder{http.StatusConflict}), http.StatusConflict},
		{"multi none", multi{errors.New("x"), errors.New("y")}, 0},
		{"first wins", fmt.Errorf("%w", errors.Join(direct, coder{http.StatusConflict})), http.StatusTeapot},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := apierror.As(tc.err)
			if tc.status == 0 {
				if ok || got != nil {
					t.Fatalf("As = %v, %v; want none", got, ok)
				}
				return
			}
			if !ok || got.Status != tc.status {
				t.Fatalf("As = %v, %v; want status %d", got, ok, tc.status)
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	e := &apierror.Error{Status: 400, Details: []apierror.Detail{{Msg: "a"}, {Msg: "b"}}, Err: errors.New("cause")}
	if got := e.Error(); got != "400 Bad Request: a; b: cause" {
		t.Fatalf("Error() = %q", got)
	}
	if !errors.Is(e, e.Err) {
		t.Fatal("Unwrap does not reach the cause")
	}
	e.WithHeader("Retry-After", "3")
	if e.Header.Get("Retry-After") != "3" {
		t.Fatal("WithHeader")
	}
}

func ExampleAs() {
	err := fmt.Errorf("loading: %w", apierror.New(http.StatusNotFound, "No such note", apierror.TypeNotFound))
	if ae, ok := apierror.As(err); ok {
		fmt.Println(ae.Status, ae.Details[0].Msg, ae.Details[0].Type)
	}
	// Output: 404 No such note not_found
}

func ExampleNewf() {
	e := apierror.Newf(http.StatusConflict, "Username %q is taken", "ada")
	fmt.Println(e)
	// Output: 409 Conflict: Username "ada" is taken
}
