package loginthrottle

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/securityheaders"
)

// Defaults of [Options].
const (
	// DefaultFailureLimit is the failures allowed per (client IP, username)
	// within the cool-off. django-axes allows 3; 5 leaves room for a user
	// fumbling with caps lock and a password manager.
	DefaultFailureLimit = 5
	// DefaultIPFailureLimit is the failures allowed per client IP over all
	// usernames: high enough for a few dozen people behind one NAT making
	// the occasional typo, low enough to stop password spraying.
	DefaultIPFailureLimit = 50
	// DefaultCoolOff is how long counters last after their latest failure.
	DefaultCoolOff = 15 * time.Minute
)

// LockoutMessage is django-axes' message for a lockout with a cool-off.
const LockoutMessage = "Account locked: too many login attempts. Please try again later."

// ErrLocked is matched by errors.Is for every [*LockedError].
var ErrLocked = errors.New("loginthrottle: too many failed login attempts")

// Options configures a [Throttle]. The zero value is usable: counters in
// memory, Django-free defaults documented on each field.
type Options struct {
	// Store keeps the counters; nil means a new MemoryStore (one process).
	Store Store
	// FailureLimit is how many failures per (client IP, username) lock that
	// pair. Zero means DefaultFailureLimit; negative disables this counter.
	FailureLimit int
	// IPFailureLimit is how many failures per client IP, whatever the
	// username, lock that IP. Zero means DefaultIPFailureLimit; negative
	// disables this counter.
	IPFailureLimit int
	// CoolOff is how long a counter lives after its latest failure, and so
	// how long a lock lasts. Zero means DefaultCoolOff.
	CoolOff time.Duration
	// KeepOnSuccess keeps the (IP, username) counter after a successful
	// login (django-axes' default). False resets it, as
	// AXES_RESET_ON_SUCCESS does.
	KeepOnSuccess bool
	// Trust tells the client's IP (securityheaders.Trust.ClientIP); nil
	// means the connection's address. Pass the Trust the CSRF and security
	// header middlewares use.
	Trust *securityheaders.Trust
}

// Throttle counts failed logins and refuses attempts over the limits. It is
// safe for concurrent use.
type Throttle struct {
	store     Store
	limit     int64
	ipLimit   int64
	coolOff   time.Duration
	keep      bool
	trust     securityheaders.Trust
	keyPrefix string
}

// New validates o and returns a Throttle.
func New(o Options) (*Throttle, error) {
	t := &Throttle{store: o.Store, coolOff: o.CoolOff, keep: o.KeepOnSuccess}
	if t.store == nil {
		t.store = NewMemoryStore(MemoryOptions{})
	}
	t.limit = limit(o.FailureLimit, DefaultFailureLimit)
	t.ipLimit = limit(o.IPFailureLimit, DefaultIPFailureLimit)
	if t.coolOff == 0 {
		t.coolOff = DefaultCoolOff
	}
	if t.coolOff < time.Millisecond {
		return nil, fmt.Errorf("loginthrottle: CoolOff %v: want at least 1ms", o.CoolOff)
	}
	if o.Trust != nil {
		t.trust = *o.Trust
		if err := t.trust.Validate(); err != nil {
			return nil, fmt.Errorf("loginthrottle: %w", err)
		}
	}
	return t, nil
}

func limit(v, def int) int64 {
	switch {
	case v == 0:
		return int64(def)
	case v < 0:
		return 0 // off
	}
	return int64(v)
}

// ClientIP returns the address attempts from r are counted under.
func (t *Throttle) ClientIP(r *http.Request) netip.Addr { return t.trust.ClientIP(r) }

// Begin admits or refuses a login attempt from ip for username, before the
// credentials are authenticated (so a refused attempt costs no hash). It
// refuses with a [*LockedError] when either counter has reached its limit;
// a refused attempt is not counted. Otherwise it counts the attempt as a
// failure until [Throttle.Succeeded] says otherwise: attempts still being
// authenticated (or queued for a hash) count too, so a flood cannot slip
// past the limit while its first failures are in flight, and an attempt
// that ends in an error (hashing busy, a store down) stays counted. If
// concurrent attempts take a counter past its limit, the ones past it are
// refused as well.
func (t *Throttle) Begin(ctx context.Context, ip netip.Addr, username string) error {
	cs := t.counters(ip, username)
	var wait time.Duration
	for _, c := range cs {
		n, ttl, err := t.store.Count(ctx, c.key)
		if err != nil {
			return fmt.Errorf("loginthrottle: reading failures: %w", err)
		}
		if n >= c.limit && ttl > wait {
			wait = ttl
		}
	}
	if wait > 0 {
		return &LockedError{RetryAfter: wait}
	}
	over := false
	for _, c := range cs {
		n, err := t.store.Add(ctx, c.key, 1, t.coolOff)
		if err != nil {
			return fmt.Errorf("loginthrottle: counting an attempt: %w", err)
		}
		over = over || n > c.limit
	}
	if over {
		return &LockedError{RetryAfter: t.coolOff}
	}
	return nil
}

// Failed reports that the attempt admitted by Begin failed (it is already
// counted). When its counters have reached a limit it returns a
// [*LockedError]: as in django-axes, the failure that reaches the limit is
// answered as a lockout.
func (t *Throttle) Failed(ctx context.Context, ip netip.Addr, username string) error {
	var wait time.Duration
	for _, c := range t.counters(ip, username) {
		n, ttl, err := t.store.Count(ctx, c.key)
		if err != nil {
			return fmt.Errorf("loginthrottle: reading failures: %w", err)
		}
		if n >= c.limit && ttl > wait {
			wait = ttl
		}
	}
	if wait > 0 {
		return &LockedError{RetryAfter: wait}
	}
	return nil
}

// Succeeded reports that the attempt admitted by Begin succeeded: it resets
// the (IP, username) counter (or, with Options.KeepOnSuccess, takes this
// attempt back out of it) and takes the attempt back out of the per-IP
// counter, whose earlier failures stay.
func (t *Throttle) Succeeded(ctx context.Context, ip netip.Addr, username string) error {
	for _, c := range t.counters(ip, username) {
		var err error
		if c.pair && !t.keep {
			err = t.store.Reset(ctx, c.key)
		} else {
			_, err = t.store.Add(ctx, c.key, -1, t.coolOff)
		}
		if err != nil {
			return fmt.Errorf("loginthrottle: recording a success: %w", err)
		}
	}
	return nil
}

type counter struct {
	key   string
	limit int64
	pair  bool // the (IP, username) counter
}

func (t *Throttle) counters(ip netip.Addr, username string) []counter {
	cs := make([]counter, 0, 2)
	if t.limit > 0 {
		cs = append(cs, counter{pairKey(ip, username), t.limit, true})
	}
	if t.ipLimit > 0 {
		cs = append(cs, counter{"ip:" + ipKey(ip), t.ipLimit, false})
	}
	return cs
}

// pairKey is the (IP, username) counter's key: the username is normalised
// and hashed, so keys are short and hold no typed-in text.
func pairKey(ip netip.Addr, username string) string {
	sum := sha256.Sum256([]byte(NormalizeUsername(username)))
	return "user:" + ipKey(ip) + ":" + hex.EncodeToString(sum[:16])
}

// ipKey is the IP as counted: IPv4 whole, IPv6 by its /64 prefix.
func ipKey(ip netip.Addr) string {
	switch {
	case !ip.IsValid():
		return "unknown"
	case ip.Is4():
		return ip.String()
	}
	p, _ := ip.Prefix(64)
	return p.String()
}

// NormalizeUsername is the form usernames are counted under: NFKC, then
// lower case (see the package documentation).
func NormalizeUsername(username string) string {
	return strings.ToLower(norm.NFKC.String(username))
}

// LockedError refuses an attempt while a counter is at its limit. It
// answers 429 Too Many Requests with Retry-After.
type LockedError struct {
	// RetryAfter is how long until the lock ends.
	RetryAfter time.Duration
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("loginthrottle: too many failed login attempts (retry after %v)", e.RetryAfter)
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// RetryAfterSeconds is RetryAfter in whole seconds, rounded up, at least 1.
func (e *LockedError) RetryAfterSeconds() int {
	secs := int((e.RetryAfter + time.Second - 1) / time.Second)
	return max(secs, 1)
}

// APIError implements apierror.Coder: 429 with django-axes' message, type
// "ratelimit", and Retry-After.
func (e *LockedError) APIError() *apierror.Error {
	ae := apierror.New(http.StatusTooManyRequests, LockoutMessage, apierror.TypeRateLimit)
	ae.Err = e
	return ae.WithHeader("Retry-After", strconv.Itoa(e.RetryAfterSeconds()))
}
