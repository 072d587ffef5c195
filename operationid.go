package dmr

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// OperationID returns the operationId Django Modern Rest generates for a
// method of a controller at a path: the lower-case method followed by the
// tokens of the controller name and the path, for example
// OperationID("GET", "APIController", "/api/apicontroller/") ==
// "getApicontrollerApiApicontroller".
func OperationID(method, controller, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, t := range TokenizePath(controller + path) {
		b.WriteString(t)
	}
	return b.String()
}

// TokenizePath splits a path into operationId tokens as Django Modern Rest
// does: braces are removed, the path is split on "/", characters outside
// [\w\-.~] are dropped, each segment is split on runs of "-", "_", "." and
// "~", and every part is capitalised (first letter upper case, the rest
// lower case) and joined back into one token per segment.
//
//	/api/users/{user_id}    → Api, Users, UserId
//	/user-profile_settings  → UserProfileSettings
//	/users/123              → Users, 123
//	/                       → (none)
func TokenizePath(path string) []string {
	path = strings.NewReplacer("{", "", "}", "").Replace(path)
	var out []string
	for seg := range strings.SplitSeq(strings.Trim(path, "/"), "/") {
		seg = strings.Map(func(r rune) rune {
			if r == '_' || r == '-' || r == '.' || r == '~' || unicode.IsLetter(r) || unicode.IsDigit(r) {
				return r
			}
			return -1
		}, seg)
		if seg == "" {
			continue
		}
		var b strings.Builder
		for part := range strings.FieldsFuncSeq(seg, func(r rune) bool {
			return r == '_' || r == '-' || r == '.' || r == '~'
		}) {
			b.WriteString(capitalize(part))
		}
		if b.Len() > 0 {
			out = append(out, b.String())
		}
	}
	return out
}

// capitalize is Python's str.capitalize: first character upper case, the
// rest lower case.
func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + strings.ToLower(s[n:])
}
