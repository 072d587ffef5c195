package dbstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/dmr-go/dmr/pyjson"
	"github.com/dmr-go/dmr/sessions"
	"github.com/dmr-go/dmr/sqldb"
)

// MaxKeyLength is the length of django_session.session_key.
const MaxKeyLength = 40

// Options configure a Store.
type Options struct {
	// Codec encodes the session dict into session_data and back (Django's
	// signed JSON). Required.
	Codec sessions.Codec
	// Logger receives a warning when a row's session_data does not decode
	// (Django logs "Session data corrupted" and treats the session as empty).
	// Nil means slog.Default().
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now. For tests.
	Now func() time.Time
	// DecodeMemo is how many decoded session_data texts Load remembers, so
	// that a row read again with the same text skips the signature check,
	// zlib and JSON and gets a copy of the dict (see the package
	// documentation). Zero means
	// DefaultDecodeMemo; negative turns it off.
	DecodeMemo int
}

// Store is a sessions.Store on Django's django_session table. It is safe for
// concurrent use.
type Store struct {
	db    *sqldb.DB
	d     sqldb.Dialect
	codec sessions.Codec
	log   *slog.Logger
	now   func() time.Time
	q     queries
	memo  *decodeMemo // nil when off

	read, write *sqldb.StmtCache // prepared statements per pool
	owned       bool             // Close closes db (Open)
}

var _ sessions.Store = (*Store)(nil)

// New returns a Store on db (see sqldb.Open, or sqldb.New around a *sql.DB
// of your own). Reads go to db.Read, writes to db.Write, each operation
// bounded by db.Context (Load on SQLite: db.PointContext). New does not
// create the table; call CreateTables.
func New(db *sqldb.DB, opts Options) (*Store, error) {
	if err := db.Validate(); err != nil {
		return nil, fmt.Errorf("dbstore: %w", err)
	}
	if opts.Codec == nil {
		return nil, errors.New("dbstore: Options.Codec is required")
	}
	s := &Store{db: db, d: db.Dialect, codec: opts.Codec, log: opts.Logger, now: opts.Now}
	s.write = sqldb.NewStmtCache(db.Write)
	s.read = s.write
	if db.Read != db.Write {
		s.read = sqldb.NewStmtCache(db.Read)
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.q = buildQueries(db.Dialect)
	s.memo = newDecodeMemo(opts.DecodeMemo)
	return s, nil
}

// DB returns the database the store uses.
func (s *Store) DB() *sqldb.DB { return s.db }

// Close releases the store's prepared statements, and closes the database
// if the store opened it ([Open]). A Store made by New leaves its database
// open.
func (s *Store) Close() error {
	err := s.write.Close()
	if s.read != s.write {
		err = errors.Join(err, s.read.Close())
	}
	if s.owned {
		err = errors.Join(err, s.db.Close())
	}
	return err
}

// queryRow runs a prepared single-row query on the read pool and scans it.
func (s *Store) queryRow(ctx context.Context, query string, args []any, dest ...any) error {
	st, err := s.read.Get(ctx, query)
	if err != nil {
		return err
	}
	return st.QueryRowContext(ctx, args...).Scan(dest...)
}

// exec runs a prepared statement on the write pool.
func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := s.write.Get(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

type queries struct {
	load, data, exists, insert, update, updateAny, deleteKey, clearExpired, scan string
}

func buildQueries(d sqldb.Dialect) queries {
	table := d.Quote("django_session")
	key, data, exp := d.Quote("session_key"), d.Quote("session_data"), d.Quote("expire_date")
	insert := `INSERT INTO ` + table + ` (` + key + `, ` + data + `, ` + exp + `) VALUES (?, ?, ?)`
	// The compare-and-swap compares session_data byte for byte: MySQL's
	// default collations ignore case and trailing spaces.
	version := data + ` = ?`
	if d == sqldb.MySQL {
		version = data + ` = BINARY ?`
	} else {
		insert += ` ON CONFLICT (` + key + `) DO NOTHING` // MySQL: a duplicate-key error
	}
	q := queries{
		load:         `SELECT ` + data + `, ` + d.TimeColumn(exp) + ` FROM ` + table + ` WHERE ` + key + ` = ? AND ` + exp + ` > ?`,
		data:         `SELECT ` + data + ` FROM ` + table + ` WHERE ` + key + ` = ?`,
		exists:       `SELECT 1 FROM ` + table + ` WHERE ` + key + ` = ?`,
		insert:       insert,
		update:       `UPDATE ` + table + ` SET ` + data + ` = ?, ` + exp + ` = ? WHERE ` + key + ` = ? AND ` + version,
		updateAny:    `UPDATE ` + table + ` SET ` + data + ` = ?, ` + exp + ` = ? WHERE ` + key + ` = ?`,
		deleteKey:    `DELETE FROM ` + table + ` WHERE ` + key + ` = ?`,
		clearExpired: `DELETE FROM ` + table + ` WHERE ` + exp + ` < ?`,
		scan:         `SELECT ` + key + `, ` + data + ` FROM ` + table + ` WHERE ` + key + ` > ? ORDER BY ` + key + ` LIMIT ?`,
	}
	for _, p := range []*string{&q.load, &q.data, &q.exists, &q.insert, &q.update, &q.updateAny, &q.deleteKey, &q.clearExpired, &q.scan} {
		*p = d.Rebind(*p)
	}
	return q
}

func validKey(key string) bool { return key != "" && len(key) <= MaxKeyLength }

// Load returns the live session under key. A row whose session_data does not
// decode gives an empty session (as in Django) whose Version is still the
// stored text, and a warning in the log.
//
// The Record's Version is the row's session_data text, exactly as stored.
// Save compares it with the row, and stores layered on this one may rely on
// it: cached_db keeps it to know which row its cached copy came from.
func (s *Store) Load(ctx context.Context, key string) (sessions.Record, error) {
	return s.LoadJoined(ctx, key, s.q.load, nil) // nothing joined
}

// LoadBounded reports that Load runs under a deadline of its own
// (sessions.BoundedLoader): db.Context, or busy_timeout on SQLite.
func (s *Store) LoadBounded() bool { return true }

// record turns a loaded row (session_data and the scanned expire_date) into
// the Record Load returns: session_data that does not decode gives an empty
// session whose Version is still the stored text, and a warning in the log.
func (s *Store) record(ctx context.Context, key, data string, exp any) (sessions.Record, error) {
	expiry, err := sqldb.ScanTime(exp)
	if err != nil {
		return sessions.Record{}, fmt.Errorf("dbstore: load: %w", err)
	}
	if s.memo != nil {
		if obj, ok := s.memo.Get(data); ok {
			return sessions.Record{Key: key, Data: obj.DeepClone(), Expiry: expiry, Version: data}, nil
		}
	}
	obj, derr := s.codec.Decode(data)
	if derr != nil {
		s.log.WarnContext(ctx, "Session data corrupted", "store", "db", "error", derr)
		return sessions.Record{Key: key, Data: pyjson.NewObject(0), Expiry: expiry, Version: data}, nil
	}
	if s.memo != nil {
		s.memo.Put(data, obj.DeepClone())
	}
	return sessions.Record{Key: key, Data: obj, Expiry: expiry, Version: data}, nil
}

// JoinQuery returns a query for LoadJoined: Load's query on the live row
// under a key, with the select-list expressions cols appended and join (a
// JOIN clause) after the session table, which the query names by its table
// name, unaliased ("django_session"), so join may refer to its columns.
// The placeholders (?) in cols and join take LoadJoined's joinArgs, before
// the key and the expiry bound. The query is rebound for the dialect; build
// it once and keep it, as each distinct text is prepared once.
func (s *Store) JoinQuery(cols, join string) string {
	t := s.d.Quote("django_session")
	data, exp, key := t+"."+s.d.Quote("session_data"), t+"."+s.d.Quote("expire_date"), t+"."+s.d.Quote("session_key")
	return s.d.Rebind(`SELECT ` + data + `, ` + s.d.TimeColumn(exp) + `, ` + cols + ` FROM ` + t + ` ` + join +
		` WHERE ` + key + ` = ? AND ` + exp + ` > ?`)
}

// LoadJoined is Load in one round trip with another table: it runs query
// (from JoinQuery) with joinArgs, the key and the current time, scans the
// appended columns into dest, and decodes the session as Load does (the same
// errors, ErrNotFound for a missing or expired row, the same handling of
// session_data that does not decode). The prepared statement is kept like
// Load's.
func (s *Store) LoadJoined(ctx context.Context, key, query string, joinArgs []any, dest ...any) (sessions.Record, error) {
	if !validKey(key) {
		return sessions.Record{}, sessions.ErrNotFound
	}
	ctx, cancel := s.db.PointContext(ctx) // one row by key
	defer cancel()
	var data string
	var exp any
	args := make([]any, 0, len(joinArgs)+2)
	args = append(append(args, joinArgs...), key, s.d.TimeArg(s.now()))
	row := make([]any, 0, len(dest)+2)
	row = append(append(row, &data, &exp), dest...)
	err := s.queryRow(ctx, query, args, row...)
	if errors.Is(err, sql.ErrNoRows) {
		return sessions.Record{}, sessions.ErrNotFound
	}
	if err != nil {
		return sessions.Record{}, fmt.Errorf("dbstore: load: %w", err)
	}
	return s.record(ctx, key, data, exp)
}

// Create inserts a new row; sessions.ErrKeyExists when the key is taken.
// It returns the stored session_data, the new Record's Version.
func (s *Store) Create(ctx context.Context, r sessions.Record) (string, error) {
	if !validKey(r.Key) {
		return "", fmt.Errorf("dbstore: create: invalid session key (1 to %d characters)", MaxKeyLength)
	}
	data, err := s.codec.Encode(r.Data)
	if err != nil {
		return "", fmt.Errorf("dbstore: encode: %w", err)
	}
	ctx, cancel := s.db.Context(ctx)
	defer cancel()
	res, err := s.exec(ctx, s.q.insert, r.Key, data, s.d.TimeArg(r.Expiry))
	if sqldb.IsUniqueViolation(err) {
		return "", sessions.ErrKeyExists
	}
	if err != nil {
		return "", fmt.Errorf("dbstore: create: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return "", fmt.Errorf("dbstore: create: %w", err)
	}
	if n == 0 {
		return "", sessions.ErrKeyExists
	}
	return data, nil
}

// Save replaces the row under r.Key if its session_data still equals
// r.Version (any row when r.Version is empty), and returns the stored
// session_data, the new Version. See the package documentation.
func (s *Store) Save(ctx context.Context, r sessions.Record) (string, error) {
	if !validKey(r.Key) {
		return "", sessions.ErrNotFound
	}
	data, err := s.codec.Encode(r.Data)
	if err != nil {
		return "", fmt.Errorf("dbstore: encode: %w", err)
	}
	ctx, cancel := s.db.Context(ctx)
	defer cancel()
	var res sql.Result
	if r.Version == "" {
		res, err = s.exec(ctx, s.q.updateAny, data, s.d.TimeArg(r.Expiry), r.Key)
	} else {
		res, err = s.exec(ctx, s.q.update, data, s.d.TimeArg(r.Expiry), r.Key, r.Version)
	}
	if err != nil {
		return "", fmt.Errorf("dbstore: save: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return "", fmt.Errorf("dbstore: save: %w", err)
	}
	if n > 0 {
		return data, nil
	}
	// No row changed: a missing row, another version, or (on a MySQL
	// connection without clientFoundRows) a row that already held exactly
	// these values.
	var stored string
	err = s.queryRow(ctx, s.q.data, []any{r.Key}, &stored)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", sessions.ErrNotFound
	case err != nil:
		return "", fmt.Errorf("dbstore: save: %w", err)
	case stored == data && (r.Version == "" || r.Version == data):
		return data, nil
	case r.Version == "":
		return "", sessions.ErrNotFound
	}
	return "", sessions.ErrConflict
}

// Delete removes the row under key; a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if !validKey(key) {
		return nil
	}
	ctx, cancel := s.db.Context(ctx)
	defer cancel()
	if _, err := s.exec(ctx, s.q.deleteKey, key); err != nil {
		return fmt.Errorf("dbstore: delete: %w", err)
	}
	return nil
}

// Exists reports whether a row is stored under key. Like Django's
// SessionStore.exists it ignores expire_date: a key of an expired row that
// ClearExpired has not removed yet still counts as taken.
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	if !validKey(key) {
		return false, nil
	}
	ctx, cancel := s.db.Context(ctx)
	defer cancel()
	var one int
	err := s.queryRow(ctx, s.q.exists, []any{key}, &one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("dbstore: exists: %w", err)
	}
	return true, nil
}

// ClearExpired deletes the rows whose expire_date has passed (Django's
// clear_expired / clearsessions).
func (s *Store) ClearExpired(ctx context.Context) error {
	_, err := s.ClearExpiredCount(ctx)
	return err
}

// ClearExpiredCount is ClearExpired that also returns how many rows it
// deleted. It may delete many rows, so it is not bounded by the DB's
// operation Timeout, only by ctx and the server-side statement timeout
// (sqldb.Options.StatementTimeout on PostgreSQL and MySQL).
func (s *Store) ClearExpiredCount(ctx context.Context) (int64, error) {
	res, err := s.db.Write.ExecContext(ctx, s.q.clearExpired, s.d.TimeArg(s.now()))
	if err != nil {
		return 0, fmt.Errorf("dbstore: clear expired: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("dbstore: clear expired: %w", err)
	}
	return n, nil
}
