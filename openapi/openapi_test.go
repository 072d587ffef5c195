package openapi_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dmr-go/dmr/openapi"
)

func TestMarshalExact(t *testing.T) {
	doc := &openapi.Document{
		Info: openapi.Info{Title: "T", Version: "1"},
		Paths: map[string]*openapi.PathItem{
			"/b": {Get: &openapi.Operation{OperationID: "b", Responses: map[string]*openapi.Response{
				"404": {Description: "Not Found"}, "200": {Description: "OK"}, "default": {Description: "x"}, "1XX": {Description: "y"},
			}}},
			"/a": {Post: &openapi.Operation{OperationID: "a", Security: []openapi.SecurityRequirement{}, Parameters: []*openapi.Parameter{
				{Name: "q", In: "query", Schema: &openapi.Schema{Type: "string", MinLength: openapi.Ptr(0)}},
			}}},
		},
		Components: &openapi.Components{SecuritySchemes: map[string]*openapi.SecurityScheme{}},
	}
	b, err := doc.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"openapi":"3.2.0","info":{"title":"T","version":"1"},"paths":{` +
		`"/a":{"post":{"operationId":"a","parameters":[{"name":"q","in":"query","deprecated":false,"schema":{"type":"string","minLength":0}}],"deprecated":false,"security":[]}},` +
		`"/b":{"get":{"operationId":"b","responses":{"200":{"description":"OK"},"404":{"description":"Not Found"},"1XX":{"description":"y"},"default":{"description":"x"}},"deprecated":false}}}}`
	if string(b) != want {
		t.Errorf("got\n%s\nwant\n%s", b, want)
	}
	// Stable: the same document marshals to the same bytes.
	for range 20 {
		again, _ := doc.MarshalJSON()
		if string(again) != string(b) {
			t.Fatal("output changed between calls")
		}
	}
	if !json.Valid(b) {
		t.Fatal("invalid JSON")
	}
}

func TestSchemaKeywords(t *testing.T) {
	s := &openapi.Schema{
		Title: "T", Types: []string{"string", "null"}, Enum: []any{"a", nil}, HasConst: true,
		Properties:             []openapi.Property{{Name: "z", Schema: &openapi.Schema{}}, {Name: "a", Schema: &openapi.Schema{Type: "integer", Minimum: openapi.Ptr(1.5), Maximum: openapi.Ptr(10.0)}}},
		NoAdditionalProperties: true,
		Extra:                  map[string]any{"x-b": 1, "x-a": "<&>"},
	}
	b, _ := s.MarshalJSON()
	want := `{"title":"T","type":["string","null"],"enum":["a",null],"const":null,"properties":{"z":{},"a":{"type":"integer","minimum":1.5,"maximum":10}},"additionalProperties":false,"x-a":"\u003c\u0026\u003e","x-b":1}`
	if string(b) != want {
		t.Errorf("got\n%s\nwant\n%s", b, want)
	}
}

type Address struct {
	Street string `json:"street" description:"Street and number."`
}

type Person struct {
	Name     string            `json:"name" minLength:"1" example:"Ada"`
	Email    *string           `json:"email" format:"email"`
	Home     Address           `json:"home"`
	Work     *Address          `json:"work,omitempty" description:"Where they work."`
	Friends  []Person          `json:"friends,omitempty" maxItems:"10"`
	Labels   map[string]string `json:"labels,omitempty"`
	Born     time.Time         `json:"born"`
	Score    uint16            `json:"score" maximum:"100"`
	Role     string            `json:"role" enum:"admin,user" default:"user"`
	internal int
}

func (Person) SchemaDescription() string { return "A person." }

type Page[T any] struct {
	Items []T `json:"items"`
	Total int `json:"total"`
}

type Money struct{ cents int64 }

func (Money) OpenAPISchema() *openapi.Schema {
	return &openapi.Schema{Type: "string", Pattern: `^\d+\.\d\d$`}
}

func TestGenerator(t *testing.T) {
	g := openapi.NewGenerator()
	ref, err := g.Schema(reflect.TypeFor[Page[Person]]())
	if err != nil {
		t.Fatal(err)
	}
	if ref.Ref != "#/components/schemas/Page_Person" {
		t.Errorf("ref %s", ref.Ref)
	}
	comps := g.Components()
	names := make([]string, 0, len(comps))
	for n := range comps {
		names = append(names, n)
	}
	if fmt.Sprint(len(names)) != "3" {
		t.Errorf("components %v", names)
	}
	p, _ := json.Marshal(comps["Person"])
	want := `{"title":"Person","description":"A person.","type":"object","properties":{` +
		`"name":{"title":"Name","type":"string","examples":["Ada"],"minLength":1},` +
		`"email":{"title":"Email","anyOf":[{"type":"string","format":"email"},{"type":"null"}]},` +
		`"home":{"$ref":"#/components/schemas/Address","title":"Home"},` +
		`"work":{"title":"Work","description":"Where they work.","anyOf":[{"$ref":"#/components/schemas/Address"},{"type":"null"}]},` +
		`"friends":{"title":"Friends","type":"array","items":{"$ref":"#/components/schemas/Person"},"maxItems":10},` +
		`"labels":{"title":"Labels","type":"object","additionalProperties":{"type":"string"}},` +
		`"born":{"title":"Born","type":"string","format":"date-time"},` +
		`"score":{"title":"Score","type":"integer","minimum":0,"maximum":100},` +
		`"role":{"title":"Role","type":"string","enum":["admin","user"],"default":"user"}},` +
		`"required":["name","home","born","score","role"]}`
	if string(p) != want {
		t.Errorf("Person:\n got %s\nwant %s", p, want)
	}
	m, err := g.Schema(reflect.TypeFor[Money]())
	if err != nil || m.Pattern == "" {
		t.Errorf("SchemaProvider: %v %v", m, err)
	}
	// Two types with one name are an error.
	type Address struct{ Other int }
	if _, err := g.Schema(reflect.TypeFor[Address]()); err == nil || !strings.Contains(err.Error(), `two types are named "Address"`) {
		t.Errorf("name clash: %v", err)
	}
}

func TestPyTitle(t *testing.T) {
	for in, want := range map[string]string{"user_id": "User Id", "X-API-Token": "X-Api-Token", "name": "Name", "user2name": "User2Name", "HTTPCode": "Httpcode"} {
		if got := openapi.PyTitle(in); got != want {
			t.Errorf("PyTitle(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDowngrade31(t *testing.T) {
	op := &openapi.Operation{OperationID: "q", Responses: map[string]*openapi.Response{
		"200": {Summary: "s", Description: "OK", Content: map[string]*openapi.MediaType{"application/jsonl": {ItemSchema: &openapi.Schema{Type: "integer"}}}},
	}}
	doc := &openapi.Document{
		Self: "https://example.com/openapi.json",
		Info: openapi.Info{Title: "T", Version: "1"},
		Tags: []openapi.Tag{{Name: "a", Summary: "A", Kind: "nav", Parent: "root"}},
		Paths: map[string]*openapi.PathItem{
			"/s":    {Get: op, Query: op, AdditionalOperations: map[string]*openapi.Operation{"LINK": op}},
			"/only": {Query: op},
		},
		Components: &openapi.Components{SecuritySchemes: map[string]*openapi.SecurityScheme{
			"k": {Type: "apiKey", In: "header", Name: "K", Deprecated: true},
		}},
	}
	before, _ := doc.MarshalJSON()
	d31 := openapi.Downgrade31(doc)
	b, _ := d31.MarshalJSON()
	want := `{"openapi":"3.1.0","info":{"title":"T","version":"1"},"paths":{"/s":{"get":{"operationId":"q","responses":{"200":{"description":"OK","content":{"application/jsonl":{"schema":{"type":"array","items":{"type":"integer"}}}}}},"deprecated":false}}},"components":{"securitySchemes":{"k":{"type":"apiKey","name":"K","in":"header"}}},"tags":[{"name":"a"}]}`
	if string(b) != want {
		t.Errorf("got\n%s\nwant\n%s", b, want)
	}
	after, _ := doc.MarshalJSON()
	if string(before) != string(after) {
		t.Error("Downgrade31 modified its input")
	}
}
