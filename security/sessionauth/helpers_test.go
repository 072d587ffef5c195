package sessionauth_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"github.com/dmr-go/dmr/pyjson"
)

func newObject(kv ...string) *pyjson.Object {
	o := pyjson.NewObject(len(kv) / 2)
	for i := 0; i+1 < len(kv); i += 2 {
		o.Set(kv[i], kv[i+1])
	}
	return o
}

func farFuture() time.Time { return time.Now().Add(time.Hour) }

// validateDocument checks b against the OpenAPI 3.2 meta-schema.
func validateDocument(t *testing.T, b []byte) {
	t.Helper()
	doc, err := libopenapi.NewDocument(b)
	if err != nil {
		t.Fatalf("parse document: %v", err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("document invalid: %s (%v)", e.Message, e.SchemaValidationErrors)
		}
	}
}

type responseRecorder = httptest.ResponseRecorder

func newRecorder() *responseRecorder { return httptest.NewRecorder() }

func newJSONRequest(body string) *http.Request {
	r := httptest.NewRequest("POST", "/api/auth/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}
