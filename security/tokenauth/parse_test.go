package tokenauth

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseAuthorization(t *testing.T) {
	const key = "401f7ac837da42b97f613d789819ff93537bee6a"
	for _, c := range []struct {
		header, keyword string
		key             string
		ok              bool
		err             error
	}{
		{"", "Token", "", false, nil},
		{"   ", "Token", "", false, nil},
		{"Basic dXNlcjpwdw==", "Token", "", false, nil},
		{"Bearer " + key, "Token", "", false, nil},
		{"Tokens " + key, "Token", "", false, nil},
		{"Token " + key, "Token", key, true, nil},
		{"token " + key, "Token", key, true, nil},
		{"TOKEN " + key, "Token", key, true, nil},
		{"\t Token \t" + key + " \r\n", "Token", key, true, nil},
		{"Token\x0b" + key + "\x0c", "Token", key, true, nil},
		{"Bearer " + key, "Bearer", key, true, nil},
		{"bearer " + key, "Bearer", key, true, nil},
		{"Token", "Token", "", true, ErrNoCredentials},
		{"  Token   ", "Token", "", true, ErrNoCredentials},
		{"Token a b", "Token", "", true, ErrSpaces},
		{"Token " + key + " x", "Token", "", true, ErrSpaces},
		{"Token \xff\xfe", "Token", "", true, ErrInvalidChars},
		{"Token \xed\xa0\x80", "Token", "", true, ErrInvalidChars}, // a UTF-8 surrogate: Python's decode() refuses it
		{"Token clé", "Token", "clé", true, nil},
		// Only ASCII whitespace separates (Python's bytes.split()): NBSP and
		// U+0085 are part of the key, and the Kelvin sign is no "k".
		{"Token a\u00a0b", "Token", "a\u00a0b", true, nil},
		{"Token a\u0085b", "Token", "a\u0085b", true, nil},
		{"To\u212aen " + key, "Token", "", false, nil},
		// Python's bytes.split() does not split on \x1c-\x1f (str.split() does).
		{"Token a\x1cb", "Token", "a\x1cb", true, nil},
	} {
		k, ok, err := ParseAuthorization(c.header, c.keyword)
		if k != c.key || ok != c.ok || err != c.err {
			t.Errorf("ParseAuthorization(%q, %q) = %q, %v, %v; want %q, %v, %v", c.header, c.keyword, k, ok, err, c.key, c.ok, c.err)
		}
	}
}

// pyParse is DRF's authenticate() written as directly as Go allows.
func pyParse(header, keyword string) (string, bool, error) {
	var auth []string
	start := -1
	for i := 0; i <= len(header); i++ {
		if i == len(header) || isSpace(header[i]) {
			if start >= 0 {
				auth = append(auth, header[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	if len(auth) == 0 || strings.ToLower(asciiOnlyLower(auth[0])) != strings.ToLower(keyword) {
		return "", false, nil
	}
	switch {
	case len(auth) == 1:
		return "", true, ErrNoCredentials
	case len(auth) > 2:
		return "", true, ErrSpaces
	case !utf8.ValidString(auth[1]):
		return "", true, ErrInvalidChars
	}
	return auth[1], true, nil
}

// asciiOnlyLower lower-cases ASCII letters and maps every other byte to
// itself but out of reach of strings.ToLower (so only ASCII folds).
func asciiOnlyLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 0x80 {
			return s + "\xff" // never equal to an ASCII keyword
		}
		b[i] = lowerASCII(c)
	}
	return string(b)
}

func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{"", "Token", "Token abc", "token  a b", "Token \xff", "Bearer x", "\tToken\nabc\r", "To\u212aen x", "Token a\u00a0b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		key, ok, err := ParseAuthorization(header, "Token")
		wk, wok, werr := pyParse(header, "Token")
		if key != wk || ok != wok || err != werr {
			t.Fatalf("ParseAuthorization(%q) = %q, %v, %v; DRF's reading %q, %v, %v", header, key, ok, err, wk, wok, werr)
		}
		if ok && err == nil && (key == "" || !utf8.ValidString(key) || strings.ContainsAny(key, " \t\n\r\v\f")) {
			t.Fatalf("key %q", key)
		}
	})
}
