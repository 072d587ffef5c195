package securityheaders

import (
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"strings"
)

// ErrDisallowedHost is returned by [Trust.Host] when the request's host is
// malformed or not in [Trust.AllowedHosts] (Django's DisallowedHost).
var ErrDisallowedHost = errors.New("securityheaders: disallowed host")

// Trust states which facts about a request the server believes. It is shared
// by this package and the csrf package so that both answer "is this request
// HTTPS?" and "which host was it addressed to?" the same way.
//
// Whether a request is secure comes from the connection (r.TLS) or from a
// header set by a reverse proxy you control, configured explicitly as in
// Django's SECURE_PROXY_SSL_HEADER. It is never guessed, and r.URL.Scheme (which
// net/http leaves empty on server requests) is never consulted.
//
// The zero value trusts only the connection for HTTPS and accepts any
// well-formed Host header.
type Trust struct {
	// ProxySSLHeader and ProxySSLValue are Django's SECURE_PROXY_SSL_HEADER, in
	// HTTP form: for ("X-Forwarded-Proto", "https") a request whose
	// X-Forwarded-Proto header's first comma-separated element is "https" is
	// secure. Set them only when every request passes through a proxy that sets
	// or strips that header; otherwise clients can claim HTTPS. When the header
	// is configured but absent from a request, the connection decides, as in
	// Django.
	ProxySSLHeader string
	ProxySSLValue  string

	// AllowedHosts is Django's ALLOWED_HOSTS: "*" matches any host,
	// ".example.com" matches example.com and its subdomains, anything else must
	// equal the host (without port, case-insensitively). Empty means any
	// well-formed host: then the Host header must already be checked in front
	// of the application (by the reverse proxy or a virtual-host router). A host
	// that is not well-formed ([a-z0-9.-]+ or a bracketed IPv6 address, plus an
	// optional port) is always disallowed.
	AllowedHosts []string

	// UseXForwardedHost is Django's USE_X_FORWARDED_HOST: take the host from
	// X-Forwarded-Host when that header is present. Only for a trusted proxy.
	UseXForwardedHost bool

	// ClientIPHeader names the header in which trusted reverse proxies pass
	// on the client's address, each appending the address it received the
	// request from ("X-Forwarded-For"; "X-Real-IP" has one element), as
	// django-ipware's META precedence order does for django-axes. Empty
	// means the connection's peer address (r.RemoteAddr) is the client. Set
	// it only when every request passes through such a proxy; otherwise
	// clients choose their own address.
	ClientIPHeader string
	// ProxyCount is how many trusted proxies append to ClientIPHeader
	// (django-ipware's proxy_count): the client is the ProxyCount-th
	// address from the right, so addresses a client wrote into the header
	// itself are never taken. Zero means 1.
	ProxyCount int
}

// Validate reports configuration errors; the middlewares call it at setup
// on their copy. It also normalizes ProxySSLHeader to its canonical HTTP form,
// accepting Django's META spelling ("HTTP_X_FORWARDED_PROTO").
func (t *Trust) Validate() error {
	if (t.ProxySSLHeader == "") != (t.ProxySSLValue == "") {
		return errors.New("securityheaders: ProxySSLHeader and ProxySSLValue must be set together")
	}
	if h := t.ProxySSLHeader; h != "" {
		if strings.HasPrefix(h, "HTTP_") {
			h = strings.ReplaceAll(strings.TrimPrefix(h, "HTTP_"), "_", "-")
		}
		if !validHeaderName(h) {
			return fmt.Errorf("securityheaders: ProxySSLHeader %q is not a valid header name", t.ProxySSLHeader)
		}
		t.ProxySSLHeader = textproto.CanonicalMIMEHeaderKey(h)
	}
	for _, h := range t.AllowedHosts {
		if h == "" {
			return errors.New("securityheaders: empty entry in AllowedHosts")
		}
	}
	if h := t.ClientIPHeader; h != "" {
		if !validHeaderName(h) {
			return fmt.Errorf("securityheaders: ClientIPHeader %q is not a valid header name", h)
		}
		t.ClientIPHeader = textproto.CanonicalMIMEHeaderKey(h)
	}
	if t.ProxyCount < 0 {
		return fmt.Errorf("securityheaders: negative ProxyCount %d", t.ProxyCount)
	}
	return nil
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// IsSecure reports whether r arrived over HTTPS, like Django's
// request.is_secure().
func (t *Trust) IsSecure(r *http.Request) bool {
	if t.ProxySSLHeader != "" {
		if vs, ok := r.Header[textproto.CanonicalMIMEHeaderKey(t.ProxySSLHeader)]; ok && len(vs) > 0 {
			v := vs[0]
			if i := strings.IndexByte(v, ','); i >= 0 {
				v = v[:i]
			}
			return strings.TrimSpace(v) == t.ProxySSLValue
		}
	}
	return r.TLS != nil
}

// Host returns the host (with port, as sent) the request was addressed to, like
// Django's request.get_host(): r.Host, or X-Forwarded-Host when
// UseXForwardedHost is set. It returns ErrDisallowedHost when the host is
// malformed or not allowed.
func (t *Trust) Host(r *http.Request) (string, error) {
	host := r.Host
	if t.UseXForwardedHost {
		if vs, ok := r.Header["X-Forwarded-Host"]; ok && len(vs) > 0 {
			host = vs[0]
		}
	}
	domain, _, ok := SplitDomainPort(host)
	if !ok {
		return "", ErrDisallowedHost
	}
	if len(t.AllowedHosts) == 0 {
		return host, nil
	}
	for _, p := range t.AllowedHosts {
		if p == "*" || IsSameDomain(domain, p) {
			return host, nil
		}
	}
	return "", ErrDisallowedHost
}

// Port returns the port the request was addressed to: the port in the Host
// (see [Trust.Host]) or, without one, "443" for secure requests and "80"
// otherwise. Django reads the WSGI server's SERVER_PORT instead, which most
// servers also derive from the Host header.
func (t *Trust) Port(r *http.Request) string {
	host := r.Host
	if t.UseXForwardedHost {
		if vs, ok := r.Header["X-Forwarded-Host"]; ok && len(vs) > 0 {
			host = vs[0]
		}
	}
	if _, port, ok := SplitDomainPort(host); ok && port != "" {
		return port
	}
	if t.IsSecure(r) {
		return "443"
	}
	return "80"
}

// SplitDomainPort splits a Host value as Django's split_domain_port does,
// validating it against ^([a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(:[0-9]+)?$
// (case-insensitively) and dropping one trailing dot from the domain. The
// domain is returned as sent (Django lower-cases it; compare with
// [IsSameDomain], which ignores case).
func SplitDomainPort(host string) (domain, port string, ok bool) {
	if host == "" {
		return "", "", false
	}
	rest := ""
	if host[0] == '[' {
		end := strings.IndexByte(host, ']')
		if end < 0 {
			return "", "", false
		}
		inner := host[1:end]
		colon := strings.IndexByte(inner, ':')
		if colon < 0 || colon == len(inner)-1 {
			return "", "", false
		}
		for i := 0; i < len(inner); i++ {
			c := lower(inner[i])
			if i < colon && !(c >= 'a' && c <= 'f' || c >= '0' && c <= '9') {
				return "", "", false
			}
			if i > colon && !(c >= 'a' && c <= 'f' || c >= '0' && c <= '9' || c == '.' || c == ':') {
				return "", "", false
			}
		}
		domain, rest = host[:end+1], host[end+1:]
	} else {
		i := 0
		for i < len(host) {
			c := lower(host[i])
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
				break
			}
			i++
		}
		if i == 0 {
			return "", "", false
		}
		domain, rest = host[:i], host[i:]
	}
	if rest != "" {
		if rest[0] != ':' || len(rest) == 1 {
			return "", "", false
		}
		for i := 1; i < len(rest); i++ {
			if rest[i] < '0' || rest[i] > '9' {
				return "", "", false
			}
		}
		port = rest[1:]
	}
	if domain[0] != '[' && domain[len(domain)-1] == '.' {
		domain = domain[:len(domain)-1]
	}
	return domain, port, true
}

// IsSameDomain reports whether host matches pattern as Django's
// django.utils.http.is_same_domain does: a pattern starting with a dot matches
// the domain itself and any subdomain; any other pattern must be equal. The
// comparison ignores ASCII case (Django lower-cases the pattern; hosts reach
// it lower-cased except where noted by callers).
func IsSameDomain(host, pattern string) bool {
	if pattern == "" {
		return false
	}
	if pattern[0] == '.' {
		if len(host) >= len(pattern) && equalFold(host[len(host)-len(pattern):], pattern) {
			return true
		}
		if equalFold(host, pattern[1:]) {
			return true
		}
	}
	return equalFold(host, pattern)
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}
