package dmr_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/internal/testenv"
)

// validateDocument checks a rendered document with two independent
// validators: pb33f's libopenapi-validator (Go) and Python's
// openapi-spec-validator (OpenAPIV32SpecValidator or V31 by version).
func validateDocument(t testing.TB, doc []byte) {
	t.Helper()
	d, err := libopenapi.NewDocument(doc)
	if err != nil {
		t.Fatalf("libopenapi: parse: %v", err)
	}
	v, errs := validator.NewValidator(d)
	if len(errs) > 0 {
		t.Fatalf("libopenapi-validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		var b strings.Builder
		for _, e := range verrs {
			fmt.Fprintf(&b, "\n  %s: %s", e.Message, e.Reason)
			for _, se := range e.SchemaValidationErrors {
				fmt.Fprintf(&b, "\n    %s at %s (%s)", se.Reason, se.FieldPath, se.KeywordLocation)
			}
		}
		t.Fatalf("libopenapi-validator rejects the document:%s\n%s", b.String(), doc)
	}
	validatePython(t, doc)
}

var (
	pythonOnce sync.Once
	pythonOK   bool
	pythonWhy  string
)

const pyValidate = `
import json, sys
from openapi_spec_validator import OpenAPIV31SpecValidator, OpenAPIV32SpecValidator, validate
spec = json.load(sys.stdin)
cls = OpenAPIV32SpecValidator if spec["openapi"].startswith("3.2") else OpenAPIV31SpecValidator
validate(spec, cls=cls)
print("valid")
`

func validatePython(t testing.TB, doc []byte) {
	t.Helper()
	pythonOnce.Do(func() {
		out, err := exec.Command("python3", "-c", "import openapi_spec_validator; from openapi_spec_validator import OpenAPIV32SpecValidator").CombinedOutput()
		pythonOK = err == nil
		pythonWhy = strings.TrimSpace(string(out))
		if err != nil && pythonWhy == "" {
			pythonWhy = err.Error()
		}
	})
	testenv.Require(t, "python3 with openapi-spec-validator", pythonOK, pythonWhy)
	cmd := exec.Command("python3", "-c", pyValidate)
	cmd.Stdin = bytes.NewReader(doc)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "valid") {
		t.Fatalf("openapi-spec-validator rejects the document: %v\n%s\n%s", err, out, doc)
	}
}

// mustDocs renders and validates both versions of api's document.
func mustDocs(t testing.TB, api *dmr.API) map[string]any {
	t.Helper()
	b, err := api.DocumentJSON()
	if err != nil {
		t.Fatal(err)
	}
	validateDocument(t, b)
	b31, err := api.DocumentJSON31()
	if err != nil {
		t.Fatal(err)
	}
	validateDocument(t, b31)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// dig walks a decoded JSON document.
func dig(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}
