package dmr_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	verrors "github.com/pb33f/libopenapi-validator/errors"

	"github.com/dmr-go/dmr"
)

// TestResponsesMatchDocument sends requests to an API and checks, with
// libopenapi-validator, that every response (successes and errors alike)
// matches what the API's own document declares for it; valid requests must
// also match the document's request description.
func TestResponsesMatchDocument(t *testing.T) {
	api := newPetAPI(t, dmr.Config{Prefix: "/api"})
	doc, err := api.DocumentJSON()
	if err != nil {
		t.Fatal(err)
	}
	d, err := libopenapi.NewDocument(doc)
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(d)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	pet := `{"name":"Rex","age":3,"kind":"dog","tags":["a"]}`
	for _, tc := range []struct {
		name, target, body string
		header             http.Header
		status             int
		validRequest       bool
	}{
		{"ok", "/api/pets/7/?page=2&limit=5", pet, jsonHdr, 200, true},
		{"400", "/api/pets/0/?page=x", `{"name":""}`, http.Header{"Content-Type": {"application/json"}}, 400, false},
		{"406", "/api/pets/7/", pet, http.Header{"Accept": {"text/html"}, "X-Api-Token": {"t"}, "Content-Type": {"application/json"}}, 406, false},
		{"422", "/api/pets/7/", `{"name":"bad output","age":1,"kind":"cat"}`, jsonHdr, 422, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("PUT", "http://example.com"+tc.target, strings.NewReader(tc.body))
			for k, vs := range tc.header {
				req.Header[k] = vs
			}
			rec := httptest.NewRecorder()
			api.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			resp := rec.Result()
			body, _ := io.ReadAll(resp.Body)
			resp.Body = io.NopCloser(bytes.NewReader(body))
			check := httptest.NewRequest("PUT", "http://example.com"+tc.target, strings.NewReader(tc.body))
			check.Header = req.Header.Clone()
			var ok bool
			var verrs []*verrors.ValidationError
			if tc.validRequest {
				ok, verrs = v.ValidateHttpRequestResponse(check, resp)
			} else {
				ok, verrs = v.ValidateHttpResponse(check, resp)
			}
			if !ok {
				for _, e := range verrs {
					t.Errorf("%s: %s", e.Message, e.Reason)
					for _, se := range e.SchemaValidationErrors {
						t.Errorf("  %s at %s", se.Reason, se.FieldPath)
					}
				}
				t.Logf("response %d %s", rec.Code, body)
			}
		})
	}
	// The check is not vacuous: a body that does not match is caught.
	req := httptest.NewRequest("PUT", "http://example.com/api/pets/7/", strings.NewReader(pet))
	req.Header = jsonHdr.Clone()
	bad := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(`{"name":5}`)), Request: req}
	if ok, _ := v.ValidateHttpResponse(req, bad); ok {
		t.Error("libopenapi-validator accepted a body that does not match the document")
	}
}
