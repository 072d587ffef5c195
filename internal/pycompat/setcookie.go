package pycompat

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// SetCookie is one Set-Cookie header as Django's HttpResponse.set_cookie and
// delete_cookie write it through Python's http.cookies.Morsel.
type SetCookie struct {
	Name  string
	Value string // written as is: callers pass values that need no quoting
	// Domain is written when not empty.
	Domain string
	// Expires is written when not zero, in UTC as "Wdy, DD Mon YYYY HH:MM:SS GMT".
	Expires time.Time
	// MaxAge is written when >= 0.
	MaxAge int64
	// Path is always written.
	Path     string
	HTTPOnly bool
	// SameSite writes Lax, Strict or None; http.SameSiteDefaultMode (and
	// the zero value) write nothing.
	SameSite http.SameSite
	Secure   bool
}

// String returns the header value with the attributes in Morsel's order
// (sorted by name): "name=value; Domain=…; expires=…; HttpOnly; Max-Age=…;
// Path=…; SameSite=…; Secure".
func (c *SetCookie) String() string {
	var b strings.Builder
	b.Grow(len(c.Name) + len(c.Value) + len(c.Domain) + len(c.Path) + 96)
	b.WriteString(c.Name)
	b.WriteByte('=')
	b.WriteString(c.Value)
	if c.Domain != "" {
		b.WriteString("; Domain=")
		b.WriteString(c.Domain)
	}
	var buf [32]byte
	if !c.Expires.IsZero() {
		b.WriteString("; expires=")
		b.Write(c.Expires.UTC().AppendFormat(buf[:0], http.TimeFormat))
	}
	if c.HTTPOnly {
		b.WriteString("; HttpOnly")
	}
	if c.MaxAge >= 0 {
		b.WriteString("; Max-Age=")
		b.Write(strconv.AppendInt(buf[:0], c.MaxAge, 10))
	}
	b.WriteString("; Path=")
	b.WriteString(c.Path)
	switch c.SameSite {
	case http.SameSiteLaxMode:
		b.WriteString("; SameSite=Lax")
	case http.SameSiteStrictMode:
		b.WriteString("; SameSite=Strict")
	case http.SameSiteNoneMode:
		b.WriteString("; SameSite=None")
	}
	if c.Secure {
		b.WriteString("; Secure")
	}
	return b.String()
}

// DeleteCookie is Django's delete_cookie(name, path, domain, samesite): an
// empty quoted value that expired at the Unix epoch, Secure only for
// "__Secure-" and "__Host-" names or SameSite=None.
func DeleteCookie(name, path, domain string, sameSite http.SameSite) *SetCookie {
	return &SetCookie{
		Name: name, Value: `""`, Domain: domain, Expires: time.Unix(0, 0), MaxAge: 0, Path: path,
		SameSite: sameSite,
		Secure: strings.HasPrefix(name, "__Secure-") || strings.HasPrefix(name, "__Host-") ||
			sameSite == http.SameSiteNoneMode,
	}
}
