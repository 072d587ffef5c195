package pycompat

import (
	"net/netip"
	"strings"
)

// URL is Python's urllib.parse.ParseResult. Django parses Origin and Referer
// with urlparse, whose notion of "scheme" and "netloc" differs from net/url's
// in corner cases (a missing "//", user info, odd ports); reproducing it keeps
// the CSRF accept/reject decisions and reason texts identical to Django's.
type URL struct {
	Scheme, Netloc, Path, Params, Query, Fragment string
}

// ParseURL follows CPython 3.11+ urllib.parse.urlparse: it strips tab, CR
// and LF everywhere and leading C0 controls and spaces, lower-cases the scheme,
// takes the netloc after "//" up to the first "/", "?" or "#", and fails
// (ValueError in Python) on unbalanced brackets or a bracketed host that is
// not an IPv6 address or IPvFuture literal. The NFKC check Python applies to
// non-ASCII netlocs is not reproduced: such a netloc is taken as is.
func ParseURL(s string) (u URL, ok bool) {
	if strings.ContainsAny(s, "\t\r\n") {
		s = strings.Map(func(r rune) rune {
			if r == '\t' || r == '\r' || r == '\n' {
				return -1
			}
			return r
		}, s)
	}
	for len(s) > 0 && s[0] <= ' ' {
		s = s[1:]
	}
	if i := strings.IndexByte(s, ':'); i > 0 && IsASCIIAlpha(s[0]) {
		valid := true
		for j := 0; j < i; j++ {
			c := s[j]
			if !(IsASCIIAlpha(c) || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
				valid = false
				break
			}
		}
		if valid {
			u.Scheme, s = ASCIILower(s[:i]), s[i+1:]
		}
	}
	if strings.HasPrefix(s, "//") {
		end := len(s)
		for _, c := range "/?#" {
			if k := strings.IndexByte(s[2:], byte(c)); k >= 0 && k+2 < end {
				end = k + 2
			}
		}
		u.Netloc, s = s[2:end], s[end:]
		open, close := strings.IndexByte(u.Netloc, '['), strings.IndexByte(u.Netloc, ']')
		if (open >= 0) != (close >= 0) {
			return URL{}, false
		}
		if open >= 0 {
			host := u.Netloc[open+1:]
			if k := strings.IndexByte(host, ']'); k >= 0 {
				host = host[:k]
			}
			if !validBracketedHost(host) {
				return URL{}, false
			}
		}
	}
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s, u.Fragment = s[:i], s[i+1:]
	}
	if i := strings.IndexByte(s, '?'); i >= 0 {
		s, u.Query = s[:i], s[i+1:]
	}
	// urlparse splits ";params" off the last path segment for http(s) and
	// scheme-less URLs.
	switch u.Scheme {
	case "", "http", "https", "ftp", "hdl", "prospero", "rtsp", "rtspu", "sftp", "shttp", "sip", "sips", "snews", "svn", "svn+ssh", "tel", "telnet", "wais", "imap", "mms":
		from := strings.LastIndexByte(s, '/')
		if from < 0 {
			from = 0
		}
		if k := strings.IndexByte(s[from:], ';'); k >= 0 {
			s, u.Params = s[:from+k], s[from+k+1:]
		}
	}
	u.Path = s
	return u, true
}

// validBracketedHost is CPython's _check_bracketed_host.
func validBracketedHost(h string) bool {
	if strings.HasPrefix(h, "v") {
		// \Av[a-fA-F0-9]+\..+\Z
		i := 1
		for i < len(h) && isHex(h[i]) {
			i++
		}
		return i > 1 && i < len(h)-1 && h[i] == '.'
	}
	a, err := netip.ParseAddr(h)
	return err == nil && a.Is6()
}

// GetURL is Python's ParseResult.geturl() (urlunparse): empty query, fragment
// and params lose their separators.
func (u URL) GetURL() string {
	var b strings.Builder
	if u.Scheme != "" {
		b.WriteString(u.Scheme)
		b.WriteByte(':')
	}
	path := u.Path
	if u.Params != "" {
		path += ";" + u.Params
	}
	if u.Netloc != "" || u.Scheme != "" && usesNetloc(u.Scheme) && !strings.HasPrefix(path, "//") {
		if path != "" && path[0] != '/' {
			path = "/" + path
		}
		b.WriteString("//")
		b.WriteString(u.Netloc)
	}
	b.WriteString(path)
	if u.Query != "" {
		b.WriteByte('?')
		b.WriteString(u.Query)
	}
	if u.Fragment != "" {
		b.WriteByte('#')
		b.WriteString(u.Fragment)
	}
	return b.String()
}

func usesNetloc(scheme string) bool {
	switch scheme {
	case "", "ftp", "http", "gopher", "nntp", "telnet", "imap", "wais", "file", "mms", "https", "shttp", "snews", "prospero", "rtsp", "rtsps", "rtspu", "rsync", "svn", "svn+ssh", "sftp", "nfs", "git", "git+ssh", "ws", "wss", "itms-services":
		return true
	}
	return false
}

// IsASCIIAlpha reports whether c is an ASCII letter.
func IsASCIIAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// ASCIILower lower-cases the ASCII letters of s (scheme and host names);
// s itself is returned when it has none in upper case.
func ASCIILower(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}
