package dmr

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestTokenizePath(t *testing.T) {
	for _, tc := range []struct {
		path string
		want []string
	}{
		{"/api/users/{user_id}", []string{"Api", "Users", "UserId"}},
		{"/user-profile_settings", []string{"UserProfileSettings"}},
		{"/users/123", []string{"Users", "123"}},
		{"/", nil},
		{"", nil},
		{"/api/apicontroller/", []string{"Api", "Apicontroller"}},
		{"APIController/api/apicontroller/", []string{"Apicontroller", "Api", "Apicontroller"}},
		{"/users/{id}/posts/{post_id}/", []string{"Users", "Id", "Posts", "PostId"}},
		{"//double//slash//", []string{"Double", "Slash"}},
		{"/api/v1.2/items", []string{"Api", "V12", "Items"}},
		{"/a~b/c.d-e_f", []string{"AB", "CDEF"}},
		{"/UPPER/MiXeD", []string{"Upper", "Mixed"}},
		{"/with space/and%20percent", []string{"Withspace", "And20percent"}},
		{"/-leading/trailing-/", []string{"Leading", "Trailing"}},
		{"/__/", nil},
		{"/ünïcode/", []string{"Ünïcode"}},
		{"/{}/", nil},
	} {
		got := TokenizePath(tc.path)
		if !slices.Equal(got, tc.want) {
			t.Errorf("TokenizePath(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
}

func TestOperationID(t *testing.T) {
	for _, tc := range []struct{ method, ctrl, path, want string }{
		{"GET", "APIController", "/api/apicontroller/", "getApicontrollerApiApicontroller"},
		{"POST", "SessionSyncController", "/api/sessionsynccontroller/", "postSessionsynccontrollerApiSessionsynccontroller"},
		{"GET", "_AuthedAndCookiesController", "/api/cookies/", "getAuthedandcookiescontrollerApiCookies"},
		{"QUERY", "Search", "/", "querySearch"},
	} {
		if got := OperationID(tc.method, tc.ctrl, tc.path); got != tc.want {
			t.Errorf("OperationID(%s, %s, %s) = %s, want %s", tc.method, tc.ctrl, tc.path, got, tc.want)
		}
	}
}

func TestAcceptsJSON(t *testing.T) {
	for _, tc := range []struct {
		accept []string
		want   bool
	}{
		{nil, true},
		{[]string{""}, true},
		{[]string{"application/json"}, true},
		{[]string{"APPLICATION/JSON"}, true},
		{[]string{"application/json; charset=utf-8"}, true},
		{[]string{"application/json; charset=latin-1"}, false},
		{[]string{"application/json;version=2"}, false},
		{[]string{"*/*"}, true},
		{[]string{"application/*"}, true},
		{[]string{"text/html"}, false},
		{[]string{"text/html, application/xhtml+xml, application/xml;q=0.9, */*;q=0.8"}, true},
		{[]string{"text/html", "application/json"}, true},
		{[]string{"application/json;q=0"}, false},
		{[]string{"application/json;q=0, */*"}, false},
		{[]string{"application/json;q=0.5, */*;q=0"}, true},
		{[]string{"*/*;q=0"}, false},
		{[]string{"application/*;q=0, */*"}, false},
		{[]string{"application/json;q=abc"}, false},
		{[]string{"application/json;q=1.5"}, false},
		{[]string{"application/json;q=0.001"}, true},
		{[]string{"garbage"}, false},
		{[]string{",,,"}, true},
		{[]string{"application/json ; q=1 "}, true},
		{[]string{"application/json;q=\"0.5\""}, true},
	} {
		if got := acceptsJSON(tc.accept); got != tc.want {
			t.Errorf("acceptsJSON(%q) = %v, want %v", tc.accept, got, tc.want)
		}
	}
}

func FuzzAccept(f *testing.F) {
	for _, s := range []string{"", "application/json", "*/*;q=0.1", "text/html, application/xml;q=0.9, */*;q=0.8",
		"application/json;q=0", "application/*;charset=utf-8;q=0.5", `a/b;q="1"`, ";;;", "application/json;;q=", "\x00/\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := acceptsJSON([]string{s})
		// A first, unconditional application/json always wins.
		if !acceptsJSON([]string{"application/json, " + s}) {
			t.Fatalf("application/json, %q: refused", s)
		}
		// A range that cannot match JSON changes nothing once the header
		// has an entry.
		if hasEntry(s) {
			if acceptsJSON([]string{s + ", text/plain"}) != got {
				t.Fatalf("%q: adding text/plain changed the answer", s)
			}
		}
		_ = errNotAcceptable([]string{s})
	})
}

func TestRouteParsing(t *testing.T) {
	for _, bad := range []string{"/a/{}/", "/a/{x}{y}/", "/a/x{y}/", "/a/{x}/{x}/", "/a?b"} {
		if _, err := parseRoute(bad); err == nil {
			t.Errorf("parseRoute(%q) accepted", bad)
		}
	}
	rt, err := parseRoute("/api/users/{id}/posts/{post}/")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rt.params, []string{"id", "post"}) {
		t.Errorf("params %v", rt.params)
	}
}

// hasEntry reports whether s has a non-empty media range entry.
func hasEntry(s string) bool {
	for part := range strings.SplitSeq(s, ",") {
		mt, _, _ := strings.Cut(part, ";")
		if strings.TrimSpace(mt) != "" {
			return true
		}
	}
	return false
}
