package sessions

import (
	"context"
	"errors"
	"time"

	"github.com/dmr-go/dmr/pyjson"
)

// Errors returned by stores. Callers branch on them with errors.Is.
var (
	// ErrNotFound: no live session under this key (missing or expired). On Save
	// it is Django's UpdateError: the row was deleted meanwhile (a concurrent
	// logout, for example).
	ErrNotFound = errors.New("sessions: session not found")
	// ErrKeyExists: Create found the key already taken (Django's CreateError).
	ErrKeyExists = errors.New("sessions: session key already exists")
	// ErrConflict: Save's compare-and-swap failed because another request saved
	// the session after this one loaded it.
	ErrConflict = errors.New("sessions: session changed concurrently")
)

// Record is one stored session.
type Record struct {
	// Key is the session key: 32 characters of [a-z0-9] for keys this package
	// makes; stores accept any key of up to 40 characters.
	Key string
	// Data is the session dict. Stores must not modify it.
	Data *pyjson.Object
	// Expiry is when the session expires (Django's expire_date). Stores that
	// have a TTL use Expiry minus now.
	Expiry time.Time
	// Version identifies the stored state this record was loaded from, for
	// compare-and-swap. It is opaque to callers: the db stores use the stored
	// session_data text, the Redis store the stored value bytes. Empty for a
	// record that was not loaded.
	Version string
	// Shared reports that Data is shared with a cache (LocalCache hands out
	// its copy instead of cloning it per load): whoever changes the data
	// must clone it first (pyjson.Object.DeepClone), as Session does.
	Shared bool
	// Attachment is a value a layered store loaded together with the session,
	// for the layer above (userdb.SessionJoin attaches the session's user
	// row). Load may set it; Create and Save ignore it. Stores and caches
	// must not keep it: it describes this load only (a cache hit must not
	// hand out what an earlier load attached). Session.Attachment returns it.
	Attachment any
}

// Store keeps sessions. Implementations must be safe for concurrent use;
// package sessionstest checks the whole contract (sessionstest.Run).
//
// It is the smallest set of operations the session middleware needs, each
// there for one of Django's session behaviours:
//
//   - Load reads the session a request's cookie names (SessionBase.load).
//   - Create stores a new session under a fresh key and refuses a taken one,
//     so two requests can never share a key (Django's save(must_create=True)
//     and CreateError); the middleware retries with a new key.
//   - Save writes a changed session back, with compare-and-swap on Version so
//     two concurrent requests do not overwrite each other's changes (the
//     middleware reloads and replays its own changes on ErrConflict), and
//     reports a session deleted meanwhile (Django's UpdateError).
//   - Delete removes a session at logout, flush and cycle_key.
//   - ClearExpired is Django's clear_expired, which the clearsessions
//     command runs on whatever store is configured.
//
// Django's exists() is not here: it serves Django's key generation, which
// Create's ErrKeyExists replaces. Stores may still offer it.
type Store interface {
	// Load returns the live session under key, with its Version set, or
	// ErrNotFound when it is missing or expired.
	Load(ctx context.Context, key string) (Record, error)
	// Create stores a new session; ErrKeyExists when the key is taken.
	// It returns the Version of what it stored. A record whose Expiry has
	// passed may be stored or not; it never loads.
	Create(ctx context.Context, r Record) (version string, err error)
	// Save replaces the session under r.Key if its stored Version still equals
	// r.Version (when r.Version is empty, it replaces unconditionally). It
	// returns ErrConflict when the stored version differs and ErrNotFound when
	// the session no longer exists. It returns the new Version.
	Save(ctx context.Context, r Record) (version string, err error)
	// Delete removes the session under key; a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// ClearExpired removes expired sessions, for stores that keep them
	// (Django's clear_expired); others return nil.
	ClearExpired(ctx context.Context) error
}

// Codec turns session data into the text Django keeps in
// django_session.session_data (signed, optionally compressed JSON) and back.
// The db and cached_db stores use it; stores that keep the dict itself (the
// Redis cache store pickles it) do not.
type Codec interface {
	Encode(data *pyjson.Object) (string, error)
	// Decode verifies and decodes s. Any failure is an error; callers treat
	// it as an empty session, as Django does.
	Decode(s string) (*pyjson.Object, error)
}
