package securityheaders

import (
	"net"
	"net/http"
	"net/netip"
	"net/textproto"
	"strings"
)

// ClientIP returns the address of the client that sent r, as
// django-ipware's get_client_ip does for django-axes, or the zero Addr when
// none can be told.
//
// Without ClientIPHeader it is the host of r.RemoteAddr. With it, it is
// the ProxyCount-th comma-separated address from the right of the header
// (all its lines joined): the addresses further left were written by the
// client or by proxies we do not control. A header with fewer addresses
// than ProxyCount gives its leftmost address (the request passed fewer
// proxies than configured); an absent header, or an element that is not an
// IP address, gives r.RemoteAddr's, so a misconfigured proxy cannot make
// every client share one empty address. IPv4-mapped IPv6 addresses are
// unmapped and zones dropped.
func (t *Trust) ClientIP(r *http.Request) netip.Addr {
	if t.ClientIPHeader != "" {
		if vs := r.Header[textproto.CanonicalMIMEHeaderKey(t.ClientIPHeader)]; len(vs) > 0 {
			if a, ok := fromHeader(vs, t.ProxyCount); ok {
				return a
			}
		}
	}
	// The usual RemoteAddr, host:port, parses directly (a failed parse
	// allocates its error).
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return normAddr(ap.Addr())
	}
	host := r.RemoteAddr
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	a, _ := parseAddr(host)
	return a
}

// fromHeader picks the count-th address from the right of the header lines.
func fromHeader(lines []string, count int) (netip.Addr, bool) {
	if count < 1 {
		count = 1
	}
	var parts []string
	for _, l := range lines {
		for _, p := range strings.Split(l, ",") {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
	}
	if len(parts) == 0 {
		return netip.Addr{}, false
	}
	i := len(parts) - count
	if i < 0 {
		i = 0
	}
	return parseAddr(parts[i])
}

// parseAddr accepts an address as proxies write it: bare, bracketed IPv6,
// or either with a port.
func parseAddr(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return normAddr(ap.Addr()), true
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return normAddr(a), true
}

func normAddr(a netip.Addr) netip.Addr { return a.Unmap().WithZone("") }
