package hashers

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/dmr-go/dmr/apierror"
)

// Errors. Callers branch on them with errors.Is.
var (
	// ErrUnknownAlgorithm: the encoded hash names an algorithm that is not in
	// the configured list (Django's "Unknown password hashing algorithm").
	ErrUnknownAlgorithm = errors.New("hashers: unknown password hashing algorithm")
	// ErrMalformed: the encoded hash names a known algorithm but cannot be
	// parsed, or its parameters cannot be computed.
	ErrMalformed = errors.New("hashers: malformed password hash")
	// ErrBadSalt: Encode was given an empty salt or one containing "$".
	ErrBadSalt = errors.New("hashers: salt must be provided and cannot contain $")
	// ErrBusy: no hashing slot became free within the configured wait. The
	// error returned is a *BusyError.
	ErrBusy = errors.New("hashers: password hashing is busy")
)

// Hasher is one password hashing algorithm, Django's BasePasswordHasher.
//
// Implementations must be safe for concurrent use and must not keep state
// between calls. Verify and MustUpdate only ever receive hashes whose
// algorithm (see [Identify]) is the hasher's own.
type Hasher interface {
	// Algorithm is the name that starts the encoded hash ("pbkdf2_sha256").
	Algorithm() string
	// Salt returns a fresh random salt suitable for Encode.
	Salt() (string, error)
	// Encode hashes password with salt and the hasher's parameters.
	Encode(password, salt string) (string, error)
	// Verify reports whether password matches encoded, computed with the
	// parameters stored in encoded. It returns an error wrapping ErrMalformed
	// when encoded cannot be parsed.
	Verify(password, encoded string) (bool, error)
	// MustUpdate reports whether encoded was made with other parameters than
	// the hasher's current ones (and so should be rewritten).
	MustUpdate(encoded string) (bool, error)
	// HardenRuntime does extra work after a failed Verify of an outdated
	// hash, so that the failure takes about as long as with current
	// parameters. Most hashers do nothing.
	HardenRuntime(password, encoded string)
}

// RandomChars is Django's RANDOM_STRING_CHARS, the alphabet of salts and of
// unusable passwords.
const RandomChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// SaltLength is the length of the salts Django makes since 3.2:
// ceil(128 / log2(62)) characters of RandomChars.
const SaltLength = 22

// UnusablePrefix starts every unusable password (Django's
// UNUSABLE_PASSWORD_PREFIX); 40 random characters follow it.
const UnusablePrefix = "!"

// RandomString returns n characters drawn uniformly from RandomChars
// (Django's get_random_string). It panics only if the system's random source
// fails, which crypto/rand never reports.
func RandomString(n int) string {
	b := make([]byte, n)
	var buf [64]byte
	for i := 0; i < n; {
		_, _ = rand.Read(buf[:])
		for _, c := range buf {
			// 248 = 4*62: rejection sampling keeps the choice uniform.
			if c < 248 && i < n {
				b[i] = RandomChars[c%62]
				i++
			}
		}
	}
	return string(b)
}

// NewSalt returns a new 22-character salt, as Django's BasePasswordHasher.salt.
func NewSalt() string { return RandomString(SaltLength) }

// MakeUnusable returns a new unusable password: "!" and 40 random characters
// (Django's make_password(None)). It never verifies.
func MakeUnusable() string { return UnusablePrefix + RandomString(40) }

// IsUsable reports whether encoded may match some password: everything but
// the "!"-prefixed unusable marks (Django's is_password_usable). Empty and
// unknown hashes are "usable" but never verify.
func IsUsable(encoded string) bool { return !strings.HasPrefix(encoded, UnusablePrefix) }

// mustUpdateSalt is Django's must_update_salt: a salt shorter than 128 bits
// of entropy (counted in characters of a 62-letter alphabet) is outdated.
func mustUpdateSalt(salt string) bool { return saltTooShort(utf8.RuneCountInString(salt)) }

// saltTooShort reports whether a salt of n characters has less than 128 bits
// of entropy: n·log2(62) < 128, i.e. n < 22.
func saltTooShort(n int) bool { return float64(n)*math.Log2(float64(len(RandomChars))) < 128 }

func checkSalt(salt string) error {
	if salt == "" || strings.Contains(salt, "$") {
		return ErrBadSalt
	}
	return nil
}

// Identify returns the name of the algorithm encoded was made with, by
// Django's rules: 32 characters without "$", or 37 starting "md5$$", are
// unsalted_md5; 46 starting "sha1$$" are unsalted_sha1; otherwise the text
// before the first "$".
func Identify(encoded string) string {
	n := utf8.RuneCountInString(encoded)
	switch {
	case (n == 32 && !strings.Contains(encoded, "$")) || (n == 37 && strings.HasPrefix(encoded, "md5$$")):
		return "unsalted_md5"
	case n == 46 && strings.HasPrefix(encoded, "sha1$$"):
		return "unsalted_sha1"
	}
	alg, _, _ := strings.Cut(encoded, "$")
	return alg
}

// Default pool settings.
const (
	DefaultMaxWait    = 10 * time.Second
	DefaultRetryAfter = 5 * time.Second
)

// Hashers is a configured set of password hashers, Django's
// PASSWORD_HASHERS, plus a bounded pool that every hash computation goes
// through.
//
// The zero value is ready to use: Django 5.2's default list and parameters,
// hashing slots for half the CPUs, a 10-second wait for a slot. Hashes are
// computed by the pool's workers at the lowest CPU priority (see pool.go). Configure it before
// first use and do not copy it after; all methods are safe for concurrent
// use.
type Hashers struct {
	// List holds the hashers that may verify a stored hash. The first one is
	// the preferred hasher: Make uses it, and any hash made otherwise (another
	// algorithm or other parameters) reports mustUpdate. Nil means
	// DjangoDefaults(Django52).
	List []Hasher
	// MaxConcurrent is how many hash computations may run at once. Further
	// calls queue. Zero means DefaultMaxConcurrent(): half the CPUs, so the
	// other half always serves requests. More than runtime.GOMAXPROCS(0)
	// adds no hashing throughput, only latency for everything else.
	MaxConcurrent int
	// MaxWait is how long a call queues for a free slot before it fails with
	// a *BusyError. Zero means DefaultMaxWait; negative means do not queue.
	MaxWait time.Duration
	// RetryAfter is the delay a *BusyError advises clients to wait (the
	// Retry-After header). Zero means DefaultRetryAfter.
	RetryAfter time.Duration

	once     sync.Once
	err      error
	list     []Hasher
	byName   map[string]Hasher
	slots    chan struct{}
	waiting  atomic.Int64 // calls queued for a slot (Stats)
	maxWait  time.Duration
	retryFor time.Duration
}

func (h *Hashers) setup() error {
	h.once.Do(func() {
		h.list = h.List
		if h.list == nil {
			h.list = DjangoDefaults(Django52)
		}
		if len(h.list) == 0 {
			h.err = errors.New("hashers: empty hasher list")
			return
		}
		h.byName = make(map[string]Hasher, len(h.list))
		for i, x := range h.list {
			if x == nil {
				h.err = fmt.Errorf("hashers: hasher %d is nil", i)
				return
			}
			name := x.Algorithm()
			if name == "" || strings.Contains(name, "$") {
				h.err = fmt.Errorf("hashers: hasher %d has invalid algorithm name %q", i, name)
				return
			}
			if _, dup := h.byName[name]; dup {
				h.err = fmt.Errorf("hashers: algorithm %q listed twice", name)
				return
			}
			h.byName[name] = x
		}
		if _, ok := h.list[0].(verifyOnlyHasher); ok {
			h.err = fmt.Errorf("hashers: %s is verify-only and cannot be the preferred hasher", h.list[0].Algorithm())
			return
		}
		n := h.MaxConcurrent
		if n < 0 {
			h.err = fmt.Errorf("hashers: negative MaxConcurrent %d", n)
			return
		}
		if n == 0 {
			n = DefaultMaxConcurrent()
		}
		h.slots = make(chan struct{}, n)
		h.maxWait = h.MaxWait
		if h.maxWait == 0 {
			h.maxWait = DefaultMaxWait
		}
		h.retryFor = h.RetryAfter
		if h.retryFor == 0 {
			h.retryFor = DefaultRetryAfter
		}
		if h.retryFor < 0 {
			h.err = fmt.Errorf("hashers: negative RetryAfter %v", h.retryFor)
		}
	})
	return h.err
}

// Validate checks the configuration. Call it at setup; the other methods
// return the same error.
func (h *Hashers) Validate() error { return h.setup() }

// Preferred returns the hasher Make uses (the first of the list).
func (h *Hashers) Preferred() (Hasher, error) {
	if err := h.setup(); err != nil {
		return nil, err
	}
	return h.list[0], nil
}

// Lookup returns the configured hasher for the algorithm encoded was made
// with (Django's identify_hasher), or an error wrapping ErrUnknownAlgorithm.
func (h *Hashers) Lookup(encoded string) (Hasher, error) {
	if err := h.setup(); err != nil {
		return nil, err
	}
	name := Identify(encoded)
	if x, ok := h.byName[name]; ok {
		return x, nil
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownAlgorithm, name)
}

// acquire takes a hashing slot, waiting at most MaxWait.
func (h *Hashers) acquire(ctx context.Context) (release func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	release = func() { <-h.slots }
	select {
	case h.slots <- struct{}{}:
		return release, nil
	default:
	}
	if h.maxWait < 0 {
		return nil, &BusyError{RetryAfter: h.retryFor}
	}
	h.waiting.Add(1)
	defer h.waiting.Add(-1)
	timer := time.NewTimer(h.maxWait)
	defer timer.Stop()
	select {
	case h.slots <- struct{}{}:
		return release, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-timer.C:
		return nil, &BusyError{Waited: h.maxWait, RetryAfter: h.retryFor}
	}
}

// Make hashes password with the preferred hasher and a new salt (Django's
// make_password).
func (h *Hashers) Make(ctx context.Context, password string) (string, error) {
	if err := h.setup(); err != nil {
		return "", err
	}
	release, err := h.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	var enc string
	h.onWorker(func() { enc, err = h.make(password) })
	return enc, err
}

func (h *Hashers) make(password string) (string, error) {
	p := h.list[0]
	salt, err := p.Salt()
	if err != nil {
		return "", err
	}
	return p.Encode(password, salt)
}

// Check reports whether password matches encoded, and whether encoded should
// be rewritten with the preferred hasher (Django's verify_password; callers
// rewrite the hash after a successful check when mustUpdate is true).
//
// As in Django: an unusable, empty or unidentifiable hash costs one hash with
// the preferred hasher (so that its timing resembles a real check) and
// returns false; a failed check of an outdated hash of the preferred
// algorithm is hardened to take the time a current one would. A hash of a
// known algorithm that cannot be parsed returns an error wrapping
// ErrMalformed (Django raises ValueError). When no hashing slot frees up in
// time, Check returns a *BusyError.
func (h *Hashers) Check(ctx context.Context, password, encoded string) (ok, mustUpdate bool, err error) {
	if err := h.setup(); err != nil {
		return false, false, err
	}
	preferred := h.list[0]
	var hasher Hasher
	fake := !IsUsable(encoded)
	if !fake {
		hasher = h.byName[Identify(encoded)]
		fake = hasher == nil
	}
	release, err := h.acquire(ctx)
	if err != nil {
		return false, false, err
	}
	defer release()
	h.onWorker(func() { ok, mustUpdate, err = h.check(preferred, hasher, fake, password, encoded) })
	return ok, mustUpdate, err
}

// check is Check's computation, run on a hashing worker.
func (h *Hashers) check(preferred, hasher Hasher, fake bool, password, encoded string) (ok, mustUpdate bool, err error) {
	if fake {
		if _, err := h.make(RandomString(40)); err != nil {
			return false, false, err
		}
		return false, false, nil
	}
	changed := hasher.Algorithm() != preferred.Algorithm()
	mustUpdate = changed
	if !changed {
		if mustUpdate, err = preferred.MustUpdate(encoded); err != nil {
			return false, false, err
		}
	}
	if ok, err = hasher.Verify(password, encoded); err != nil {
		return false, false, err
	}
	if !ok && !changed && mustUpdate {
		hasher.HardenRuntime(password, encoded)
	}
	return ok, mustUpdate, nil
}

// BusyError is returned when no hashing slot became free within MaxWait. It
// answers HTTP 503 with a Retry-After header.
type BusyError struct {
	// Waited is how long the call queued (zero when queueing is disabled).
	Waited time.Duration
	// RetryAfter is the advised delay before retrying.
	RetryAfter time.Duration
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("hashers: password hashing is busy (waited %v)", e.Waited)
}

// Is makes errors.Is(err, ErrBusy) true.
func (e *BusyError) Is(target error) bool { return target == ErrBusy }

// APIError implements apierror.Coder: 503 Service Unavailable with
// Retry-After in whole seconds (at least 1).
func (e *BusyError) APIError() *apierror.Error {
	secs := int((e.RetryAfter + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	return (&apierror.Error{
		Status:  http.StatusServiceUnavailable,
		Details: []apierror.Detail{{Msg: "Too many password checks in progress, try again later"}},
		Err:     e,
	}).WithHeader("Retry-After", strconv.Itoa(secs))
}

// verifyOnlyHasher is implemented by the legacy hashers, which may check
// old hashes but never be the preferred one.
type verifyOnlyHasher interface{ verifyOnly() }

func malformed(alg, why string) error {
	return fmt.Errorf("%w: %s: %s", ErrMalformed, alg, why)
}

var errSaltMustBeEmpty = errors.New("hashers: salt must be empty")
