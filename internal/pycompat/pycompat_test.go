package pycompat

import (
	"encoding/hex"
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unicode/utf8"
)

// djangoVectors is one testdata/django-*.json file (see gen_django_vectors.py).
type djangoVectors struct {
	Django  string `json:"django"`
	Python  string `json:"python"`
	IsSpace []rune `json:"isspace"`
	Cookies []struct {
		Header    *string     `json:"header"`
		HeaderHex string      `json:"header_hex"`
		Cookies   [][2]string `json:"cookies"`
	} `json:"cookies"`
	Forms []struct {
		Body    *string `json:"body"`
		BodyHex string  `json:"body_hex"`
		Token   *string `json:"token"`
	} `json:"forms"`
	UTF8 [][2]string `json:"utf8"`
}

func loadVectors(t *testing.T) []djangoVectors {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "django-*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no vectors in testdata: %v", err)
	}
	var all []djangoVectors
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var v djangoVectors
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(v.Cookies) == 0 || len(v.Forms) == 0 || len(v.UTF8) == 0 || len(v.IsSpace) == 0 {
			t.Fatalf("%s: empty vector list", f)
		}
		all = append(all, v)
	}
	return all
}

func rawBytes(t *testing.T, text *string, hexText string) string {
	t.Helper()
	if text != nil {
		return *text
	}
	b, err := hex.DecodeString(hexText)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCookieDjangoVectors(t *testing.T) {
	for _, vs := range loadVectors(t) {
		for _, v := range vs.Cookies {
			header := rawBytes(t, v.Header, v.HeaderHex)
			want := map[string]string{}
			for _, kv := range v.Cookies {
				want[kv[0]] = kv[1]
			}
			if got := ParseCookie(header); !maps.Equal(got, want) {
				t.Errorf("Django %s: ParseCookie(%q) = %q, want %q", vs.Django, header, got, want)
			}
			h := http.Header{"Cookie": {header}}
			for k, w := range want {
				if got, ok := CookieValue(h, k); !ok || got != w {
					t.Errorf("Django %s: CookieValue(%q, %q) = %q, %v; want %q", vs.Django, header, k, got, ok, w)
				}
			}
			for _, k := range []string{"absent", "sessionid", "csrftoken", "", "a", "abc"} {
				if _, in := want[k]; in {
					continue
				}
				if got, ok := CookieValue(h, k); ok {
					t.Errorf("Django %s: CookieValue(%q, %q) = %q, want absent", vs.Django, header, k, got)
				}
			}
		}
	}
}

func TestFormDjangoVectors(t *testing.T) {
	for _, vs := range loadVectors(t) {
		for _, v := range vs.Forms {
			body := rawBytes(t, v.Body, v.BodyHex)
			got, ok := FormValue([]byte(body), "csrfmiddlewaretoken")
			if want := v.Token; (want != nil) != ok || want != nil && got != *want {
				t.Errorf("Django %s: FormValue(%q) = %q, %v; want %v", vs.Django, body, got, ok, jsonText(want))
			}
		}
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestDecodeUTF8Vectors(t *testing.T) {
	for _, vs := range loadVectors(t) {
		for _, v := range vs.UTF8 {
			raw := rawBytes(t, nil, v[0])
			if got := DecodeUTF8(raw); got != v[1] {
				t.Errorf("Python %s: DecodeUTF8(%q) = %q, want %q", vs.Python, raw, got, v[1])
			}
		}
	}
}

func TestIsSpaceMatchesPython(t *testing.T) {
	for _, vs := range loadVectors(t) {
		want := make(map[rune]bool, len(vs.IsSpace))
		for _, r := range vs.IsSpace {
			want[r] = true
		}
		for r := rune(0); r <= utf8.MaxRune; r++ {
			if IsSpace(r) != want[r] {
				t.Errorf("Python %s: IsSpace(%U) = %v, want %v", vs.Python, r, IsSpace(r), want[r])
			}
		}
	}
}

func TestCookieValueHeaders(t *testing.T) {
	for _, tc := range []struct {
		lines []string
		want  string
		ok    bool
	}{
		{nil, "", false},
		{[]string{"a=1", "sessionid=x"}, "x", true},
		{[]string{"sessionid=x", "sessionid=y"}, "y", true}, // fields read as if joined with "; "
		{[]string{"sessionid=\"\\351\"", "b=\xff"}, "é", true},
		{[]string{"sessionid"}, "", false},
		{[]string{"sessionid="}, "", true},
	} {
		got, ok := CookieValue(http.Header{"Cookie": tc.lines}, "sessionid")
		if got != tc.want || ok != tc.ok {
			t.Errorf("CookieValue(%q) = %q, %v; want %q, %v", tc.lines, got, ok, tc.want, tc.ok)
		}
	}
}

func TestSetCookie(t *testing.T) {
	now := time.Date(2026, 11, 26, 18, 12, 52, 0, time.FixedZone("", 3600))
	for _, tc := range []struct {
		c    SetCookie
		want string
	}{
		{SetCookie{Name: "csrftoken", Value: "v", Expires: now.Add(31449600 * time.Second), MaxAge: 31449600, Path: "/", SameSite: http.SameSiteLaxMode},
			"csrftoken=v; expires=Thu, 25 Nov 2027 17:12:52 GMT; Max-Age=31449600; Path=/; SameSite=Lax"},
		{SetCookie{Name: "sessionid", Value: "k", Domain: ".example.com", MaxAge: -1, Path: "/p", HTTPOnly: true, SameSite: http.SameSiteStrictMode, Secure: true},
			"sessionid=k; Domain=.example.com; HttpOnly; Path=/p; SameSite=Strict; Secure"},
		{SetCookie{Name: "n", Value: "v", MaxAge: -1, Path: "/", SameSite: http.SameSiteDefaultMode},
			"n=v; Path=/"},
		{*DeleteCookie("sessionid", "/", "", http.SameSiteLaxMode),
			`sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax`},
		{*DeleteCookie("__Host-s", "/", "", http.SameSiteLaxMode),
			`__Host-s=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax; Secure`},
		{*DeleteCookie("s", "/", "d.example", http.SameSiteNoneMode),
			`s=""; Domain=d.example; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=None; Secure`},
	} {
		if got := tc.c.String(); got != tc.want {
			t.Errorf("SetCookie.String() =\n %s\nwant\n %s", got, tc.want)
		}
	}
}

func TestISOFormat(t *testing.T) {
	for _, tc := range []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, 11, 26, 18, 12, 52, 0, time.FixedZone("", 2*3600)), "2026-11-26T18:12:52+02:00"},
		{time.Date(2026, 11, 26, 18, 12, 52, 1500, time.UTC), "2026-11-26T18:12:52.000001+00:00"},
		{time.Date(2026, 1, 2, 3, 4, 5, 999, time.FixedZone("", -(5*3600+30*60))), "2026-01-02T03:04:05-05:30"},
	} {
		got := ISOFormat(tc.t)
		if got != tc.want {
			t.Errorf("ISOFormat(%v) = %s, want %s", tc.t, got, tc.want)
		}
		back, err := ParseISO(got)
		if err != nil || !back.Equal(tc.t.Truncate(time.Microsecond)) {
			t.Errorf("ParseISO(%s) = %v, %v", got, back, err)
		}
	}
	for _, in := range []string{"2026-11-26 18:12:52", "2026-11-26T18:12", "2026-11-26"} {
		if got, err := ParseISO(in); err != nil || got.Location() != time.UTC {
			t.Errorf("ParseISO(%q) = %v, %v; want UTC", in, got, err)
		}
	}
	if _, err := ParseISO("26/11/2026"); err == nil {
		t.Error("ParseISO accepted 26/11/2026")
	}
}

func TestAppendJSONString(t *testing.T) {
	for _, tc := range []struct {
		in   string // after the opening quote
		want string
		end  int
		err  JSONStringError
	}{
		{`abc"x`, "abc", 4, 0},
		{`é"`, "é", 3, 0},
		{`a\"b\\c\/d\b\f\n\r\t"`, "a\"b\\c/d\b\f\n\r\t", 21, 0},
		{`\u00e9\u20AC"`, "é€", 13, 0},
		{`\ud83d\udc0d"`, "\U0001F40D", 13, 0},
		{`\ud83dx"`, "\uFFFDx", 8, 0},
		{`\udc0d\ud83d"`, "\uFFFD\uFFFD", 13, 0},
		{`\ud83d\u0041"`, "\uFFFDA", 13, 0},
		{`abc`, "", 3, JSONStringEOF},
		{`a\`, "", 2, JSONStringEOF},
		{`\u12`, "", 4, JSONStringEOF},
		{`\u12G4"`, "", 4, JSONStringHex},
		{`\ud83d\uZZZZ"`, "", 8, JSONStringHex},
		{`\x"`, "", 1, JSONStringEscape},
		{"a\x1fb\"", "", 1, JSONStringControl},
		{"a\xffb\"", "", 1, JSONStringUTF8},
		{"\\na\xffb\"", "", 3, JSONStringUTF8},
	} {
		data := []byte(`"` + tc.in)
		got, end, err := AppendJSONString(nil, data, 1)
		if err != tc.err || end != tc.end+1 || err == 0 && string(got) != tc.want {
			t.Errorf("AppendJSONString(%q) = %q, %d, %d; want %q, %d, %d", tc.in, got, end, err, tc.want, tc.end+1, tc.err)
		}
	}
}

func TestUnquotePlus(t *testing.T) {
	for in, want := range map[string]string{
		"":             "",
		"a+b":          "a b",
		"%2B+%2b":      "+ +",
		"%41%4a%4A":    "AJJ",
		"%e2%82":       "\uFFFD",
		"é%c3%a9é":     "ééé",
		"%c3é%a9":      "\uFFFDé\uFFFD", // escapes are decoded per ASCII run
		"100%":         "100%",
		"%zz%4":        "%zz%4",
		"%%41":         "%A",
		"%F0%9F%90%8D": "\U0001F40D",
	} {
		if got := UnquotePlus(in); got != want {
			t.Errorf("UnquotePlus(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want URL
		ok   bool
		url  string
	}{
		{"https://a.b/c;d?e#f", URL{"https", "a.b", "/c", "d", "e", "f"}, true, "https://a.b/c;d?e#f"},
		{"HTTPS://[::1]:8/", URL{Scheme: "https", Netloc: "[::1]:8", Path: "/"}, true, "https://[::1]:8/"},
		{"\t https://a\n/", URL{Scheme: "https", Netloc: "a", Path: "/"}, true, "https://a/"},
		{"https://[", URL{}, false, ""},
		{"https://[v1.x]/", URL{Scheme: "https", Netloc: "[v1.x]", Path: "/"}, true, "https://[v1.x]/"},
		{"https://[bad]/", URL{}, false, ""},
		{"//x?", URL{Netloc: "x"}, true, "//x"},
		{"mailto:a@b", URL{Scheme: "mailto", Path: "a@b"}, true, "mailto:a@b"},
		{"https:", URL{Scheme: "https"}, true, "https://"},
	} {
		got, ok := ParseURL(tc.in)
		if got != tc.want || ok != tc.ok || ok && got.GetURL() != tc.url {
			t.Errorf("ParseURL(%q) = %+v, %v (geturl %q); want %+v, %v, %q", tc.in, got, ok, got.GetURL(), tc.want, tc.ok, tc.url)
		}
	}
}

func TestSkipJSONSpace(t *testing.T) {
	for in, want := range map[string]int{"": 0, "x": 0, " \t\r\nx": 4, "  ": 2, "\v": 0, "\u00a0": 0} {
		if got := SkipJSONSpace([]byte(in), 0); got != want {
			t.Errorf("SkipJSONSpace(%q) = %d, want %d", in, got, want)
		}
	}
}

func BenchmarkCookieValue(b *testing.B) {
	h := http.Header{"Cookie": {"_ga=GA1.2.3.4; csrftoken=AbCdEfGhIjKlMnOpQrStUvWxYz012345; sessionid=abcdefghijklmnopqrstuvwxyz012345"}}
	b.ReportAllocs()
	for b.Loop() {
		if v, ok := CookieValue(h, "sessionid"); !ok || len(v) != 32 {
			b.Fatal(v)
		}
	}
}

func TestAppendJSONQuoted(t *testing.T) {
	in := "é\u2028\U0001F40D\x7f\x00\x1f\b\f\n\r\t\"\\/<>&\xff"
	for _, tc := range []struct {
		ascii bool
		want  string
	}{
		{true, `"\u00e9\u2028\ud83d\udc0d\u007f\u0000\u001f\b\f\n\r\t\"\\/<>&\ufffd"`},
		{false, "\"é\\u2028\U0001F40D\x7f\\u0000\\u001f\\u0008\\u000c\\n\\r\\t\\\"\\\\/<>&\\ufffd\""},
	} {
		if got := string(AppendJSONQuoted(nil, in, tc.ascii)); got != tc.want {
			t.Errorf("AppendJSONQuoted(ascii=%v) =\n %s\nwant\n %s", tc.ascii, got, tc.want)
		}
	}
}
