package pycompat

import (
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CookieValue returns the value Django's request.COOKIES holds for name: the
// Cookie header fields of h are decoded as UTF-8 with errors="replace" and
// read with parse_cookie, where a piece without "=" is a value with an empty
// name, both sides are stripped with str.strip, a double-quoted value is
// unquoted (UnquoteCookie) and the LAST cookie of a name wins. ok reports
// whether the name is present. It does not allocate unless the value is quoted
// with escapes or the header is not valid UTF-8.
func CookieValue(h http.Header, name string) (value string, ok bool) {
	var raw string
	for _, line := range h["Cookie"] {
		if !utf8.ValidString(line) {
			line = DecodeUTF8(line)
		}
		for line != "" {
			var chunk string
			chunk, line, _ = strings.Cut(line, ";")
			k, v, found := strings.Cut(chunk, "=")
			if !found {
				k, v = "", chunk
			}
			if k = Strip(k); k != name {
				continue
			}
			if v = Strip(v); k != "" || v != "" {
				raw, ok = v, true
			}
		}
	}
	if !ok {
		return "", false
	}
	return UnquoteCookie(raw), true
}

// ParseCookie is Django's django.http.cookie.parse_cookie over one Cookie
// header value decoded as Django's WSGI handler decodes it (see CookieValue):
// every name with its last value.
func ParseCookie(header string) map[string]string {
	header = DecodeUTF8(header)
	m := make(map[string]string)
	for _, chunk := range strings.Split(header, ";") {
		k, v, found := strings.Cut(chunk, "=")
		if !found {
			k, v = "", chunk
		}
		k, v = Strip(k), Strip(v)
		if k != "" || v != "" {
			m[k] = UnquoteCookie(v)
		}
	}
	return m
}

// UnquoteCookie is Python's http.cookies._unquote: a value of two or more
// characters in double quotes loses them, and inside, "\ooo" (three octal
// digits, the first 0-3) becomes the character with that code point and "\c"
// becomes c for any character but a line feed (Python's regular-expression
// "." does not match "\n"). s must be valid UTF-8.
func UnquoteCookie(s string) string {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return s
	}
	s = s[1 : len(s)-1]
	i := strings.IndexByte(s, '\\')
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) || s[i+1] == '\n' {
			b.WriteByte(c)
			continue
		}
		if i+3 < len(s) && s[i+1] >= '0' && s[i+1] <= '3' && isOctal(s[i+2]) && isOctal(s[i+3]) {
			b.WriteRune(rune(s[i+1]-'0')<<6 | rune(s[i+2]-'0')<<3 | rune(s[i+3]-'0'))
			i += 3
			continue
		}
		// "\c" is c: its first byte here, any further bytes of a multi-byte
		// character in the next iterations.
		i++
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// Strip is Python's str.strip() without arguments: it removes leading and
// trailing characters for which IsSpace is true.
func Strip(s string) string {
	for len(s) > 0 && s[0] < utf8.RuneSelf && isASCIISpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && s[len(s)-1] < utf8.RuneSelf && isASCIISpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	if len(s) == 0 || s[0] < utf8.RuneSelf && s[len(s)-1] < utf8.RuneSelf {
		return s
	}
	return strings.TrimFunc(s, IsSpace)
}

// IsSpace is Python's str.isspace() for one character: Unicode White_Space
// (what unicode.IsSpace reports) plus the ASCII information separators
// \x1c-\x1f, which Python counts as whitespace (bidirectional class B or S).
func IsSpace(r rune) bool {
	if r < utf8.RuneSelf {
		return isASCIISpace(byte(r))
	}
	return unicode.IsSpace(r)
}

func isASCIISpace(c byte) bool {
	return c == ' ' || c >= '\t' && c <= '\r' || c >= 0x1c && c <= 0x1f
}
