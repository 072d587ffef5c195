package throttle

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/internal/lograte"
	"github.com/dmr-go/dmr/security"
	"github.com/dmr-go/dmr/securityheaders"
)

// TooManyRequestsMsg is the message of the 429, as Django Modern Rest
// words it.
const TooManyRequestsMsg = "Too many requests"

// KeyBy says whom a [Limiter] counts.
type KeyBy uint8

// The keys.
const (
	// ByIP counts per client address (IPv6 per /64). Such a limiter runs
	// before the auths, unless AnonOnly.
	ByIP KeyBy = iota
	// ByUser counts per authenticated user and, for anonymous requests,
	// per client address (DRF's UserRateThrottle). It runs after the auths.
	ByUser
	// ByCredential counts per credential (Options.Credential, hashed), and
	// per client address for requests without one. It runs after the auths,
	// so it only counts credentials an auth accepted.
	ByCredential
)

// Options configures a [Limiter].
type Options struct {
	// Name is the policy's name: it scopes the keys and names the policy in
	// the RateLimit headers ("anon", "user"). Required; letters, digits and
	// "_-." only.
	Name string
	// Rate is the limit: Rate.Limit requests per Rate.Period (at least 1s).
	Rate Rate
	// Algorithm is FixedWindow (the default) or TokenBucket.
	Algorithm Algorithm
	// Burst is the token bucket's capacity; zero means Rate.Limit.
	Burst int64
	// Key says whom to count: ByIP (the default), ByUser or ByCredential.
	Key KeyBy
	// AnonOnly skips authenticated requests (DRF's AnonRateThrottle); the
	// limiter then runs after the auths, to know.
	AnonOnly bool
	// User returns the id of the request's authenticated user, "" for an
	// anonymous request. nil means the current user of package auth
	// (auth.UserFromContext).
	User func(r *http.Request) string
	// Credential returns the credential a request authenticated with (a
	// token, say), "" when none; for ByCredential. Only its SHA-256 digest
	// is kept.
	Credential func(r *http.Request) string
	// Store counts; nil means a new MemoryStore (one process).
	Store Store
	// Trust tells the client's address (securityheaders.Trust.ClientIP);
	// nil means the connection's peer address. Pass the Trust the CSRF and
	// security header middlewares use.
	Trust *securityheaders.Trust
	// FailClosed answers 503 (apierror.ErrUnavailable, with Retry-After)
	// when the store fails. By default the request goes through unlimited
	// and the failure is logged (at most once per 10 s): see the package
	// documentation.
	FailClosed bool
	// Logger receives store failures; nil means slog.Default().
	Logger *slog.Logger
}

// Limiter limits the requests of the endpoints it is attached to
// (dmr.Config.Throttle, ControllerConfig.Throttle, Operation.Throttle). It
// implements security.Limiter and is safe for concurrent use.
type Limiter struct {
	name       string
	rule       Rule
	key        KeyBy
	anonOnly   bool
	user       func(*http.Request) string
	credential func(*http.Request) string
	store      Store
	trust      securityheaders.Trust
	failClosed bool
	logger     *slog.Logger
	failures   lograte.Limiter
	policy     []string // the RateLimit-Policy value
}

// New validates o and returns a Limiter.
func New(o Options) (*Limiter, error) {
	if !validName(o.Name) {
		return nil, fmt.Errorf("throttle: Name %q: want letters, digits and _-. only", o.Name)
	}
	if o.Rate.Limit < 0 || o.Rate.Period < time.Second {
		return nil, fmt.Errorf("throttle: %s: rate %v: want a limit of at least 0 per period of at least 1s", o.Name, o.Rate)
	}
	if o.Burst < 0 {
		return nil, fmt.Errorf("throttle: %s: negative Burst", o.Name)
	}
	if o.Key == ByCredential && o.Credential == nil {
		return nil, fmt.Errorf("throttle: %s: ByCredential needs Options.Credential", o.Name)
	}
	if o.Key > ByCredential {
		return nil, fmt.Errorf("throttle: %s: unknown KeyBy %d", o.Name, o.Key)
	}
	l := &Limiter{
		name: o.Name, rule: Rule{Algorithm: o.Algorithm, Limit: o.Rate.Limit, Period: o.Rate.Period, Burst: o.Burst},
		key: o.Key, anonOnly: o.AnonOnly, user: o.User, credential: o.Credential, store: o.Store,
		failClosed: o.FailClosed, logger: o.Logger,
	}
	if l.user == nil {
		l.user = AuthUser
	}
	if l.store == nil {
		l.store = NewMemoryStore(MemoryOptions{})
	}
	if l.logger == nil {
		l.logger = slog.Default()
	}
	if o.Trust != nil {
		l.trust = *o.Trust
		if err := l.trust.Validate(); err != nil {
			return nil, fmt.Errorf("throttle: %w", err)
		}
	}
	l.policy = []string{fmt.Sprintf("%q;q=%d;w=%d", o.Name, l.rule.quota(), int64(o.Rate.Period/time.Second))}
	return l, nil
}

// Anon is DRF's AnonRateThrottle: rate per client address, for anonymous
// requests only. o's Name defaults to "anon".
func Anon(rate Rate, o Options) (*Limiter, error) {
	if o.Name == "" {
		o.Name = "anon"
	}
	o.Rate, o.Key, o.AnonOnly = rate, ByIP, true
	return New(o)
}

// User is DRF's UserRateThrottle: rate per authenticated user, and per
// client address for anonymous requests. o's Name defaults to "user".
func User(rate Rate, o Options) (*Limiter, error) {
	if o.Name == "" {
		o.Name = "user"
	}
	o.Rate, o.Key = rate, ByUser
	return New(o)
}

// AuthUser is the default Options.User: the id of package auth's current
// user (set by auth's middleware or an auth), "" when anonymous or
// unknown.
func AuthUser(r *http.Request) string {
	return auth.UserFromContext(r.Context()).ID
}

func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// Rule returns the rule the limiter applies.
func (l *Limiter) Rule() Rule { return l.rule }

// Name returns the policy's name.
func (l *Limiter) Name() string { return l.name }

// Describe implements security.Limiter: a limiter keyed by user or
// credential, or AnonOnly, runs after the auths; it contributes the 429
// (and the 503 when it fails closed).
func (l *Limiter) Describe(security.Operation) security.LimitDescription {
	d := security.LimitDescription{
		AfterAuth: l.key != ByIP || l.anonOnly,
		Responses: []security.Response{TooManyRequestsResponse()},
	}
	if l.failClosed {
		d.Responses = append(d.Responses, security.UnavailableResponse())
	}
	return d
}

// TooManyRequestsResponse documents the 429 with its headers.
func TooManyRequestsResponse() security.Response {
	return security.Response{
		Status:      http.StatusTooManyRequests,
		Description: security.TooManyRequestsDescription,
		Headers: []security.Header{
			{Name: "Retry-After", Description: "Seconds to wait before retrying."},
			{Name: "RateLimit", Description: `The limits left (draft-ietf-httpapi-ratelimit-headers-10), for example "anon";r=0;t=18: r requests remain, t seconds until the quota is restored.`},
			{Name: "RateLimit-Policy", Description: `The quota policies (draft-ietf-httpapi-ratelimit-headers-10), for example "anon";q=100;w=60: q requests per w seconds.`},
		},
	}
}

// Limit implements security.Limiter: it counts the request, sets the
// RateLimit and RateLimit-Policy headers, and refuses it with a
// [*ThrottledError] (429) when over the limit.
func (l *Limiter) Limit(w http.ResponseWriter, r *http.Request) error {
	k, ok := l.keyOf(r)
	if !ok {
		return nil
	}
	d, err := l.store.Take(r.Context(), k, l.rule)
	if err != nil {
		return l.failed(r, err)
	}
	h := w.Header()
	h["Ratelimit-Policy"] = appendValue(h["Ratelimit-Policy"], l.policy)
	var buf [96]byte
	b := strconv.AppendQuote(buf[:0], l.name)
	b = append(b, ";r="...)
	b = strconv.AppendInt(b, d.Remaining, 10)
	b = append(b, ";t="...)
	b = strconv.AppendInt(b, ceilSeconds(d.Reset, 0), 10)
	h["Ratelimit"] = appendValue(h["Ratelimit"], []string{string(b)})
	if !d.Allowed {
		return &ThrottledError{Policy: l.name, RetryAfter: d.RetryAfter}
	}
	return nil
}

// appendValue adds vs to a header's values without ever writing into a
// shared backing array.
func appendValue(old, vs []string) []string {
	if len(old) == 0 {
		return vs[:len(vs):len(vs)]
	}
	return append(old[:len(old):len(old)], vs...)
}

func (l *Limiter) failed(r *http.Request, err error) error {
	if l.failClosed {
		return apierror.Unavailable(err)
	}
	l.failures.Log(r.Context(), l.logger, slog.LevelError, "throttle: store failed, request let through unlimited",
		"policy", l.name, "error", err.Error())
	return nil
}

// keyOf returns the request's key, or false when the limiter does not
// apply (AnonOnly and authenticated).
func (l *Limiter) keyOf(r *http.Request) (Key, bool) {
	k := Key{Scope: l.name}
	switch {
	case l.anonOnly:
		if l.user(r) != "" {
			return k, false
		}
	case l.key == ByUser:
		if id := l.user(r); id != "" {
			k.ID = "u:" + id
			return k, true
		}
	case l.key == ByCredential:
		if c := l.credential(r); c != "" {
			sum := sha256.Sum256([]byte(c))
			k.ID = "c:" + hex.EncodeToString(sum[:16])
			return k, true
		}
	}
	k.IP = l.ClientIP(r)
	return k, true
}

// ClientIP returns the address a request is counted under: the client's
// (see Options.Trust), IPv6 addresses reduced to their /64 prefix, since
// one host usually holds a whole /64.
func (l *Limiter) ClientIP(r *http.Request) netip.Addr {
	a := l.trust.ClientIP(r)
	if a.Is6() {
		p, _ := a.Prefix(64)
		a = p.Addr()
	}
	return a
}

// ceilSeconds is d in whole seconds, rounded up, at least min.
func ceilSeconds(d time.Duration, min int64) int64 {
	s := int64((d + time.Second - 1) / time.Second)
	if s < min {
		return min
	}
	return s
}

// ErrThrottled is matched by errors.Is for every [*ThrottledError].
var ErrThrottled = errors.New("throttle: too many requests")

// ThrottledError refuses a request over a limit: 429 Too Many Requests
// {"detail":[{"msg":"Too many requests","type":"ratelimit"}]} with
// Retry-After.
type ThrottledError struct {
	// Policy is the limiter's name.
	Policy string
	// RetryAfter is how long until a request would be allowed.
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("throttle: %s: too many requests (retry after %v)", e.Policy, e.RetryAfter)
}

// Is makes errors.Is(err, ErrThrottled) true.
func (e *ThrottledError) Is(target error) bool { return target == ErrThrottled }

// RetryAfterSeconds is RetryAfter in whole seconds, rounded up, at least 1.
func (e *ThrottledError) RetryAfterSeconds() int64 { return ceilSeconds(e.RetryAfter, 1) }

// APIError implements apierror.Coder.
func (e *ThrottledError) APIError() *apierror.Error {
	ae := apierror.New(http.StatusTooManyRequests, TooManyRequestsMsg, apierror.TypeRateLimit)
	ae.Err = e
	return ae.WithHeader("Retry-After", strconv.FormatInt(e.RetryAfterSeconds(), 10))
}
