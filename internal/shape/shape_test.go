package shape

import (
	"reflect"
	"strings"
	"testing"
)

type Generic[K any, V any] struct{ A K }
type named struct{}

func (named) SchemaName() string { return "Renamed" }

func TestTypeNames(t *testing.T) {
	r := NewRegistry()
	for typ, want := range map[reflect.Type]string{
		reflect.TypeFor[Generic[int, map[string]named]](): "Generic_int_named",
		reflect.TypeFor[named]():                          "Renamed",
	} {
		s, err := r.Of(typ)
		if err != nil {
			t.Fatal(err)
		}
		if s.Name != want {
			t.Errorf("%s: name %q, want %q", typ, s.Name, want)
		}
	}
}

func constraints(t *testing.T, tag string, v any) *Constraints {
	t.Helper()
	s, err := NewRegistry().Of(reflect.TypeOf(v))
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseConstraints(reflect.StructTag(tag), s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestMessages(t *testing.T) {
	for _, tc := range []struct {
		tag  string
		val  any
		in   string
		want string
	}{
		{`minLength:"1"`, "", "", "String should have at least 1 character"},
		{`minLength:"2"`, "", "é", "String should have at least 2 characters"},
		{`maxLength:"1000"`, "", strings.Repeat("€", 1001), "String should have at most 1000 characters"},
		{`maxLength:"3"`, "", "€€€", ""},
		{`pattern:"^a+$"`, "", "b", "String should match pattern '^a+$'"},
		{`enum:"a,b"`, "", "c", "Input should be 'a' or 'b'"},
		{`enum:"a,b,c"`, "", "d", "Input should be 'a', 'b' or 'c'"},
		{`format:"email"`, "", "not-an-email", "value is not a valid email address"},
		{`format:"email"`, "", "ada@example.com", ""},
		{`format:"uuid"`, "", "123e4567-e89b-12d3-a456-426614174000", ""},
		{`format:"uuid"`, "", "123", "Input should be a valid UUID"},
		{`format:"date"`, "", "2026-02-30", "Input should be a valid date"},
		{`format:"date-time"`, "", "2026-02-03T04:05:06+01:00", ""},
		{`format:"ipv4"`, "", "::1", "Input is not a valid IPv4 address"},
		{`format:"uri"`, "", "/relative", "Input should be a valid URL"},
	} {
		if got := constraints(t, tc.tag, tc.val).CheckString(tc.in); got != tc.want {
			t.Errorf("%s %q: %q, want %q", tc.tag, tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct {
		tag  string
		in   float64
		want string
	}{
		{`minimum:"1"`, 0, "Input should be greater than or equal to 1"},
		{`maximum:"1.5"`, 2, "Input should be less than or equal to 1.5"},
		{`exclusiveMinimum:"0"`, 0, "Input should be greater than 0"},
		{`exclusiveMaximum:"10"`, 10, "Input should be less than 10"},
		{`multipleOf:"5"`, 12, "Input should be a multiple of 5"},
		{`enum:"1,2"`, 3, "Input should be 1 or 2"},
	} {
		if got := constraints(t, tc.tag, 0).CheckNumber(tc.in); got != tc.want {
			t.Errorf("%s %v: %q, want %q", tc.tag, tc.in, got, tc.want)
		}
	}
	c := constraints(t, `minItems:"1" maxItems:"2"`, []int{})
	if got := c.CheckLen(0); got != "List should have at least 1 item after validation, not 0" {
		t.Errorf("%q", got)
	}
	if got := c.CheckLen(3); got != "List should have at most 2 items after validation, not 3" {
		t.Errorf("%q", got)
	}
}

func TestBadTags(t *testing.T) {
	s, _ := NewRegistry().Of(reflect.TypeFor[int]())
	for _, tag := range []string{`minLength:"x"`, `minimum:"abc"`, `enum:"a"`, `format:"nope"`, `required:"maybe"`, `multipleOf:"0"`, `minItems:"1"`} {
		if _, err := ParseConstraints(reflect.StructTag(tag), s); err == nil {
			t.Errorf("%s accepted on int", tag)
		}
	}
}
