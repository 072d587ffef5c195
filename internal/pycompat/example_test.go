package pycompat_test

import (
	"fmt"
	"net/http"
	"time"

	"github.com/dmr-go/dmr/internal/pycompat"
)

func ExampleCookieValue() {
	h := http.Header{"Cookie": {`sessionid=first; a="\351t\351"; sessionid=last`}}
	fmt.Println(pycompat.CookieValue(h, "sessionid"))
	fmt.Println(pycompat.CookieValue(h, "a"))
	// Output:
	// last true
	// été true
}

func ExampleFormValue() {
	fmt.Println(pycompat.FormValue([]byte("csrfmiddlewaretoken=a&csrfmiddlewaretoken=b+%43"), "csrfmiddlewaretoken"))
	// Output: b C true
}

func ExampleSetCookie() {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	c := pycompat.SetCookie{Name: "sessionid", Value: "k", Expires: now.Add(time.Hour), MaxAge: 3600, Path: "/", HTTPOnly: true, SameSite: http.SameSiteLaxMode}
	fmt.Println(c.String())
	fmt.Println(pycompat.DeleteCookie("sessionid", "/", "", http.SameSiteLaxMode).String())
	// Output:
	// sessionid=k; expires=Tue, 01 Dec 2026 13:00:00 GMT; HttpOnly; Max-Age=3600; Path=/; SameSite=Lax
	// sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax
}

func ExampleISOFormat() {
	fmt.Println(pycompat.ISOFormat(time.Date(2026, 12, 1, 12, 0, 0, 500000, time.FixedZone("", 3600))))
	// Output: 2026-12-01T12:00:00.000500+01:00
}

func ExampleDecodeUTF8() {
	fmt.Printf("%+q\n", pycompat.DecodeUTF8("a\xe2\x82b\xff"))
	// Output: "a\ufffdb\ufffd"
}
