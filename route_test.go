package dmr_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dmr-go/dmr"
)

// routeName answers with the name of the controller that served the
// request, so the tests see which template won.
// The templates name their parameters {p1}, {p2}… in order.
func routeName(c *dmr.Controller, method, name string) {
	op := dmr.Operation{OperationID: method + name}
	switch strings.Count(c.Path(), "{") {
	case 0:
		dmr.Register(c, method, op, func(ctx context.Context, _ *struct{}) (*string, error) { return &name, nil })
	case 1:
		dmr.Register(c, method, op, func(ctx context.Context, _ *struct {
			P1 string `path:"p1"`
		}) (*string, error) {
			return &name, nil
		})
	case 2:
		dmr.Register(c, method, op, func(ctx context.Context, _ *struct {
			P1 string `path:"p1"`
			P2 string `path:"p2"`
		}) (*string, error) {
			return &name, nil
		})
	}
}

// TestRouteConflicts registers pairs of templates and checks, for each, that
// dmr refuses exactly the pairs net/http's ServeMux refuses, and that the
// message names both templates.
func TestRouteConflicts(t *testing.T) {
	for _, tc := range []struct {
		first, second string
		conflict      bool
	}{
		{"/a/{x}/b", "/a/c/{y}", true},
		{"/a/c/{y}", "/a/{x}/b", true},
		{"/{x}/b/{z}", "/a/{y}/c", true},
		{"/a/c/b", "/a/{x}/b", false}, // the literal path is more specific
		{"/a/{x}/b", "/a/c/b", false},
		{"/a/{x}/b", "/a/{x}/{y}", false}, // the first is more specific
		{"/a/{x}/{y}", "/a/c/{z}", false},
		{"/{x}/{y}", "/a/b/{z}", false}, // different lengths never meet
		{"/a/{x}", "/b/{x}", false},     // disjoint literals
		{"/a/{x}/b", "/a/{x}/c", false},
	} {
		t.Run(tc.first+" "+tc.second, func(t *testing.T) {
			api := dmr.New(dmr.Config{})
			api.Controller(dmr.ControllerConfig{Name: "First", Path: tc.first})
			msg := func() (msg string) {
				defer func() {
					if v := recover(); v != nil {
						msg = fmt.Sprint(v)
					}
				}()
				api.Controller(dmr.ControllerConfig{Name: "Second", Path: tc.second})
				return ""
			}()
			if got := msg != ""; got != tc.conflict {
				t.Fatalf("conflict = %v (%q), want %v", got, msg, tc.conflict)
			}
			if tc.conflict && (!strings.Contains(msg, tc.first) || !strings.Contains(msg, tc.second) ||
				!strings.Contains(msg, "controller First") || !strings.Contains(msg, "neither is more specific")) {
				t.Errorf("message %q does not name both templates and their controllers", msg)
			}
			// ServeMux judges the same pair the same way.
			mux := http.NewServeMux()
			mux.HandleFunc(tc.first, func(http.ResponseWriter, *http.Request) {})
			muxMsg := func() (msg string) {
				defer func() {
					if v := recover(); v != nil {
						msg = fmt.Sprint(v)
					}
				}()
				mux.HandleFunc(tc.second, func(http.ResponseWriter, *http.Request) {})
				return ""
			}()
			if (muxMsg != "") != tc.conflict {
				t.Errorf("ServeMux disagrees: %q", muxMsg)
			}
		})
	}
}

// TestRoutePrecedence checks which template serves a path, and the 405
// answers, with overlapping (non-conflicting) templates registered in
// either order.
func TestRoutePrecedence(t *testing.T) {
	type reg struct{ path, method, name string }
	regs := []reg{
		{"/a/{p1}/{p2}", "GET", "XY"},
		{"/a/{p1}/b", "GET", "XB"},
		{"/a/c/b", "POST", "CB"},
		{"/a/c/{p1}/", "GET", "CYSlash"},
		{"/{p1}/c/d/e", "DELETE", "WCD"},
	}
	cases := []struct {
		method, path string
		status       int
		want         string // the controller name, or the Allow header for 405
	}{
		{"GET", "/a/q/b", 200, "XB"},        // literal b beats {y}
		{"GET", "/a/q/r", 200, "XY"},        // only the general one matches
		{"GET", "/a/c/b", 200, "XB"},        // /a/c/b has no GET: the next most specific does
		{"POST", "/a/c/b", 201, "CB"},       // the exact path
		{"PUT", "/a/c/b", 405, "GET, POST"}, // every matching template's methods
		{"GET", "/a/c/d", 200, "XY"},
		{"DELETE", "/a/c/d/e", 200, "WCD"},
		{"PATCH", "/a/c/d/e", 405, "DELETE"},
		{"PATCH", "/a/c/d", 405, "GET"},
		{"GET", "/a/c/z/", 200, "CYSlash"},
		{"GET", "/a/c/z", 200, "XY"}, // no trailing slash: another template
		{"GET", "/a//b", 404, ""},    // a parameter never matches an empty segment
		{"GET", "/a/c", 404, ""},
	}
	for _, reverse := range []bool{false, true} {
		api := dmr.New(dmr.Config{})
		order := append([]reg(nil), regs...)
		if reverse {
			for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
				order[i], order[j] = order[j], order[i]
			}
		}
		for _, r := range order {
			routeName(api.Controller(dmr.ControllerConfig{Name: r.name, Path: r.path}), r.method, r.name)
		}
		for _, tc := range cases {
			t.Run(fmt.Sprintf("reverse=%v %s %s", reverse, tc.method, tc.path), func(t *testing.T) {
				rec := httptest.NewRecorder()
				api.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
				if rec.Code != tc.status {
					t.Fatalf("status %d %s, want %d", rec.Code, rec.Body, tc.status)
				}
				switch tc.status {
				case 200, 201:
					if got := strings.Trim(rec.Body.String(), "\"\n"); got != tc.want {
						t.Errorf("served by %s, want %s", got, tc.want)
					}
				case 405:
					if got := rec.Header().Get("Allow"); got != tc.want {
						t.Errorf("Allow %q, want %q", got, tc.want)
					}
					if !strings.Contains(rec.Body.String(), `"type":"not_allowed"`) {
						t.Errorf("405 body %s is not in the error model", rec.Body)
					}
				case 404:
					if !strings.Contains(rec.Body.String(), `"type":"not_found"`) {
						t.Errorf("404 body %s is not in the error model", rec.Body)
					}
				}
			})
		}
	}
}
