package pycompat

import (
	"strings"
	"unicode/utf8"
)

// FormValue is Django's QueryDict(body).get(name) for an
// application/x-www-form-urlencoded body: a body that is not UTF-8 is read as
// latin-1 (QueryDict's fallback), then split as Python's
// parse_qsl(keep_blank_values=True) splits it: pairs on "&" (not ";"), empty
// pairs skipped, a pair without "=" has an empty value, and names and values
// are unquoted with UnquotePlus. The LAST value of name wins; ok reports
// whether there was one.
func FormValue(body []byte, name string) (value string, ok bool) {
	s := string(body)
	if !utf8.ValidString(s) {
		s = Latin1(s)
	}
	for s != "" {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		if UnquotePlus(k) == name {
			value, ok = UnquotePlus(v), true
		}
	}
	return value, ok
}

// UnquotePlus is Python's urllib.parse.unquote_plus(s) (UTF-8,
// errors="replace") for a valid UTF-8 s: "+" is a space, and in each run of
// ASCII characters the %XX escapes (either case) are decoded to bytes that are
// then read as UTF-8 with errors="replace" (DecodeUTF8); a malformed escape
// stays as it is, and non-ASCII characters are kept.
func UnquotePlus(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		if strings.IndexByte(s, '+') < 0 {
			return s
		}
		return strings.ReplaceAll(s, "+", " ")
	}
	var out strings.Builder
	out.Grow(len(s))
	run := make([]byte, 0, len(s)) // the current ASCII run, unescaped
	flush := func() {
		out.WriteString(DecodeUTF8(string(run)))
		run = run[:0]
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= utf8.RuneSelf:
			flush()
			j := i + 1
			for j < len(s) && s[j] >= utf8.RuneSelf {
				j++
			}
			out.WriteString(s[i:j])
			i = j - 1
		case c == '+':
			run = append(run, ' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			run = append(run, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			run = append(run, c)
		}
	}
	flush()
	return out.String()
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
