package csrf

import (
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"
)

// cookieValue finds a cookie the way Django's parse_cookie does: the Cookie
// header is split on ";", each piece on its first "=" (a piece without one is
// a value with an empty name), both sides are stripped of whitespace, and the
// LAST cookie of a name wins. A double-quoted value is unquoted (Python's
// http.cookies._unquote). It does not allocate unless the value needs
// unquoting.
func cookieValue(h http.Header, name string) (value string, found bool) {
	for _, line := range h["Cookie"] {
		for line != "" {
			var chunk string
			if i := strings.IndexByte(line, ';'); i >= 0 {
				chunk, line = line[:i], line[i+1:]
			} else {
				chunk, line = line, ""
			}
			k, v, ok := strings.Cut(chunk, "=")
			if !ok {
				k, v = "", chunk
			}
			k, v = pyStrip(k), pyStrip(v)
			if k == name && (k != "" || v != "") {
				value, found = v, true
			}
		}
	}
	if found {
		value = pyCookieUnquote(value)
	}
	return value, found
}

// pyStrip is Python's str.strip(): Unicode whitespace plus the ASCII
// information separators \x1c-\x1f.
func pyStrip(s string) string {
	for len(s) > 0 && s[0] < utf8.RuneSelf && isPySpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && s[len(s)-1] < utf8.RuneSelf && isPySpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	if len(s) == 0 || s[0] < utf8.RuneSelf && s[len(s)-1] < utf8.RuneSelf {
		return s
	}
	return strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f
	})
}

// pyCookieUnquote is http.cookies._unquote: a value in double quotes loses
// them, and inside, "\ooo" octal escapes and "\c" escapes are decoded.
func pyCookieUnquote(s string) string {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return s
	}
	s = s[1 : len(s)-1]
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		if i+3 < len(s)+0 && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) && s[i+1] <= '3' {
			b.WriteRune(rune((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0')))
			i += 3
			continue
		}
		b.WriteByte(s[i+1])
		i++
	}
	return b.String()
}

// isPySpace reports ASCII characters Python's str.strip() removes.
func isPySpace(c byte) bool {
	return c == ' ' || c >= '\t' && c <= '\r' || c >= 0x1c && c <= 0x1f
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }
