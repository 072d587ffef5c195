package jwtauth_test

import (
	"strings"
	"testing"
	"time"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/security/jwtauth"
)

// FuzzParseBearer: never panics; a token it returns is one non-empty field
// of the header without whitespace, after one of the types.
func FuzzParseBearer(f *testing.F) {
	for _, s := range []string{"", "Bearer x", " Bearer\tx ", "Bearer", "Bearer a b", "JWT x", "\x0bBearer\x0cx"} {
		f.Add(s)
	}
	types := []string{"Bearer", "JWT"}
	f.Fuzz(func(t *testing.T, h string) {
		tok, ok, err := jwtauth.ParseBearer(h, types)
		if ok {
			if err != nil || tok == "" || strings.ContainsAny(tok, " \t\r\n\v\f") {
				t.Fatalf("ParseBearer(%q) = %q, %v, %v", h, tok, ok, err)
			}
			f := strings.Fields(h)
			if len(f) != 2 || f[1] != tok || (f[0] != "Bearer" && f[0] != "JWT") {
				t.Fatalf("ParseBearer(%q) = %q", h, tok)
			}
		}
	})
}

// FuzzDecode: never panics; a token it accepts (other than the seeds'
// valid ones, which it must accept) has the claims Decode promises.
func FuzzDecode(f *testing.F) {
	now := fixedNow.Unix()
	f.Add(hs256(hdr, claims("access", now+60, now, `"user_id":"1"`), secret))
	f.Add(hs256(hdr, claims("refresh", now+60, now, `"user_id":1,"x":[{"a":"\"}"}]`), secret))
	f.Add(hs256(`{"alg":"none"}`, `{}`, secret))
	f.Add("a.b.c")
	f.Add("...")
	j, err := jwtauth.New(jwtauth.Options{Auth: mustAuth(f), SigningKey: secret, Now: func() time.Time { return fixedNow }})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		tok, err := j.Decode(raw, "")
		if err != nil {
			return
		}
		if tok.Exp <= now || tok.Raw != raw || strings.Count(raw, ".") != 2 {
			t.Fatalf("accepted %q: %+v", raw, tok)
		}
	})
}

func mustAuth(t testing.TB) *auth.Auth {
	a, err := auth.New(auth.Options{SecretKey: secret, Users: &auth.MemoryUsers{}})
	if err != nil {
		t.Fatal(err)
	}
	return a
}
