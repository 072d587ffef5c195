package drftoken

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/dmr-go/dmr/auth/userdb"
	"github.com/dmr-go/dmr/sqldb"
)

// KeyLength is the length of a token key: DRF's Token.key is a
// CharField(max_length=40), and generate_key writes 40 lower-case hex digits.
const KeyLength = 40

// ErrNotFound is returned for a token key or a user that has no token.
var ErrNotFound = errors.New("drftoken: no such token")

// Token is one row of authtoken_token.
type Token struct {
	// Key is the secret the client sends ("Authorization: Token <key>").
	Key string
	// UserID is the user's key as Django's str(pk) (auth.User.ID).
	UserID string
	// Created is when the token was made (auto_now_add), in UTC with
	// microseconds.
	Created time.Time
}

// GenerateKey returns a new key as DRF's Token.generate_key makes it: 20
// random bytes as 40 lower-case hex digits (secrets.token_hex(20); older DRF
// binascii.hexlify(os.urandom(20))), from crypto/rand.
func GenerateKey() string {
	var b [KeyLength / 2]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return hex.EncodeToString(b[:])
}

// Options configure [New].
type Options struct {
	// Now is the clock for Created; nil means time.Now.
	Now func() time.Time
}

// Store keeps DRF's tokens in authtoken_token on SQLite, PostgreSQL or
// MySQL/MariaDB, next to the user table of users (auth.User or a custom
// AUTH_USER_MODEL with an integer, UUID or string key). It is safe for
// concurrent use. Every operation runs under the database's per-operation
// deadline (sqldb.DB.Context).
type Store struct {
	db    *sqldb.DB
	d     sqldb.Dialect
	users *userdb.Store
	info  userdb.Info
	now   func() time.Time
	q     queries

	mu       sync.Mutex
	onDelete []func(key string)
}

type queries struct {
	byKey, byUser, insert, del string
}

// New returns a Store on db whose tokens belong to the users of users.
func New(db *sqldb.DB, users *userdb.Store, o Options) (*Store, error) {
	if err := db.Validate(); err != nil {
		return nil, fmt.Errorf("drftoken: %w", err)
	}
	if users == nil {
		return nil, errors.New("drftoken: nil user store")
	}
	s := &Store{db: db, d: db.Dialect, users: users, info: users.Info(), now: o.Now}
	if s.now == nil {
		s.now = time.Now
	}
	sel := `SELECT "key", "user_id", ` + s.d.TimeColumn(`"created"`) + ` FROM "authtoken_token" WHERE `
	q := queries{
		byKey:  sel + `"key" = ?`,
		byUser: sel + `"user_id" = ?`,
		insert: `INSERT INTO "authtoken_token" ("key", "created", "user_id") VALUES (?, ?, ?)`,
		del:    `DELETE FROM "authtoken_token" WHERE "key" = ?`,
	}
	for _, p := range []*string{&q.byKey, &q.byUser, &q.insert, &q.del} {
		if s.d == sqldb.MySQL {
			*p = strings.ReplaceAll(*p, `"`, "`") // the identifiers' quotes
		}
		*p = s.d.Rebind(*p)
	}
	s.q = q
	return s, nil
}

// Schema returns the table CreateTables creates (see the package-level
// Schema).
func (s *Store) Schema() sqldb.Table { return Schema(s.d, s.info) }

// CreateTables creates authtoken_token (with its foreign key and index) when
// it is missing, as DRF's migration would, and leaves a table Django created
// alone: idempotent and safe under concurrency (sqldb.DB.CreateTables). The
// user table must exist. When Go creates the table first, Django's migrate
// then needs --fake-initial (authtoken.0001_initial is faked because its
// table exists; 0002–0004 change nothing in the database).
func (s *Store) CreateTables(ctx context.Context) error {
	if err := s.db.CreateTables(ctx, Table, s.Schema()); err != nil {
		return fmt.Errorf("drftoken: %w", err)
	}
	return nil
}

// OnDelete registers f to be called with the key of every token deleted
// through this Store (Delete, DeleteForUser, Create with reset), after the
// deletion, even when it failed: caches in front of the store drop the key.
func (s *Store) OnDelete(f func(key string)) {
	s.mu.Lock()
	s.onDelete = append(s.onDelete, f)
	s.mu.Unlock()
}

func (s *Store) deleted(key string) {
	s.mu.Lock()
	fs := s.onDelete
	s.mu.Unlock()
	for _, f := range fs {
		f(key)
	}
}

// Get returns the token whose key is key, or ErrNotFound. The lookup is the
// database's own comparison, as DRF's Token.objects.get(key=key): exact on
// SQLite and PostgreSQL, case-insensitive under MySQL's usual *_ci
// collations (Token.Key is then the stored spelling).
func (s *Store) Get(ctx context.Context, key string) (*Token, error) {
	return s.one(ctx, s.q.byKey, key)
}

// ForUser returns the token of user userID (auth.User.ID), or ErrNotFound.
func (s *Store) ForUser(ctx context.Context, userID string) (*Token, error) {
	pk, ok := s.users.PKArg(userID)
	if !ok {
		return nil, ErrNotFound
	}
	return s.one(ctx, s.q.byUser, pk)
}

func (s *Store) one(ctx context.Context, query string, arg any) (*Token, error) {
	ctx, cancel := s.db.PointContext(ctx) // one row by key
	defer cancel()
	var (
		t       Token
		uid, at any
	)
	err := s.db.Read.QueryRowContext(ctx, query, arg).Scan(&t.Key, &uid, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("drftoken: %w", err)
	}
	if t.UserID, err = s.userID(uid); err != nil {
		return nil, err
	}
	if t.Created, err = sqldb.ScanTime(at); err != nil {
		return nil, fmt.Errorf("drftoken: %s.created: %w", Table, err)
	}
	return &t, nil
}

// userID turns a scanned user_id into Django's str(pk).
func (s *Store) userID(v any) (string, error) {
	id, err := s.users.PKString(v)
	if err != nil {
		return "", fmt.Errorf("drftoken: %s.user_id: %w", Table, err)
	}
	return id, nil
}

// Create returns user userID's token, making one when the user has none:
// DRF's Token.objects.get_or_create(user=user), as drf_create_token runs it
// (created reports a new token). With reset the user's token is deleted
// first (drf_create_token -r), so a new key is always made. Two concurrent
// calls for one user return the same token (the unique user_id decides,
// as in Django's get_or_create). A user that does not exist is an error
// from the database's foreign key, or ErrNotFound for an id that cannot
// be a key.
func (s *Store) Create(ctx context.Context, userID string, reset bool) (tok *Token, created bool, err error) {
	pk, ok := s.users.PKArg(userID)
	if !ok {
		return nil, false, ErrNotFound
	}
	if reset {
		if _, err := s.DeleteForUser(ctx, userID); err != nil {
			return nil, false, err
		}
	}
	for attempt := 0; ; attempt++ {
		t, err := s.one(ctx, s.q.byUser, pk)
		if err == nil {
			return t, false, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return nil, false, err
		}
		t = &Token{Key: GenerateKey(), UserID: userID, Created: s.now().UTC().Truncate(time.Microsecond)}
		err = s.insert(ctx, t, pk)
		if err == nil {
			if norm, nerr := s.userID(pk); nerr == nil {
				t.UserID = norm
			}
			return t, true, nil
		}
		// A concurrent creation for the same user (or, once in 2^160, the
		// same key) loses the race on a unique constraint: read again.
		if !sqldb.IsUniqueViolation(err) || attempt == 2 {
			return nil, false, fmt.Errorf("drftoken: create: %w", err)
		}
	}
}

func (s *Store) insert(ctx context.Context, t *Token, pk any) error {
	ctx, cancel := s.db.Context(ctx)
	defer cancel()
	_, err := s.db.Write.ExecContext(ctx, s.q.insert, t.Key, s.d.TimeArg(t.Created), pk)
	return err
}

// Delete deletes the token whose key is key (its exact stored spelling),
// reporting whether there was one.
func (s *Store) Delete(ctx context.Context, key string) (bool, error) {
	defer s.deleted(key)
	ctx, cancel := s.db.Context(ctx)
	defer cancel()
	res, err := s.db.Write.ExecContext(ctx, s.q.del, key)
	if err != nil {
		return false, fmt.Errorf("drftoken: delete: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("drftoken: delete: %w", err)
	}
	return n > 0, nil
}

// DeleteForUser deletes user userID's token, reporting whether there was
// one (Token.objects.filter(user=user).delete()).
func (s *Store) DeleteForUser(ctx context.Context, userID string) (bool, error) {
	t, err := s.ForUser(ctx, userID)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return s.Delete(ctx, t.Key)
}
