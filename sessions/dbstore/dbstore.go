package dbstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/dmr-go/dmr/internal/sqlstmt"
	"github.com/dmr-go/dmr/pyjson"
	"github.com/dmr-go/dmr/sessions"
)

// Dialect is the SQL database a Store talks to.
type Dialect int

const (
	// SQLite: modernc.org/sqlite (driver "sqlite") or any driver that passes
	// strings through unchanged.
	SQLite Dialect = iota + 1
	// Postgres: PostgreSQL through github.com/jackc/pgx/v5/stdlib (driver "pgx").
	Postgres
)

func (d Dialect) String() string {
	switch d {
	case SQLite:
		return "sqlite"
	case Postgres:
		return "postgres"
	}
	return "Dialect(" + strconv.Itoa(int(d)) + ")"
}

// MaxKeyLength is the length of django_session.session_key.
const MaxKeyLength = 40

// Options configure a Store.
type Options struct {
	// Dialect of the database. Required.
	Dialect Dialect
	// Codec encodes the session dict into session_data and back (Django's
	// signed JSON). Required.
	Codec sessions.Codec
	// Logger receives a warning when a row's session_data does not decode
	// (Django logs "Session data corrupted" and treats the session as empty).
	// Nil means slog.Default().
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now. For tests.
	Now func() time.Time
}

// Store is a sessions.Store on Django's django_session table. It is safe for
// concurrent use.
type Store struct {
	db     *sql.DB
	d      Dialect
	codec  sessions.Codec
	log    *slog.Logger
	now    func() time.Time
	q      queries
	closer bool // Close closes db

	stmts *sqlstmt.Cache
}

var _ sessions.Store = (*Store)(nil)

// New returns a Store on db. It does not create the table; call CreateTables.
func New(db *sql.DB, opts Options) (*Store, error) {
	if db == nil {
		return nil, errors.New("dbstore: nil *sql.DB")
	}
	if opts.Dialect != SQLite && opts.Dialect != Postgres {
		return nil, fmt.Errorf("dbstore: unknown dialect %v", opts.Dialect)
	}
	if opts.Codec == nil {
		return nil, errors.New("dbstore: Options.Codec is required")
	}
	s := &Store{db: db, d: opts.Dialect, codec: opts.Codec, log: opts.Logger, now: opts.Now, stmts: sqlstmt.New(db)}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.q = buildQueries(opts.Dialect)
	return s, nil
}

// DB returns the database the store uses.
func (s *Store) DB() *sql.DB { return s.db }

// Dialect returns the store's dialect.
func (s *Store) Dialect() Dialect { return s.d }

// Close releases the store's prepared statements and closes the database if
// the store opened it ([Open]). A Store that did not open its database leaves
// it open.
func (s *Store) Close() error {
	errs := []error{s.stmts.Close()}
	if s.closer {
		errs = append(errs, s.db.Close())
	}
	return errors.Join(errs...)
}

// stmt returns query prepared once per Store.
func (s *Store) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	return s.stmts.Get(ctx, query)
}

// queryRow runs a prepared single-row query.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) (*sql.Row, error) {
	st, err := s.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryRowContext(ctx, args...), nil
}

// exec runs a prepared statement.
func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := s.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

type queries struct {
	load, exists, insert, update, updateAny, deleteKey, clearExpired, scan string
}

func buildQueries(d Dialect) queries {
	expire := `expire_date`
	if d == SQLite {
		// No declared type on the expression: the driver returns the text
		// as stored instead of guessing a time format.
		expire = `CAST(expire_date AS TEXT)`
	}
	q := queries{
		load:         `SELECT session_data, ` + expire + ` FROM "django_session" WHERE session_key = ? AND expire_date > ?`,
		exists:       `SELECT 1 FROM "django_session" WHERE session_key = ?`,
		insert:       `INSERT INTO "django_session" (session_key, session_data, expire_date) VALUES (?, ?, ?) ON CONFLICT (session_key) DO NOTHING`,
		update:       `UPDATE "django_session" SET session_data = ?, expire_date = ? WHERE session_key = ? AND session_data = ?`,
		updateAny:    `UPDATE "django_session" SET session_data = ?, expire_date = ? WHERE session_key = ?`,
		deleteKey:    `DELETE FROM "django_session" WHERE session_key = ?`,
		clearExpired: `DELETE FROM "django_session" WHERE expire_date < ?`,
		scan:         `SELECT session_key, session_data FROM "django_session" WHERE session_key > ? ORDER BY session_key LIMIT ?`,
	}
	if d == Postgres {
		q.load = numberPlaceholders(q.load)
		q.exists = numberPlaceholders(q.exists)
		q.insert = numberPlaceholders(q.insert)
		q.update = numberPlaceholders(q.update)
		q.updateAny = numberPlaceholders(q.updateAny)
		q.deleteKey = numberPlaceholders(q.deleteKey)
		q.clearExpired = numberPlaceholders(q.clearExpired)
		q.scan = numberPlaceholders(q.scan)
	}
	return q
}

// numberPlaceholders turns ? into $1, $2… (no ? appears inside literals in
// this package's queries).
func numberPlaceholders(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// timeArg converts t to what the dialect stores in expire_date.
func (s *Store) timeArg(t time.Time) any {
	t = t.UTC().Truncate(time.Microsecond)
	if s.d == SQLite {
		return FormatSQLiteTime(t)
	}
	return t
}

// FormatSQLiteTime formats t as Django stores a datetime in SQLite with
// USE_TZ=True: str() of the naive UTC datetime, "2006-01-02 15:04:05" plus
// ".ffffff" when the microseconds are not zero. Nanoseconds are truncated.
func FormatSQLiteTime(t time.Time) string {
	t = t.UTC()
	s := t.Format("2006-01-02 15:04:05")
	if us := t.Nanosecond() / 1000; us != 0 {
		s += fmt.Sprintf(".%06d", us)
	}
	return s
}

// ParseSQLiteTime parses a datetime as Django stores it in SQLite (see
// FormatSQLiteTime) as UTC. It also accepts a "T" separator, 1 to 9 fraction
// digits and a trailing "+00:00" or "Z".
func ParseSQLiteTime(s string) (time.Time, error) {
	v := strings.Replace(s, "T", " ", 1)
	v = strings.TrimSuffix(strings.TrimSuffix(v, "Z"), "+00:00")
	t, err := time.ParseInLocation("2006-01-02 15:04:05.999999999", v, time.UTC)
	if err != nil {
		return time.Time{}, fmt.Errorf("dbstore: bad SQLite datetime %q", s)
	}
	return t, nil
}

func validKey(key string) bool { return key != "" && len(key) <= MaxKeyLength }

// Load returns the live session under key. A row whose session_data does not
// decode gives an empty session (as in Django) whose Version is still the
// stored text, and a warning in the log.
func (s *Store) Load(ctx context.Context, key string) (sessions.Record, error) {
	if !validKey(key) {
		return sessions.Record{}, sessions.ErrNotFound
	}
	data, expiry, err := s.loadRow(ctx, key)
	if err != nil {
		return sessions.Record{}, err
	}
	obj, derr := s.codec.Decode(data)
	if derr != nil {
		s.log.WarnContext(ctx, "Session data corrupted", "store", "db", "error", derr)
		obj = pyjson.NewObject(0)
	}
	return sessions.Record{Key: key, Data: obj, Expiry: expiry, Version: data}, nil
}

func scanTime(v any) (time.Time, error) {
	switch v := v.(type) {
	case time.Time:
		return v.UTC(), nil
	case string:
		return ParseSQLiteTime(v)
	case []byte:
		return ParseSQLiteTime(string(v))
	}
	return time.Time{}, fmt.Errorf("dbstore: unexpected expire_date value of type %T", v)
}

// Create inserts a new row; sessions.ErrKeyExists when the key is taken.
func (s *Store) Create(ctx context.Context, r sessions.Record) (string, error) {
	if !validKey(r.Key) {
		return "", fmt.Errorf("dbstore: create: invalid session key (1 to %d characters)", MaxKeyLength)
	}
	data, err := s.codec.Encode(r.Data)
	if err != nil {
		return "", fmt.Errorf("dbstore: encode: %w", err)
	}
	res, err := s.exec(ctx, s.q.insert, r.Key, data, s.timeArg(r.Expiry))
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
// r.Version (any row when r.Version is empty). See the package documentation.
func (s *Store) Save(ctx context.Context, r sessions.Record) (string, error) {
	if !validKey(r.Key) {
		return "", sessions.ErrNotFound
	}
	data, err := s.codec.Encode(r.Data)
	if err != nil {
		return "", fmt.Errorf("dbstore: encode: %w", err)
	}
	if err := s.SaveEncoded(ctx, r.Key, data, r.Expiry, r.Version); err != nil {
		return "", err
	}
	return data, nil
}

// SaveEncoded is Save for session_data that is already encoded: it writes data
// under key if the stored session_data equals version (any row when version
// is empty). Stores layered on this one (cached_db) use it.
func (s *Store) SaveEncoded(ctx context.Context, key, data string, expiry time.Time, version string) error {
	var res sql.Result
	var err error
	if version == "" {
		res, err = s.exec(ctx, s.q.updateAny, data, s.timeArg(expiry), key)
	} else {
		res, err = s.exec(ctx, s.q.update, data, s.timeArg(expiry), key, version)
	}
	if err != nil {
		return fmt.Errorf("dbstore: save: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("dbstore: save: %w", err)
	}
	if n > 0 {
		return nil
	}
	if version == "" {
		return sessions.ErrNotFound
	}
	ok, err := s.rowExists(ctx, key)
	if err != nil {
		return err
	}
	if ok {
		return sessions.ErrConflict
	}
	return sessions.ErrNotFound
}

// LoadEncoded returns the live row's session_data and expiry without
// decoding it; sessions.ErrNotFound when there is none.
func (s *Store) LoadEncoded(ctx context.Context, key string) (data string, expiry time.Time, err error) {
	if !validKey(key) {
		return "", time.Time{}, sessions.ErrNotFound
	}
	return s.loadRow(ctx, key)
}

// loadRow reads the live row under a valid key.
func (s *Store) loadRow(ctx context.Context, key string) (data string, expiry time.Time, err error) {
	row, err := s.queryRow(ctx, s.q.load, key, s.timeArg(s.now()))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("dbstore: load: %w", err)
	}
	var exp any
	err = row.Scan(&data, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, sessions.ErrNotFound
	}
	if err != nil {
		return "", time.Time{}, fmt.Errorf("dbstore: load: %w", err)
	}
	expiry, err = scanTime(exp)
	return data, expiry, err
}

// Codec returns the store's codec.
func (s *Store) Codec() sessions.Codec { return s.codec }

func (s *Store) rowExists(ctx context.Context, key string) (bool, error) {
	row, err := s.queryRow(ctx, s.q.exists, key)
	if err != nil {
		return false, fmt.Errorf("dbstore: exists: %w", err)
	}
	var one int
	err = row.Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("dbstore: exists: %w", err)
	}
	return true, nil
}

// Delete removes the row under key; a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if !validKey(key) {
		return nil
	}
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
	return s.rowExists(ctx, key)
}

// ClearExpired deletes the rows whose expire_date has passed (Django's
// clear_expired / clearsessions).
func (s *Store) ClearExpired(ctx context.Context) error {
	_, err := s.ClearExpiredCount(ctx)
	return err
}

// ClearExpiredCount is ClearExpired that also returns how many rows it
// deleted.
func (s *Store) ClearExpiredCount(ctx context.Context) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.q.clearExpired, s.timeArg(s.now()))
	if err != nil {
		return 0, fmt.Errorf("dbstore: clear expired: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("dbstore: clear expired: %w", err)
	}
	return n, nil
}
