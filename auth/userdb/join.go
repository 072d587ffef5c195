package userdb

import (
	"context"
	"errors"
	"fmt"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/internal/boundedmap"
	"github.com/dmr-go/dmr/pyjson"
	"github.com/dmr-go/dmr/sessions"
	"github.com/dmr-go/dmr/sessions/dbstore"
)

// DefaultMaxHints is SessionJoinOptions.MaxHints' default.
const DefaultMaxHints = 1 << 16

// SessionJoinOptions configure NewSessionJoin.
type SessionJoinOptions struct {
	// MaxHints bounds the number of sessions whose user id the SessionJoin
	// remembers; zero means DefaultMaxHints, negative is an error. When full,
	// an arbitrary hint makes room: a session without a hint costs its
	// second query again on its next load, nothing else.
	MaxHints int
}

// SessionJoin is a sessions.Store on a django_session table that loads the
// session's user row from a user Store on the same database in the same
// query, so that a request authenticated by its session costs one round trip
// instead of two when no cache is in front of the stores. The row rides in
// Record.Attachment (an *auth.LoadedUser) and the user Store's UserByID
// returns it to auth's GetUser instead of querying. Create, Save, Delete and
// ClearExpired are the session store's. See "Loading the session and its
// user in one query" in the package documentation. It is safe for
// concurrent use.
type SessionJoin struct {
	sessions *dbstore.Store
	users    *Store
	query    string // the joined load
	keyIdx   int    // the user key's column in the row
	hints    *hints
}

var _ sessions.Store = (*SessionJoin)(nil)

// NewSessionJoin returns a SessionJoin of the session table s and the user
// table users, which must be on the same sqldb.DB.
func NewSessionJoin(s *dbstore.Store, users *Store, opts SessionJoinOptions) (*SessionJoin, error) {
	if s == nil || users == nil {
		return nil, errors.New("userdb: NewSessionJoin: nil store")
	}
	if s.DB() != users.db {
		return nil, errors.New("userdb: NewSessionJoin: the session and user stores are on different databases")
	}
	if opts.MaxHints < 0 {
		return nil, fmt.Errorf("userdb: NewSessionJoin: negative MaxHints %d", opts.MaxHints)
	}
	if opts.MaxHints == 0 {
		opts.MaxHints = DefaultMaxHints
	}
	const alias = "u"
	l := &users.l
	q := users.quote(alias)
	join := `LEFT JOIN ` + users.quote(l.table) + ` ` + q + ` ON ` + q + `.` + users.quote(l.key().name) + ` = ?`
	return &SessionJoin{
		sessions: s, users: users, keyIdx: l.keyIdx,
		query: s.JoinQuery(users.columns(q+"."), join),
		hints: newHints(opts.MaxHints),
	}, nil
}

// Sessions returns the session table store.
func (j *SessionJoin) Sessions() *dbstore.Store { return j.sessions }

// Users returns the user table store.
func (j *SessionJoin) Users() *Store { return j.users }

// LoadBounded reports that Load runs under a deadline of its own
// (sessions.BoundedLoader), as the db store's does.
func (j *SessionJoin) LoadBounded() bool { return true }

// Load returns the live session under key, as the session store's Load. When
// a hint names the session's user, the user row is read in the same query
// and, if the session's _auth_user_id is that user's id and the row exists,
// attached as an *auth.LoadedUser. The hint is never trusted beyond choosing
// which row to read: the session data decides.
func (j *SessionJoin) Load(ctx context.Context, key string) (sessions.Record, error) {
	hint, ok := j.hints.Get(key)
	if !ok {
		return j.loadPlain(ctx, key)
	}
	pk, ok := j.users.PKArg(hint)
	if !ok {
		j.hints.Delete(key)
		return j.loadPlain(ctx, key)
	}
	vals, dest := j.users.row()
	r, err := j.sessions.LoadJoined(ctx, key, j.query, []any{pk}, dest...)
	if errors.Is(err, sessions.ErrNotFound) {
		j.hints.Delete(key)
	}
	if err != nil {
		return r, err
	}
	id, ok := sessionUserID(r.Data)
	switch {
	case !ok:
		j.hints.Delete(key)
	case id != hint:
		j.hints.Put(key, id) // another user now: read that one next time
	case vals[j.keyIdx] == nil:
		// NULL: no row has that key in this snapshot (the user was
		// deleted); GetUser reports none without a second query.
		r.Attachment = &auth.LoadedUser{Store: j.users, ID: id, Missing: true}
	default:
		if u, err := j.users.user(vals); err == nil {
			// A row that does not convert is left to UserByID, which
			// reports the error.
			r.Attachment = &auth.LoadedUser{Store: j.users, ID: id, User: u}
		}
	}
	return r, nil
}

// loadPlain is the session store's Load, noting the session's user.
func (j *SessionJoin) loadPlain(ctx context.Context, key string) (sessions.Record, error) {
	r, err := j.sessions.Load(ctx, key)
	if err == nil {
		j.note(key, r.Data)
	}
	return r, err
}

// note records the user id of data as key's hint, or drops the hint.
func (j *SessionJoin) note(key string, data *pyjson.Object) {
	if id, ok := sessionUserID(data); ok {
		j.hints.Put(key, id)
	} else {
		j.hints.Delete(key)
	}
}

func sessionUserID(data *pyjson.Object) (string, bool) {
	if data == nil {
		return "", false
	}
	v, ok := data.Get(auth.SessionKeyUserID)
	if !ok {
		return "", false
	}
	return auth.ParseSessionUserID(v)
}

// Create is the session store's Create; the new session's user id becomes
// its hint (a login's next request is already joined).
func (j *SessionJoin) Create(ctx context.Context, r sessions.Record) (string, error) {
	v, err := j.sessions.Create(ctx, r)
	if err == nil {
		j.note(r.Key, r.Data)
	}
	return v, err
}

// Save is the session store's Save; the saved session's user id becomes its
// hint.
func (j *SessionJoin) Save(ctx context.Context, r sessions.Record) (string, error) {
	v, err := j.sessions.Save(ctx, r)
	if err == nil {
		j.note(r.Key, r.Data)
	}
	return v, err
}

// Delete is the session store's Delete; the session's hint is dropped.
func (j *SessionJoin) Delete(ctx context.Context, key string) error {
	j.hints.Delete(key)
	return j.sessions.Delete(ctx, key)
}

// ClearExpired is the session store's ClearExpired. Hints of the deleted
// sessions stay until evicted or their key is loaded (then dropped as not
// found): they are bounded and never trusted.
func (j *SessionJoin) ClearExpired(ctx context.Context) error {
	return j.sessions.ClearExpired(ctx)
}

// hintShards is the number of independently locked parts of the hints.
const hintShards = 32

// hints maps session keys to the user id last seen in them, bounded.
type hints = boundedmap.Map[string]

func newHints(maxEntries int) *hints { return boundedmap.New[string](maxEntries, hintShards) }
