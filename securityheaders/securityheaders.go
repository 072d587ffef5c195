package securityheaders

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/dmr-go/dmr/commit"
)

// Off, as the value of a header option, leaves that header out.
const Off = "off"

// Options configures a [Policy]. The zero value is Django's defaults
// (SecurityMiddleware plus XFrameOptionsMiddleware): the four headers below,
// no HSTS, no HTTPS redirect.
type Options struct {
	// Trust decides whether a request is HTTPS (for HSTS and the redirect)
	// and its host (for the redirect). Use the same value as the csrf
	// package's Options.Trust.
	Trust Trust

	// FrameOptions is X_FRAME_OPTIONS: "" means "DENY"; "SAMEORIGIN" or Off.
	FrameOptions string
	// ContentTypeOptions is SECURE_CONTENT_TYPE_NOSNIFF: "" means "nosniff";
	// Off leaves it out.
	ContentTypeOptions string
	// ReferrerPolicy is SECURE_REFERRER_POLICY: "" means "same-origin"; one
	// or more comma-separated policies, or Off.
	ReferrerPolicy string
	// CrossOriginOpenerPolicy is SECURE_CROSS_ORIGIN_OPENER_POLICY: ""
	// means "same-origin"; "same-origin-allow-popups", "unsafe-none" or Off.
	CrossOriginOpenerPolicy string

	// HSTSSeconds is SECURE_HSTS_SECONDS: when positive, secure responses
	// carry Strict-Transport-Security: max-age=HSTSSeconds, with
	// includeSubDomains and preload when asked.
	HSTSSeconds           int
	HSTSIncludeSubdomains bool
	HSTSPreload           bool

	// SSLRedirect is SECURE_SSL_REDIRECT: answer plain-HTTP requests with a
	// 301 to https://<SSLHost or the request's host><path and query>, except
	// those whose path, without its leading slashes, matches one of
	// RedirectExempt (Go regular expressions, searched anywhere in the path as
	// Python's re.search does).
	SSLRedirect    bool
	SSLHost        string
	RedirectExempt []string
}

// Policy is a validated configuration; it is safe for concurrent use.
type Policy struct {
	trust    Trust
	redirect bool
	sslHost  string
	exempt   []*regexp.Regexp

	// The header values as http.Header holds them (nil: not sent), made
	// once: Apply puts these slices (capacity 1, so an Add appends to a
	// copy) into every response instead of allocating four per request.
	frameOptions, contentType, referrerPolicy, coop, hsts []string
	// hooks are the commit hooks for plain HTTP ([0]) and HTTPS ([1]).
	hooks [2]applyHook
}

// applyHook is Apply as a commit.Hook.
type applyHook struct {
	p      *Policy
	secure bool
}

func (a *applyHook) Commit(_ context.Context, h http.Header, _ int) error {
	a.p.Apply(h, a.secure)
	return nil
}

// headerValue is v as a one-element header value, nil for "".
func headerValue(v string) []string {
	if v == "" {
		return nil
	}
	return []string{v}[:1:1]
}

var (
	referrerPolicies = []string{"no-referrer", "no-referrer-when-downgrade", "origin", "origin-when-cross-origin",
		"same-origin", "strict-origin", "strict-origin-when-cross-origin", "unsafe-url"}
	coopValues = []string{"same-origin", "same-origin-allow-popups", "unsafe-none"}
)

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	if v == Off {
		return ""
	}
	return v
}

// New validates opts (as Django's security system checks do) and returns a
// Policy.
func New(opts Options) (*Policy, error) {
	if err := opts.Trust.Validate(); err != nil {
		return nil, err
	}
	frameOptions := strings.ToUpper(orDefault(opts.FrameOptions, "DENY"))
	contentType := orDefault(opts.ContentTypeOptions, "nosniff")
	coop := orDefault(opts.CrossOriginOpenerPolicy, "same-origin")
	switch frameOptions {
	case "", "DENY", "SAMEORIGIN":
	default:
		return nil, fmt.Errorf("securityheaders: FrameOptions %q: want DENY, SAMEORIGIN or Off", opts.FrameOptions)
	}
	if contentType != "" && contentType != "nosniff" {
		return nil, fmt.Errorf("securityheaders: ContentTypeOptions %q: want nosniff or Off", opts.ContentTypeOptions)
	}
	if coop != "" && !contains(coopValues, coop) {
		return nil, fmt.Errorf("securityheaders: CrossOriginOpenerPolicy %q: want one of %s or Off", coop, strings.Join(coopValues, ", "))
	}
	var referrerPolicy string
	if rp := orDefault(opts.ReferrerPolicy, "same-origin"); rp != "" {
		// Django splits a string on commas, strips each value and joins them
		// with ",".
		var vals []string
		for _, v := range strings.Split(rp, ",") {
			v = strings.TrimSpace(v)
			if !contains(referrerPolicies, v) {
				return nil, fmt.Errorf("securityheaders: ReferrerPolicy value %q: want one of %s", v, strings.Join(referrerPolicies, ", "))
			}
			vals = append(vals, v)
		}
		referrerPolicy = strings.Join(vals, ",")
	}
	if opts.HSTSSeconds < 0 {
		return nil, errors.New("securityheaders: negative HSTSSeconds")
	}
	var hsts string
	if opts.HSTSSeconds > 0 {
		hsts = "max-age=" + strconv.Itoa(opts.HSTSSeconds)
		if opts.HSTSIncludeSubdomains {
			hsts += "; includeSubDomains"
		}
		if opts.HSTSPreload {
			hsts += "; preload"
		}
	} else if opts.HSTSIncludeSubdomains || opts.HSTSPreload {
		return nil, errors.New("securityheaders: HSTSIncludeSubdomains and HSTSPreload need HSTSSeconds")
	}
	if opts.SSLHost != "" {
		if _, _, ok := SplitDomainPort(opts.SSLHost); !ok {
			return nil, fmt.Errorf("securityheaders: SSLHost %q is not a host[:port]", opts.SSLHost)
		}
	}
	p := &Policy{
		trust: opts.Trust, redirect: opts.SSLRedirect, sslHost: opts.SSLHost,
		frameOptions: headerValue(frameOptions), contentType: headerValue(contentType),
		referrerPolicy: headerValue(referrerPolicy), coop: headerValue(coop), hsts: headerValue(hsts),
	}
	for _, e := range opts.RedirectExempt {
		re, err := regexp.Compile(e)
		if err != nil {
			return nil, fmt.Errorf("securityheaders: RedirectExempt: %w", err)
		}
		p.exempt = append(p.exempt, re)
	}
	p.hooks = [2]applyHook{{p: p}, {p: p, secure: true}}
	return p, nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// Middleware returns a handler that redirects plain-HTTP requests when
// SSLRedirect is on and otherwise adds the headers to next's response just
// before it is sent (package commit), each only when the handler did not set
// it: a handler may send its own X-Frame-Options (say SAMEORIGIN for a page
// meant to be framed) or Referrer-Policy.
func (p *Policy) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secure := p.trust.IsSecure(r)
		if p.redirect && !secure && !p.isExempt(r) {
			p.redirectToHTTPS(w, r)
			return
		}
		hook := &p.hooks[0]
		if secure {
			hook = &p.hooks[1]
		}
		r = commit.Add(r, hook)
		cw := commit.Wrap(w, r, nil)
		next.ServeHTTP(cw, r)
		if rw, ok := cw.(*commit.ResponseWriter); ok && cw != w {
			rw.Finish()
		}
	})
}

// Apply adds the configured headers that h does not have yet; secure says
// whether the request came over HTTPS (only then is HSTS sent).
func (p *Policy) Apply(h http.Header, secure bool) {
	if secure {
		setDefault(h, "Strict-Transport-Security", p.hsts)
	}
	setDefault(h, "X-Content-Type-Options", p.contentType)
	setDefault(h, "Referrer-Policy", p.referrerPolicy)
	setDefault(h, "Cross-Origin-Opener-Policy", p.coop)
	setDefault(h, "X-Frame-Options", p.frameOptions)
}

// setDefault sets key to value (shared by all responses: callers must not
// write into h[key]'s elements afterwards) unless h has it or value is nil.
func setDefault(h http.Header, key string, value []string) {
	if value == nil {
		return
	}
	if _, ok := h[key]; !ok {
		h[key] = value
	}
}

func (p *Policy) isExempt(r *http.Request) bool {
	path := strings.TrimLeft(r.URL.Path, "/")
	for _, re := range p.exempt {
		if re.MatchString(path) {
			return true
		}
	}
	return false
}

// redirectToHTTPS is SecurityMiddleware.process_request's 301.
func (p *Policy) redirectToHTTPS(w http.ResponseWriter, r *http.Request) {
	host := p.sslHost
	if host == "" {
		var err error
		if host, err = p.trust.Host(r); err != nil {
			http.Error(w, "Bad Request", http.StatusBadRequest)
			return
		}
	}
	target := "https://" + host + fullPath(r)
	h := w.Header()
	p.Apply(h, false)
	h.Set("Location", target)
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusMovedPermanently)
}

// fullPath is Django's request.get_full_path(): the escaped path and the
// query, if any.
func fullPath(r *http.Request) string {
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	if r.URL.RawQuery != "" {
		path += "?" + r.URL.RawQuery
	}
	return path
}
