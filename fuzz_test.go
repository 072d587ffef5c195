package dmr_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/dmr-go/dmr"
)

// FuzzEndpointBody sends arbitrary bodies to a validating endpoint: the
// answer is always 200 or 400 with a JSON body, never a 500 or a panic, and
// a 200 echoes a body that satisfies the declared constraints.
func FuzzEndpointBody(f *testing.F) {
	for _, s := range []string{
		`{"name":"Rex","age":3,"kind":"dog"}`, `{"name":"","age":-1,"kind":"x","tags":["toolong"]}`, `{`, ``, `null`,
		`[]`, `{"name":"a","age":1.5,"kind":"cat"}`, `{"name":"\ud800","age":1e2,"kind":"cat","tags":[]}`,
		"{\"name\":\"\xff\"}", `{"age":99999999999999999999}`,
	} {
		f.Add([]byte(s))
	}
	api := newPetAPI(nil, dmr.Config{Prefix: "/api", UnknownFields: dmr.RejectUnknownFields})
	f.Fuzz(func(t *testing.T, body []byte) {
		got := serve(api, do{"PUT", "/api/pets/1/", string(body), http.Header{"X-Api-Token": {"t"}}})
		if got.status != 200 && got.status != 400 {
			t.Fatalf("%q: status %d %s", body, got.status, got.body)
		}
		if !json.Valid([]byte(got.body)) {
			t.Fatalf("%q: invalid JSON answer %q", body, got.body)
		}
		if got.status == 200 {
			var p Pet
			if err := json.Unmarshal([]byte(got.body), &p); err != nil {
				t.Fatal(err)
			}
			if p.Age < 0 || p.Age > 100 || (p.Kind != "cat" && p.Kind != "dog" && p.Kind != "bird") || len(p.Tags) > 3 {
				t.Fatalf("%q: accepted an invalid pet %+v", body, p)
			}
		}
	})
}
