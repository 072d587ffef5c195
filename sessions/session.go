package sessions

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/commit"
	"github.com/dmr-go/dmr/internal/pycompat"
	"github.com/dmr-go/dmr/pyjson"
)

// ExpiryKey is the session key where SetExpiry keeps a custom expiry
// (Django's "_session_expiry").
const ExpiryKey = "_session_expiry"

// KeyLength is the length of the session keys this package makes.
const KeyLength = 32

const keyChars = "abcdefghijklmnopqrstuvwxyz0123456789"

// NewKey returns a new session key: 32 characters of [a-z0-9] from
// crypto/rand (about 165 bits), as Django's get_random_string makes them.
func NewKey() string {
	var b [KeyLength]byte
	var rnd [64]byte
	n := 0
	for n < len(b) {
		_, _ = rand.Read(rnd[:]) // never fails (crypto/rand panics on a broken source)
		for _, r := range rnd {
			// 252 = 7*36: reject the top bytes so every character is
			// equally likely.
			if r < 252 && n < len(b) {
				b[n] = keyChars[r%36]
				n++
			}
		}
	}
	return string(b[:])
}

// ValidKey reports whether key can be a session key: 8 to 40 characters of
// [a-z0-9]. Django requires at least 8 characters; every Django backend makes
// 32-character [a-z0-9] keys and the django_session column holds 40. Anything
// else in a cookie is ignored without asking the store.
func ValidKey(key string) bool {
	if len(key) < 8 || len(key) > 40 {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// interruptedMsg is the message of Django's SessionInterrupted.
const interruptedMsg = "The request's session was deleted before the request completed. The user may have logged out in a concurrent request, for example."

// InterruptedError is Django's SessionInterrupted: saving found the session
// deleted, typically by a logout in a concurrent request. It answers 400
// with Django's message.
type InterruptedError struct {
	Key string
	Err error // the store's error (wraps ErrNotFound)
}

// ErrInterrupted matches every *InterruptedError with errors.Is.
var ErrInterrupted error = &InterruptedError{}

func (e *InterruptedError) Error() string { return "sessions: " + interruptedMsg }

// Unwrap returns the store's error.
func (e *InterruptedError) Unwrap() error { return e.Err }

// Is reports whether target is an *InterruptedError.
func (e *InterruptedError) Is(target error) bool {
	_, ok := target.(*InterruptedError)
	return ok
}

// APIError implements apierror.Coder: 400 with Django's message.
func (e *InterruptedError) APIError() *apierror.Error {
	return &apierror.Error{Status: http.StatusBadRequest, Details: []apierror.Detail{{Msg: interruptedMsg}}, Err: e}
}

// op is one change this request made, replayed after a conflicting save.
type op struct {
	key string
	val any
	del bool
}

// Session is one request's session, with Django's SessionBase semantics:
// the data is loaded on first access; reads set Accessed, changes set
// Modified; the Middleware saves it when the response header is about to go
// out. A Session is safe for concurrent use by the request's goroutines.
//
// Values are the pyjson types (nil, bool, int64, float64, json.Number,
// string, []any, *pyjson.Object); Set also accepts other Go integers and
// float32, which it stores as int64 and float64, and anything else
// pyjson.Marshal can write (it is checked when the session is saved).
//
// # Load errors
//
// Loading needs store I/O and the accessors have no error result, so a
// failed load (a database error, not a missing or expired session, which
// simply gives an empty session with no key) makes the session read as empty
// and is remembered: Load and Err return it, and the commit refuses to save
// or touch the cookie and returns it, so the response becomes an error (503
// when the store is unavailable, else 500) instead of overwriting the stored
// session with an empty one.
type Session struct {
	m   *Middleware
	ctx context.Context

	mu          sync.Mutex
	cookieSent  bool
	cookieValue string
	key         string // current session key; for a cookie store, the cookie value
	needCreate  bool   // key was made here and is not stored yet (new or cycled)
	oldKeys     []string
	data        *pyjson.Object // nil until loaded
	shared      bool           // data is a cache's (Record.Shared): ownLocked clones it before a change
	version     string
	attachment  any // Record.Attachment of the load
	accessed    bool
	modified    bool
	loadErr     error
	cleared     bool
	ops         []op
	committed   bool
}

func (s *Session) store() Store { return s.m.store }

// loadLocked loads the data on first use.
func (s *Session) loadLocked() {
	if s.data != nil {
		return
	}
	if s.m.cookies != nil {
		s.data = &pyjson.Object{}
		if s.key == "" {
			return
		}
		d, err := s.m.cookies.DecodeCookie(s.key, s.m.age)
		if err != nil {
			// Django: any error gives an empty session and create(), which
			// marks it modified so a fresh cookie replaces the bad one.
			s.m.log.WarnContext(s.ctx, "session cookie rejected; starting a new session", "cookie", s.m.name, "error", err)
			s.modified = true
			return
		}
		s.data = d
		return
	}
	if s.key == "" || s.needCreate {
		s.data = &pyjson.Object{}
		return
	}
	rec, err := s.store().Load(s.ctx, s.key)
	switch {
	case err == nil:
		s.data, s.version, s.shared, s.attachment = rec.Data, rec.Version, rec.Shared, rec.Attachment
		if s.data == nil {
			s.data, s.shared = &pyjson.Object{}, false
		}
	case errors.Is(err, ErrNotFound):
		// Never adopt an unknown or expired key (session fixation).
		s.key = ""
		s.data = &pyjson.Object{}
	default:
		s.loadErr = fmt.Errorf("sessions: loading session: %w", err)
		s.data = &pyjson.Object{}
		s.m.logStoreFailure(s.ctx, "load", err)
	}
}

func (s *Session) late(what string) {
	if s.committed {
		commit.LogLate(s.ctx, s.m.log, "session: "+what)
	}
}

// record notes a change for replay after a conflicting save; one entry per
// key, the latest wins.
func (s *Session) record(key string, val any, del bool) {
	for i := range s.ops {
		if s.ops[i].key == key {
			s.ops = append(s.ops[:i], s.ops[i+1:]...)
			break
		}
	}
	s.ops = append(s.ops, op{key: key, val: val, del: del})
}

// Load loads the session now if it was not loaded yet, and returns the load
// error, if any (see "Load errors").
func (s *Session) Load() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loadLocked()
	return s.loadErr
}

// Attachment returns the Record.Attachment of the session's load (loading
// the session if it was not loaded yet): a value a layered store loaded with
// the session for the layer above, such as the user row of
// userdb.SessionJoin. It is nil when the store attached nothing, after Clear
// or Flush, and with a cookie store. It does not mark the session accessed.
func (s *Session) Attachment() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loadLocked()
	return s.attachment
}

// Err returns the load error, if a load was attempted and failed.
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loadErr
}

// Get returns the value under key.
func (s *Session) Get(key string) (any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accessed = true
	s.loadLocked()
	v, ok := s.data.Get(key)
	if s.shared && mutable(v) {
		// The caller may change a nested dict or list in place (and
		// SaveEveryRequest saves such changes): it gets this session's own
		// copy, never the cache's.
		s.ownLocked()
		v, ok = s.data.Get(key)
	}
	return v, ok
}

// mutable reports whether v can be changed in place.
func mutable(v any) bool {
	switch v.(type) {
	case *pyjson.Object, []any:
		return true
	}
	return false
}

// ownLocked gives the session its own copy of data shared with a cache
// (Record.Shared) before it is changed or handed out.
func (s *Session) ownLocked() {
	if s.shared {
		s.data, s.shared = s.data.DeepClone(), false
	}
}

// GetString returns the value under key if it is a string.
func (s *Session) GetString(key string) (string, bool) {
	v, ok := s.Get(key)
	str, isStr := v.(string)
	return str, ok && isStr
}

// Has reports whether key is set.
func (s *Session) Has(key string) bool {
	_, ok := s.Get(key)
	return ok
}

// normalize turns Go numbers into the types Unmarshal produces.
func normalize(v any) any {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case uint:
		return normalize(uint64(x))
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		if x > math.MaxInt64 {
			return json.Number(strconv.FormatUint(x, 10))
		}
		return int64(x)
	case float32:
		f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(x), 'g', -1, 32), 64)
		return f
	}
	return v
}

// Set sets key to v and marks the session modified.
func (s *Session) Set(key string, v any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.late("Set " + key)
	s.accessed = true
	s.loadLocked()
	v = normalize(v)
	s.ownLocked()
	s.data.Set(key, v)
	s.modified = true
	s.record(key, v, false)
}

// Delete removes key; it reports whether it was set (only then is the
// session modified, as Django's __delitem__ raises KeyError otherwise).
func (s *Session) Delete(key string) bool {
	_, ok := s.Pop(key)
	return ok
}

// Pop removes key and returns its value.
func (s *Session) Pop(key string) (any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accessed = true
	s.loadLocked()
	s.ownLocked()
	v, ok := s.data.Get(key)
	if ok {
		s.late("Delete " + key)
		s.data.Delete(key)
		s.modified = true
		s.record(key, nil, true)
	}
	return v, ok
}

// Keys returns the keys in order (a copy).
func (s *Session) Keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accessed = true
	s.loadLocked()
	return slices.Clone(s.data.Keys())
}

// Len returns the number of keys.
func (s *Session) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accessed = true
	s.loadLocked()
	return s.data.Len()
}

// Clear removes all keys but keeps the session key (Django's clear()). It
// does not load the session; the next save replaces the stored data
// entirely.
func (s *Session) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clearLocked()
}

func (s *Session) clearLocked() {
	s.late("Clear")
	s.data, s.shared = &pyjson.Object{}, false
	s.attachment = nil
	s.accessed, s.modified = true, true
	s.cleared = true
	s.ops = nil
}

// Flush clears the session, deletes it from the store now, and drops the
// key (Django's flush(), used by logout); the response then deletes the
// cookie unless the session gets new data. A store error is returned after
// the in-memory state has been cleared; the stored session may then still
// exist.
func (s *Session) Flush(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clearLocked()
	key, old := s.key, s.oldKeys
	created := !s.needCreate
	s.key, s.oldKeys, s.needCreate, s.version = "", nil, false, ""
	if s.m.cookies != nil {
		return nil
	}
	var errs []error
	if key != "" && created {
		errs = append(errs, s.store().Delete(ctx, key))
	}
	for _, k := range old {
		errs = append(errs, s.store().Delete(ctx, k))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sessions: flush: %w", err)
	}
	return nil
}

// CycleKey gives the session a new key and keeps its data (Django's
// cycle_key(), used by login against session fixation). The new key is
// stored and the old one deleted when the response is committed, in one
// create instead of Django's create-then-update; if the response fails with
// status >= 500, the old key is still deleted (as in Django, where it is
// deleted at once). It returns the load error, if loading failed.
//
// With a cookie store it only marks the session modified, as Django's
// signed_cookies backend does.
func (s *Session) CycleKey(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.late("CycleKey")
	s.accessed = true
	s.loadLocked()
	if s.loadErr != nil {
		return s.loadErr
	}
	s.modified = true
	if s.m.cookies != nil {
		return nil
	}
	if s.key != "" && !s.needCreate {
		s.oldKeys = append(s.oldKeys, s.key)
	}
	s.key = NewKey()
	s.needCreate = true
	s.version = ""
	return nil
}

// Key returns the session key: "" for a session that has none (new, flushed,
// or whose cookie named no live session, once loaded). After CycleKey it is
// the new key. With a cookie store it is the signed cookie value (Django's
// session_key there), updated when the session is saved.
func (s *Session) Key() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.key
}

// CookieSent reports whether the request carried the session cookie.
func (s *Session) CookieSent() bool { return s.cookieSent }

// Accessed reports whether the session was read or written.
func (s *Session) Accessed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accessed
}

// Modified reports whether the session was changed.
func (s *Session) Modified() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.modified
}

// IsEmpty is Django's is_empty(): no session key and no loaded data. A
// session with a key that was never loaded is not empty.
func (s *Session) IsEmpty() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.isEmptyLocked()
}

func (s *Session) isEmptyLocked() bool {
	return s.key == "" && s.data.Len() == 0
}

// SetExpiry sets a custom expiry in seconds from the last modification
// (Django's set_expiry(int)); 0 means "when the browser closes".
func (s *Session) SetExpiry(seconds int) {
	s.Set(ExpiryKey, int64(seconds))
}

// SetExpiryAt makes the session expire at t (Django's set_expiry(datetime)),
// stored as t.isoformat() would write it, as Django 4.0+ does. Django 3.2
// cannot serialize a datetime with the JSON serializer at all.
func (s *Session) SetExpiryAt(t time.Time) {
	s.Set(ExpiryKey, pycompat.ISOFormat(t))
}

// ClearExpiry removes a custom expiry (Django's set_expiry(None)): the
// global policy applies again.
func (s *Session) ClearExpiry() {
	s.Delete(ExpiryKey)
}

// truthy is Python's truth value of a JSON-decoded value.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case int64:
		return x != 0
	case float64:
		return x != 0
	case string:
		return x != ""
	case json.Number:
		return x != "0"
	case []any:
		return len(x) > 0
	case *pyjson.Object:
		return x.Len() > 0
	}
	return true
}

// expiryAge is Django's get_expiry_age(modification=now, expiry=v) in whole
// seconds.
func (m *Middleware) expiryAge(now time.Time, v any) int64 {
	if !truthy(v) {
		return int64(m.age / time.Second)
	}
	switch x := v.(type) {
	case bool:
		return 1 // Python: isinstance(True, int), True == 1
	case int64:
		return x
	case float64:
		return int64(math.Floor(x))
	case string:
		t, err := pycompat.ParseISO(x)
		if err != nil {
			m.log.Warn("session expiry is not a valid datetime; using the cookie age", "value", x)
			return int64(m.age / time.Second)
		}
		d := t.Sub(now)
		secs := int64(d / time.Second)
		if d < 0 && d%time.Second != 0 {
			secs-- // timedelta's days*86400 + seconds floors
		}
		return secs
	}
	return int64(m.age / time.Second)
}

// expiryDate is Django's get_expiry_date(modification=now, expiry=v).
func (m *Middleware) expiryDate(now time.Time, v any) time.Time {
	if x, ok := v.(string); ok && x != "" {
		if t, err := pycompat.ParseISO(x); err == nil {
			return t
		}
	}
	return now.Add(time.Duration(m.expiryAge(now, v)) * time.Second)
}

func (s *Session) expiryValue() any {
	s.accessed = true
	s.loadLocked()
	v, _ := s.data.Get(ExpiryKey)
	return v
}

// ExpiryAge returns the number of seconds until the session expires, counted
// from now (Django's get_expiry_age()).
func (s *Session) ExpiryAge() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int(s.m.expiryAge(s.m.now(), s.expiryValue()))
}

// ExpiryDate returns when the session expires, counted from now (Django's
// get_expiry_date()).
func (s *Session) ExpiryDate() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m.expiryDate(s.m.now(), s.expiryValue())
}

// ExpireAtBrowserClose reports whether the cookie should be a browser-session
// cookie: the setting when no custom expiry is set, else whether the custom
// expiry is 0.
func (s *Session) ExpireAtBrowserClose() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.expireAtBrowserCloseLocked()
}

func (s *Session) expireAtBrowserCloseLocked() bool {
	v := s.expiryValue()
	if v == nil {
		return s.m.settings.ExpireAtBrowserClose
	}
	switch x := v.(type) {
	case int64:
		return x == 0
	case float64:
		return x == 0
	case bool:
		return !x
	}
	return false
}
