package auth

import (
	"context"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"strconv"
	"time"

	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/auth/hashers"
	"github.com/dmr-go/dmr/csrf"
	"github.com/dmr-go/dmr/internal/lograte"
	"github.com/dmr-go/dmr/sessions"
	"github.com/dmr-go/dmr/signing"
)

// Session keys Django's auth writes (django.contrib.auth.SESSION_KEY,
// BACKEND_SESSION_KEY, HASH_SESSION_KEY).
const (
	SessionKeyUserID  = "_auth_user_id"
	SessionKeyBackend = "_auth_user_backend"
	SessionKeyHash    = "_auth_user_hash"
)

// SessionAuthHashSalt is the key salt of the session auth hash.
const SessionAuthHashSalt = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"

// ErrNoSession: the context carries no session (the session middleware is
// not installed in front of the handler).
var ErrNoSession = errors.New("auth: no session in the request context (install the session middleware first)")

// Options configures an Auth.
type Options struct {
	// SecretKey is Django's SECRET_KEY (required): it keys the session auth
	// hash.
	SecretKey []byte
	// FallbackKeys is SECRET_KEY_FALLBACKS: a session whose auth hash was
	// made with one of them stays logged in; its key is cycled and the hash
	// rewritten with SecretKey.
	FallbackKeys [][]byte
	// Legacy32 also accepts the SHA-1 session auth hash that Django 3.2
	// writes with DEFAULT_HASHING_ALGORITHM = "sha1" (Django 3.2's get_user
	// accepts it without rewriting it).
	Legacy32 bool

	// Users is the user store (required unless every backend brings its
	// own).
	Users UserStore
	// Hashers checks and makes password hashes; nil means a zero
	// hashers.Hashers (Django 5.2 defaults, one hashing slot per CPU).
	Hashers *hashers.Hashers
	// Backends is AUTHENTICATION_BACKENDS, tried in order. Nil means one
	// ModelBackend. A *ModelBackend whose Users or Hashers is nil gets this
	// Options' values.
	Backends []Backend

	// Permissions loads groups and permissions for HasPerm and friends
	// (package auth/permdb; wrap it with UserCache.CachePermissions to cache
	// it like users). Nil means there are no permission rows: superusers
	// still pass HasPerm, everybody else has no permission.
	Permissions PermissionSource

	// RotateCSRF rotates the CSRF secret at login; nil means
	// csrf.RotateToken (a request without the CSRF middleware has no secret
	// to rotate and is not an error).
	RotateCSRF func(ctx context.Context) error
	// Now returns the time written to last_login; default time.Now.
	Now func() time.Time
	// Logger receives errors of the lazy user load; default slog.Default().
	Logger *slog.Logger
	// StoreTimeout bounds each user store and permission source operation
	// Auth makes (the current user's load, the login's lookup and last_login
	// update, password changes, permission loads) through its context; zero means no deadline beyond the
	// request's own. Store errors that are infrastructure failures
	// (apierror.IsUnavailable, the deadline included) are marked
	// apierror.ErrUnavailable and answer 503 with Retry-After. A ModelBackend
	// given its own Users is not bounded. A user store whose UserByID has a
	// deadline of its own (BoundedUserLoader) gets no second one for it.
	StoreTimeout time.Duration
}

// Auth is Django's django.contrib.auth for net/http: authenticate, login,
// logout, the session auth hash and the current user. Create it with New;
// it is safe for concurrent use.
type Auth struct {
	keys       [][]byte               // SecretKey then fallbacks
	hashKey    *signing.SaltedHMACKey // the session auth hash under keys[0]
	hashMemo   authHashMemo
	legacy32   bool
	users      UserStore
	storeUsers UserStore // users with StoreTimeout and failure marking
	perms      PermissionSource
	hashers    *hashers.Hashers
	backends   []Backend
	byPath     map[string]Backend
	rotateCSRF func(ctx context.Context) error
	now        func() time.Time
	log        *slog.Logger
	failures   lograte.Limiter // store failures: one record per interval
}

// New validates o and returns an Auth.
func New(o Options) (*Auth, error) {
	if len(o.SecretKey) == 0 {
		return nil, errors.New("auth: Options.SecretKey is required")
	}
	a := &Auth{
		keys: append([][]byte{o.SecretKey}, o.FallbackKeys...), legacy32: o.Legacy32,
		users: o.Users, perms: o.Permissions, hashers: o.Hashers, backends: o.Backends,
		rotateCSRF: o.RotateCSRF, now: o.Now, log: o.Logger,
	}
	hk, err := signing.NewSaltedHMACKey(SessionAuthHashSalt, a.keys[0], "sha256")
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	a.hashKey = hk
	a.hashMemo.seed = maphash.MakeSeed()
	if a.users != nil {
		a.storeUsers = boundUsers(a.users, storeTimeout(o.StoreTimeout))
	}
	if a.perms != nil {
		a.perms = boundPerms(a.perms, storeTimeout(o.StoreTimeout))
	}
	if a.hashers == nil {
		a.hashers = &hashers.Hashers{}
	}
	if err := a.hashers.Validate(); err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	if a.backends == nil {
		a.backends = []Backend{&ModelBackend{}}
	}
	if len(a.backends) == 0 {
		return nil, errors.New("auth: no authentication backends")
	}
	a.byPath = make(map[string]Backend, len(a.backends))
	for i, b := range a.backends {
		if b == nil {
			return nil, fmt.Errorf("auth: backend %d is nil", i)
		}
		if mb, ok := b.(*ModelBackend); ok {
			if mb.Users == nil {
				mb.Users = a.storeUsers
			}
			if mb.Hashers == nil {
				mb.Hashers = a.hashers
			}
			if mb.Users == nil {
				return nil, errors.New("auth: ModelBackend needs a UserStore (Options.Users)")
			}
		}
		p := b.Path()
		if p == "" {
			return nil, fmt.Errorf("auth: backend %d has an empty path", i)
		}
		if _, dup := a.byPath[p]; dup {
			return nil, fmt.Errorf("auth: backend %q listed twice", p)
		}
		a.byPath[p] = b
	}
	if a.rotateCSRF == nil {
		a.rotateCSRF = func(ctx context.Context) error {
			if err := csrf.RotateToken(ctx); err != nil && !errors.Is(err, csrf.ErrNoMiddleware) {
				return err
			}
			return nil
		}
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	return a, nil
}

// Hashers returns the password hashers in use.
func (a *Auth) Hashers() *hashers.Hashers { return a.hashers }

// Users returns the user store (nil when none was configured).
func (a *Auth) Users() UserStore { return a.users }

// Authenticate asks each backend in turn (Django's authenticate()): the
// first user returned wins, with its Backend set. It returns nil, nil when
// no backend accepts the credentials, and nil and the backend's error when
// one fails or denies permission (errors.Is(err, ErrPermissionDenied); Django
// then stops and reports a failed login), or when password hashing is busy
// (a *hashers.BusyError, 503).
func (a *Auth) Authenticate(ctx context.Context, creds Credentials) (*User, error) {
	for _, b := range a.backends {
		u, err := b.Authenticate(ctx, creds)
		if err != nil {
			return nil, apierror.MarkUnavailable(err)
		}
		if u != nil {
			u.Backend = b.Path()
			return u, nil
		}
	}
	return nil, nil
}

// SessionAuthHash returns Django's get_session_auth_hash() for a password
// hash: hex HMAC-SHA256 keyed by SHA-256(salt ‖ SECRET_KEY) over the encoded
// password. Changing the password changes it, which ends other sessions.
func (a *Auth) SessionAuthHash(encodedPassword string) string {
	return string(a.sessionAuthHex(encodedPassword)[:])
}

func sessionAuthHash(secret []byte, encodedPassword, alg string) string {
	mac, err := signing.SaltedHMAC(SessionAuthHashSalt, []byte(encodedPassword), secret, alg)
	if err != nil {
		panic("auth: " + err.Error()) // sha256 and sha1 are always available
	}
	return hex.EncodeToString(mac)
}

func equalString(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

func sessionFrom(ctx context.Context) (*sessions.Session, error) {
	s := sessions.FromContext(ctx)
	if s == nil {
		return nil, ErrNoSession
	}
	return s, nil
}

// sessionUserID reads _auth_user_id: Django stores str(user.pk); a number
// written by another tool is read as its decimal form. ok is false when it
// is missing or of another type. The user store interprets the string as its
// primary key type does (Django's pk.to_python); one that does not fit names
// no user.
func sessionUserID(s *sessions.Session) (string, bool) {
	v, ok := s.Get(SessionKeyUserID)
	if !ok {
		return "", false
	}
	return ParseSessionUserID(v)
}

// ParseSessionUserID reads a value stored under _auth_user_id as GetUser
// does: Django stores str(user.pk); a number written by another tool is read
// as its decimal form. ok is false for an empty string and other types.
func ParseSessionUserID(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, x != ""
	case int64:
		return strconv.FormatInt(x, 10), true
	case json.Number:
		if _, err := x.Int64(); err != nil {
			return "", false
		}
		return string(x), true
	}
	return "", false
}

// Login logs u in on the request's session, as Django's login():
//
//  1. If the session belongs to another user, or to u with another auth
//     hash (a password change), it is flushed; if it belongs to nobody, its
//     key is cycled (against session fixation); if it is u's already, it is
//     kept.
//  2. _auth_user_id, _auth_user_backend (u.Backend, or the only configured
//     backend's path) and _auth_user_hash are stored.
//  3. The request's current user becomes u, the CSRF secret is rotated, and
//     last_login is updated (in the store and in u).
func (a *Auth) Login(ctx context.Context, u *User) error {
	return apierror.MarkUnavailable(a.login(ctx, u))
}

func (a *Auth) login(ctx context.Context, u *User) error {
	if !u.IsAuthenticated() {
		return errors.New("auth: Login needs a stored user")
	}
	s, err := sessionFrom(ctx)
	if err != nil {
		return err
	}
	hash := a.SessionAuthHash(u.Password)
	if err := s.Load(); err != nil {
		return fmt.Errorf("auth: login: %w", err)
	}
	if s.Has(SessionKeyUserID) {
		id, ok := sessionUserID(s)
		stored, _ := s.GetString(SessionKeyHash)
		if !ok || id != u.ID || !equalString(stored, hash) {
			if err := s.Flush(ctx); err != nil {
				return fmt.Errorf("auth: login: %w", err)
			}
		}
	} else if err := s.CycleKey(ctx); err != nil {
		return fmt.Errorf("auth: login: %w", err)
	}
	backend := u.Backend
	if backend == "" {
		if len(a.backends) != 1 {
			return errors.New("auth: the user has no Backend and several backends are configured: authenticate the user first or set User.Backend")
		}
		backend = a.backends[0].Path()
	}
	s.Set(SessionKeyUserID, u.ID)
	s.Set(SessionKeyBackend, backend)
	s.Set(SessionKeyHash, hash)
	if st := stateFrom(ctx); st != nil {
		st.set(u)
	}
	if err := a.rotateCSRF(ctx); err != nil {
		return fmt.Errorf("auth: login: rotate CSRF token: %w", err)
	}
	now := a.now()
	if a.users != nil {
		if err := a.storeUsers.UpdateLastLogin(ctx, u.ID, now); err != nil {
			return fmt.Errorf("auth: login: update last_login: %w", err)
		}
	}
	u.LastLogin = &now
	return nil
}

// Logout flushes the session (Django's logout()): its data and stored row
// are deleted and the response deletes the cookie. The request's current
// user becomes anonymous. The CSRF secret is not rotated (as in Django).
func (a *Auth) Logout(ctx context.Context) error {
	return apierror.MarkUnavailable(a.logout(ctx))
}

func (a *Auth) logout(ctx context.Context) error {
	s, err := sessionFrom(ctx)
	if err != nil {
		return err
	}
	if st := stateFrom(ctx); st != nil {
		st.set(AnonymousUser())
	}
	if err := s.Flush(ctx); err != nil {
		return fmt.Errorf("auth: logout: %w", err)
	}
	return nil
}

// GetUser returns the user the request's session belongs to, or the
// anonymous user (Django's get_user(), which AuthenticationMiddleware puts
// on request.user lazily):
//
//   - the session must name a user and one of the configured backends;
//   - the backend must return the user (ModelBackend: exists and is active);
//   - the stored auth hash must match the user's current one. A hash made
//     with a fallback key is accepted: the session key is cycled and the
//     hash rewritten. Any other mismatch (a password change) flushes the
//     session.
//
// A session user id that does not fit the user model's primary key gives
// the anonymous user (Django raises an error). Errors are store failures;
// those that are infrastructure failures (apierror.IsUnavailable,
// Options.StoreTimeout passed) are marked apierror.ErrUnavailable: 503 with
// Retry-After.
func (a *Auth) GetUser(ctx context.Context) (*User, error) {
	u, err := a.getUser(ctx)
	return u, apierror.MarkUnavailable(err)
}

func (a *Auth) getUser(ctx context.Context) (*User, error) {
	s, err := sessionFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.Load(); err != nil {
		return nil, fmt.Errorf("auth: load session: %w", err)
	}
	id, okID := sessionUserID(s)
	path, okPath := s.GetString(SessionKeyBackend)
	if !s.Has(SessionKeyUserID) || !okPath {
		return AnonymousUser(), nil
	}
	b, known := a.byPath[path]
	if !known || !okID {
		return AnonymousUser(), nil
	}
	// A user row the session store loaded with the session (LoadedUser)
	// saves the backend's user store its query.
	u, err := b.GetUser(withLoadedUser(ctx, s.Attachment(), id), id)
	if err != nil {
		return nil, fmt.Errorf("auth: get user: %w", err)
	}
	if u == nil {
		return AnonymousUser(), nil
	}
	u.Backend = path
	stored, _ := s.GetString(SessionKeyHash)
	if stored != "" && equalHex(stored, a.sessionAuthHex(u.Password)) {
		return u, nil
	}
	current := a.SessionAuthHash(u.Password)
	if stored != "" {
		for _, k := range a.keys[1:] {
			if equalString(stored, sessionAuthHash(k, u.Password, "sha256")) {
				if err := s.CycleKey(ctx); err != nil {
					return nil, fmt.Errorf("auth: get user: %w", err)
				}
				s.Set(SessionKeyHash, current)
				return u, nil
			}
		}
		if a.legacy32 && equalString(stored, sessionAuthHash(a.keys[0], u.Password, "sha1")) {
			return u, nil
		}
	}
	if err := s.Flush(ctx); err != nil {
		return nil, fmt.Errorf("auth: get user: %w", err)
	}
	return AnonymousUser(), nil
}

// UpdateSessionAuthHash keeps the current session logged in after u's
// password changed (Django's update_session_auth_hash): the session key is
// cycled and, when the session belongs to u, the new auth hash stored. Every
// other session of u no longer matches and is logged out on its next
// request.
func (a *Auth) UpdateSessionAuthHash(ctx context.Context, u *User) error {
	s, err := sessionFrom(ctx)
	if err != nil {
		return err
	}
	if err := s.CycleKey(ctx); err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	var current string
	if cu, ok := peekUser(ctx); ok {
		current = cu.ID
	} else if id, ok := sessionUserID(s); ok {
		current = id
	}
	if current != "" && current == u.ID {
		s.Set(SessionKeyHash, a.SessionAuthHash(u.Password))
	}
	return nil
}

// SetPassword hashes password with the preferred hasher and stores it as
// u's password (Django's set_password + save). Other sessions of u end; to
// keep the current one, call UpdateSessionAuthHash next.
func (a *Auth) SetPassword(ctx context.Context, u *User, password string) error {
	if a.users == nil {
		return errors.New("auth: no user store")
	}
	enc, err := a.hashers.Make(ctx, password)
	if err != nil {
		return err
	}
	if err := a.storeUsers.SetPassword(ctx, u.ID, enc); err != nil {
		return fmt.Errorf("auth: set password: %w", err)
	}
	u.Password = enc
	return nil
}

// ChangePassword is SetPassword followed by UpdateSessionAuthHash: the
// password changes, the current session stays logged in with a new key, and
// u's other sessions end.
func (a *Auth) ChangePassword(ctx context.Context, u *User, password string) error {
	if err := a.SetPassword(ctx, u, password); err != nil {
		return err
	}
	return a.UpdateSessionAuthHash(ctx, u)
}

func peekUser(ctx context.Context) (*User, bool) {
	if st := stateFrom(ctx); st != nil {
		return st.peek()
	}
	return nil, false
}
