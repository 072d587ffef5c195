package pycompat

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCookie checks that CookieValue (the fast path the middlewares use)
// agrees with ParseCookie (parse_cookie written plainly) on every name, and
// that what comes out is UTF-8.
func FuzzCookie(f *testing.F) {
	for _, s := range []string{"a=b", `a="\351t\351"`, "\x1ca=b\x1c; c", `a="\"x\\"`, "a=\xe2\x82; \xff=1", "; =;a", `a="\` + "\n" + `"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		all := ParseCookie(header)
		h := http.Header{"Cookie": {header}}
		for k, want := range all {
			if !utf8.ValidString(k) || !utf8.ValidString(want) {
				t.Fatalf("ParseCookie(%q): %q=%q is not UTF-8", header, k, want)
			}
			if got, ok := CookieValue(h, k); !ok || got != want {
				t.Fatalf("CookieValue(%q, %q) = %q, %v; ParseCookie says %q", header, k, got, ok, want)
			}
		}
		for _, k := range []string{"sessionid", "", "a"} {
			want, in := all[k]
			if got, ok := CookieValue(h, k); ok != in || got != want {
				t.Fatalf("CookieValue(%q, %q) = %q, %v; ParseCookie says %q, %v", header, k, got, ok, want, in)
			}
		}
	})
}

// quoteCookie writes s (valid UTF-8) in double quotes with every character
// UnquoteCookie decodes escaped: '"' and '\' as "\c", other characters up to
// U+00FF (but "\n", which Python leaves alone) as "\ooo" at random.
func quoteCookie(s string, octal bool) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r <= 0xff && r != '\n' && octal:
			fmt.Fprintf(&b, `\%03o`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// FuzzUnquoteCookie checks that quoting then unquoting gives back the value
// and that UTF-8 in gives UTF-8 out.
func FuzzUnquoteCookie(f *testing.F) {
	for _, s := range []string{"", "été", `"\`, "a\nb", "\x00\xff", "🐍"} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, octal bool) {
		if !utf8.ValidString(s) {
			s = DecodeUTF8(s)
		}
		q := quoteCookie(s, octal)
		if got := UnquoteCookie(q); got != s {
			t.Fatalf("UnquoteCookie(%q) = %q, want %q", q, got, s)
		}
		if got := UnquoteCookie(s); !utf8.ValidString(got) {
			t.Fatalf("UnquoteCookie(%q) = %q is not UTF-8", s, got)
		}
	})
}

// decodeUTF8Ref is DecodeUTF8 written another way: at each byte, the longest
// run of 1-4 bytes that is one character, or can be completed to one, is that
// character when complete and one U+FFFD otherwise.
func decodeUTF8Ref(s string) string {
	oneRune := func(q string) bool { return utf8.ValidString(q) && utf8.RuneCountInString(q) == 1 }
	var completable func(p string) bool
	completable = func(p string) bool {
		if oneRune(p) {
			return true
		}
		if len(p) >= utf8.UTFMax {
			return false
		}
		for _, c := range []byte{0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf} {
			if completable(p + string([]byte{c})) {
				return true
			}
		}
		return false
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		n := 1
		for j := min(len(s), i+utf8.UTFMax); j > i; j-- {
			if completable(s[i:j]) {
				n = j - i
				break
			}
		}
		if oneRune(s[i : i+n]) {
			b.WriteString(s[i : i+n])
		} else {
			b.WriteRune(utf8.RuneError)
		}
		i += n
	}
	return b.String()
}

func FuzzDecodeUTF8(f *testing.F) {
	for _, s := range []string{"", "abc", "\xe2\x82x", "\xed\xa0\x80", "\xf4\x90\x80\x80", "é\xff🐍\xf0\x9f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := DecodeUTF8(s)
		if want := decodeUTF8Ref(s); got != want {
			t.Fatalf("DecodeUTF8(%q) = %q, reference %q", s, got, want)
		}
		if utf8.ValidString(s) && got != s {
			t.Fatalf("DecodeUTF8 changed valid %q to %q", s, got)
		}
	})
}

// FuzzFormValue checks that a pair written with url.QueryEscape is found with
// its value whatever comes before it, and that the result is UTF-8.
func FuzzFormValue(f *testing.F) {
	f.Add("a=1&b", "csrfmiddlewaretoken", "abc")
	f.Add("\xe9=%zz", "k", "v a+l%")
	f.Fuzz(func(t *testing.T, prefix, name, value string) {
		body := prefix + "&" + url.QueryEscape(name) + "=" + url.QueryEscape(value)
		got, ok := FormValue([]byte(body), DecodeUTF8(name))
		if !ok || got != DecodeUTF8(value) {
			t.Fatalf("FormValue(%q, %q) = %q, %v; want %q", body, name, got, ok, DecodeUTF8(value))
		}
		if v, _ := FormValue([]byte(prefix), name); !utf8.ValidString(v) {
			t.Fatalf("FormValue(%q) = %q is not UTF-8", prefix, v)
		}
	})
}

// FuzzAppendJSONString checks the scanner against encoding/json: whatever it
// accepts, encoding/json accepts with the same value, and whatever
// encoding/json refuses, it refuses.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{`abc"`, `\ud83d\udc0d"`, `\ud83d"`, `\u12"`, "a\x01\"", `é\n"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		data := []byte(`"` + in)
		got, end, err := AppendJSONString(nil, data, 1)
		if err != 0 {
			if end < 1 || end > len(data) {
				t.Fatalf("error %d at %d, outside the input %q", err, end, data)
			}
			return
		}
		var want string
		if jerr := json.Unmarshal(data[:end], &want); jerr != nil {
			t.Fatalf("accepted %q, encoding/json: %v", data[:end], jerr)
		}
		if string(got) != want {
			t.Fatalf("AppendJSONString(%q) = %q, encoding/json %q", data[:end], got, want)
		}
	})
}

// FuzzParseURL checks the urlparse port never panics and that a netloc
// never spans a path, query or fragment delimiter.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"https://[", "https://a.b/c;d?e#f", "//x", "not a url", "HTTPS://[::1]:8/", "https://[v1.x]/", "\t https://a\n/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, ok := ParseURL(s)
		if !ok {
			return
		}
		if strings.ContainsAny(u.Netloc, "/?#\t\r\n") {
			t.Fatalf("netloc %q from %q", u.Netloc, s)
		}
		_ = u.GetURL()
	})
}

// FuzzAppendJSONQuoted checks both output forms against encoding/json: each
// reads back as s with every byte that is not UTF-8 replaced, the
// ensure_ascii form is all ASCII, and the scanner reads both back too.
func FuzzAppendJSONQuoted(f *testing.F) {
	for _, s := range []string{"", "a\"b\\c", "\b\f\n\r\t\x00\x1f\x7f", "é\u2028\u2029\U0001F40D", "a\xffb\xe2\x82", "</script>&"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want strings.Builder
		for _, r := range s { // one U+FFFD per invalid byte, as the encoder writes
			want.WriteRune(r)
		}
		for _, ascii := range []bool{false, true} {
			out := AppendJSONQuoted(nil, s, ascii)
			var got string
			if err := json.Unmarshal(out, &got); err != nil || got != want.String() {
				t.Fatalf("AppendJSONQuoted(%q, %v) = %s reads back as %q, %v; want %q", s, ascii, out, got, err, want.String())
			}
			back, end, serr := AppendJSONString(nil, out, 1)
			if serr != 0 || end != len(out) || string(back) != want.String() {
				t.Fatalf("scanner reads %s as %q (err %d, end %d)", out, back, serr, end)
			}
			for _, c := range out {
				if ascii && (c < 0x20 || c >= 0x7f) {
					t.Fatalf("ensure_ascii output %q has byte %#x", out, c)
				}
			}
		}
	})
}
