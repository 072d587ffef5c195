package shape

import (
	"fmt"
	"math"
	"net"
	"net/mail"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Constraints are the validation keywords of one field, from struct tags:
//
//	required:"true|false"      override the default requiredness
//	minLength:"n" maxLength:"n" string length in Unicode code points
//	pattern:"re"               Go regexp (RE2), unanchored as in JSON Schema
//	minimum maximum exclusiveMinimum exclusiveMaximum multipleOf: numbers
//	enum:"a,b,c"               allowed values (parsed as the field's type)
//	format:"email|uuid|date-time|date|time|uri|ipv4|ipv6|…"
//	minItems maxItems uniqueItems: arrays
//	description:"…" example:"…" deprecated:"true"
//
// For a slice field, minItems/maxItems/uniqueItems apply to the slice and the
// other keywords apply to each item.
type Constraints struct {
	Required                     *bool
	MinLength, MaxLength         int // -1: none
	Pattern                      *regexp.Regexp
	Minimum, Maximum             *float64
	ExclusiveMinimum             *float64
	ExclusiveMaximum             *float64
	MultipleOf                   *float64
	Enum                         []any // values of the item kind (string, int64, uint64, float64, bool)
	EnumStrings                  []string
	Format                       string
	MinItems, MaxItems           int // -1: none
	UniqueItems                  bool
	Description                  string
	Example                      any
	Deprecated                   bool
	Default                      string
	HasDefault                   bool
	hasItemChecks, hasListChecks bool
}

// HasItemChecks reports whether any value-level keyword is set.
func (c *Constraints) HasItemChecks() bool { return c.hasItemChecks }

// HasListChecks reports whether any array keyword is set.
func (c *Constraints) HasListChecks() bool { return c.hasListChecks }

// itemType returns the type the value-level keywords apply to.
func itemType(t *Type) *Type {
	t = t.Deref()
	if t.Kind == Slice {
		t = t.Elem.Deref()
	}
	return t
}

// ParseConstraints reads the constraint tags of a field of type t.
func ParseConstraints(tag reflect.StructTag, t *Type) (*Constraints, error) {
	c := &Constraints{MinLength: -1, MaxLength: -1, MinItems: -1, MaxItems: -1}
	it := itemType(t)
	if v, ok := tag.Lookup("required"); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("required:%q: want true or false", v)
		}
		c.Required = &b
	}
	intTag := func(name string, dst *int) error {
		if v, ok := tag.Lookup(name); ok {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return fmt.Errorf("%s:%q: want a non-negative integer", name, v)
			}
			*dst = n
		}
		return nil
	}
	numTag := func(name string, dst **float64) error {
		if v, ok := tag.Lookup(name); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
				return fmt.Errorf("%s:%q: want a number", name, v)
			}
			*dst = &f
		}
		return nil
	}
	for _, e := range []error{
		intTag("minLength", &c.MinLength), intTag("maxLength", &c.MaxLength),
		intTag("minItems", &c.MinItems), intTag("maxItems", &c.MaxItems),
		numTag("minimum", &c.Minimum), numTag("maximum", &c.Maximum),
		numTag("exclusiveMinimum", &c.ExclusiveMinimum), numTag("exclusiveMaximum", &c.ExclusiveMaximum),
		numTag("multipleOf", &c.MultipleOf),
	} {
		if e != nil {
			return nil, e
		}
	}
	if c.MultipleOf != nil && *c.MultipleOf <= 0 {
		return nil, fmt.Errorf("multipleOf must be positive")
	}
	if v, ok := tag.Lookup("pattern"); ok {
		re, err := regexp.Compile(v)
		if err != nil {
			return nil, fmt.Errorf("pattern:%q: %w", v, err)
		}
		c.Pattern = re
	}
	if v, ok := tag.Lookup("uniqueItems"); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("uniqueItems:%q: want true or false", v)
		}
		c.UniqueItems = b
	}
	if v, ok := tag.Lookup("deprecated"); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("deprecated:%q: want true or false", v)
		}
		c.Deprecated = b
	}
	c.Description = tag.Get("description")
	c.Format = tag.Get("format")
	if c.Format != "" && !knownFormat(c.Format) {
		return nil, fmt.Errorf("format:%q: unknown format (known: %s)", c.Format, strings.Join(formatNames, ", "))
	}
	if v, ok := tag.Lookup("enum"); ok {
		for s := range strings.SplitSeq(v, ",") {
			val, err := parseScalar(it, s)
			if err != nil {
				return nil, fmt.Errorf("enum value %q: %w", s, err)
			}
			c.Enum = append(c.Enum, val)
			c.EnumStrings = append(c.EnumStrings, s)
		}
	}
	if v, ok := tag.Lookup("example"); ok {
		val, err := parseScalar(it, v)
		if err != nil {
			val = v
		}
		c.Example = val
	}
	if v, ok := tag.Lookup("default"); ok {
		if _, err := parseScalar(it, v); err != nil {
			return nil, fmt.Errorf("default:%q: %w", v, err)
		}
		c.Default, c.HasDefault = v, true
	}
	strKind := it.Kind == String || it.Kind == Text
	numKind := it.Kind == Int || it.Kind == Uint || it.Kind == Float
	if (c.MinLength >= 0 || c.MaxLength >= 0 || c.Pattern != nil || c.Format != "") && !strKind {
		return nil, fmt.Errorf("minLength, maxLength, pattern and format apply to strings, not %s", it.T)
	}
	if (c.Minimum != nil || c.Maximum != nil || c.ExclusiveMinimum != nil || c.ExclusiveMaximum != nil || c.MultipleOf != nil) && !numKind {
		return nil, fmt.Errorf("minimum, maximum, exclusiveMinimum, exclusiveMaximum and multipleOf apply to numbers, not %s", it.T)
	}
	if (c.MinItems >= 0 || c.MaxItems >= 0 || c.UniqueItems) && t.Deref().Kind != Slice {
		return nil, fmt.Errorf("minItems, maxItems and uniqueItems apply to slices, not %s", t.T)
	}
	if c.Enum != nil && !strKind && !numKind && it.Kind != Bool {
		return nil, fmt.Errorf("enum applies to strings, numbers and booleans, not %s", it.T)
	}
	c.hasItemChecks = c.MinLength >= 0 || c.MaxLength >= 0 || c.Pattern != nil || c.Format != "" ||
		c.Minimum != nil || c.Maximum != nil || c.ExclusiveMinimum != nil || c.ExclusiveMaximum != nil ||
		c.MultipleOf != nil || c.Enum != nil
	c.hasListChecks = c.MinItems >= 0 || c.MaxItems >= 0 || c.UniqueItems
	return c, nil
}

// parseScalar parses a tag value as a value of kind t.
func parseScalar(t *Type, s string) (any, error) {
	switch t.Kind {
	case String, Text:
		return s, nil
	case Bool:
		return strconv.ParseBool(s)
	case Int:
		return strconv.ParseInt(s, 10, t.Bits)
	case Uint:
		return strconv.ParseUint(s, 10, t.Bits)
	case Float:
		return strconv.ParseFloat(s, t.Bits)
	}
	return nil, fmt.Errorf("not a scalar type: %s", t.T)
}

var formatNames = []string{"date-time", "date", "time", "duration", "email", "uuid", "uri", "ipv4", "ipv6", "hostname", "password", "byte", "binary"}

func knownFormat(f string) bool {
	for _, n := range formatNames {
		if n == f {
			return true
		}
	}
	return false
}

// Messages, in pydantic's wording where pydantic has one.
const (
	MsgRequired    = "Field required"
	MsgExtra       = "Extra inputs are not permitted"
	MsgBool        = "Input should be a valid boolean"
	MsgInt         = "Input should be a valid integer"
	MsgFloat       = "Input should be a valid number"
	MsgString      = "Input should be a valid string"
	MsgList        = "Input should be a valid list"
	MsgDict        = "Input should be a valid dictionary"
	MsgIntParse    = "Input should be a valid integer, unable to parse string as an integer"
	MsgIntFraction = "Input should be a valid integer, got a number with a fractional part"
	MsgFloatParse  = "Input should be a valid number, unable to parse string as a number"
	MsgBoolParse   = "Input should be a valid boolean, unable to interpret input"
	MsgBase64      = "Input should be a valid base64 string"
)

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// FormatNumber formats a bound as pydantic prints it.
func FormatNumber(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// CheckString validates a string value; it returns "" when s is valid.
func (c *Constraints) CheckString(s string) string {
	if c.MinLength >= 0 || c.MaxLength >= 0 {
		n := utf8.RuneCountInString(s)
		if c.MinLength >= 0 && n < c.MinLength {
			return fmt.Sprintf("String should have at least %d character%s", c.MinLength, plural(c.MinLength))
		}
		if c.MaxLength >= 0 && n > c.MaxLength {
			return fmt.Sprintf("String should have at most %d character%s", c.MaxLength, plural(c.MaxLength))
		}
	}
	if c.Pattern != nil && !c.Pattern.MatchString(s) {
		return fmt.Sprintf("String should match pattern '%s'", c.Pattern.String())
	}
	if c.Format != "" {
		if m := checkFormat(c.Format, s); m != "" {
			return m
		}
	}
	if c.Enum != nil {
		for _, e := range c.EnumStrings {
			if e == s {
				return ""
			}
		}
		return c.enumMsg()
	}
	return ""
}

func (c *Constraints) enumMsg() string {
	var b strings.Builder
	b.WriteString("Input should be ")
	for i, e := range c.Enum {
		if i > 0 {
			if i == len(c.Enum)-1 {
				b.WriteString(" or ")
			} else {
				b.WriteString(", ")
			}
		}
		switch v := e.(type) {
		case string:
			b.WriteString("'" + v + "'")
		case bool:
			if v {
				b.WriteString("True")
			} else {
				b.WriteString("False")
			}
		default:
			fmt.Fprint(&b, v)
		}
	}
	return b.String()
}

// CheckNumber validates a number; it returns "" when f is valid.
func (c *Constraints) CheckNumber(f float64) string {
	if c.Minimum != nil && f < *c.Minimum {
		return "Input should be greater than or equal to " + FormatNumber(*c.Minimum)
	}
	if c.ExclusiveMinimum != nil && f <= *c.ExclusiveMinimum {
		return "Input should be greater than " + FormatNumber(*c.ExclusiveMinimum)
	}
	if c.Maximum != nil && f > *c.Maximum {
		return "Input should be less than or equal to " + FormatNumber(*c.Maximum)
	}
	if c.ExclusiveMaximum != nil && f >= *c.ExclusiveMaximum {
		return "Input should be less than " + FormatNumber(*c.ExclusiveMaximum)
	}
	if c.MultipleOf != nil {
		q := f / *c.MultipleOf
		if q != math.Trunc(q) {
			return "Input should be a multiple of " + FormatNumber(*c.MultipleOf)
		}
	}
	if c.Enum != nil {
		for _, e := range c.Enum {
			var v float64
			switch x := e.(type) {
			case int64:
				v = float64(x)
			case uint64:
				v = float64(x)
			case float64:
				v = x
			}
			if v == f {
				return ""
			}
		}
		return c.enumMsg()
	}
	return ""
}

// CheckBool validates a boolean against an enum.
func (c *Constraints) CheckBool(v bool) string {
	if c.Enum == nil {
		return ""
	}
	for _, e := range c.Enum {
		if e == v {
			return ""
		}
	}
	return c.enumMsg()
}

// CheckLen validates the length of a slice.
func (c *Constraints) CheckLen(n int) string {
	if c.MinItems >= 0 && n < c.MinItems {
		return fmt.Sprintf("List should have at least %d item%s after validation, not %d", c.MinItems, plural(c.MinItems), n)
	}
	if c.MaxItems >= 0 && n > c.MaxItems {
		return fmt.Sprintf("List should have at most %d item%s after validation, not %d", c.MaxItems, plural(c.MaxItems), n)
	}
	return ""
}

// MsgUnique is the message for a slice with duplicate items.
const MsgUnique = "List should have unique items"

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$`)

func checkFormat(format, s string) string {
	switch format {
	case "date-time":
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			return "Input should be a valid datetime"
		}
	case "date":
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			return "Input should be a valid date"
		}
	case "time":
		if _, err := time.Parse("15:04:05Z07:00", s); err != nil {
			if _, err := time.Parse("15:04:05.999999999Z07:00", s); err != nil {
				return "Input should be a valid time"
			}
		}
	case "email":
		a, err := mail.ParseAddress(s)
		if err != nil || a.Address != s || a.Name != "" {
			return "value is not a valid email address"
		}
	case "uuid":
		if !uuidRE.MatchString(s) {
			return "Input should be a valid UUID"
		}
	case "uri":
		u, err := url.Parse(s)
		if err != nil || u.Scheme == "" {
			return "Input should be a valid URL"
		}
	case "ipv4":
		if ip := net.ParseIP(s); ip == nil || ip.To4() == nil || strings.Contains(s, ":") {
			return "Input is not a valid IPv4 address"
		}
	case "ipv6":
		if ip := net.ParseIP(s); ip == nil || !strings.Contains(s, ":") {
			return "Input is not a valid IPv6 address"
		}
	}
	return ""
}
