package loginthrottle

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/sqldb"
)

// Table is the SQL table of the counters.
const Table = "dmr_login_failure"

// SQLOptions configures an [SQLStore].
type SQLOptions struct {
	// Now is the clock; nil means time.Now. Every instance sharing the
	// table must have a roughly synchronised clock (expiry is stored as a
	// Unix time in milliseconds).
	Now func() time.Time
}

// SQLStore keeps counters in the dmr_login_failure table: one row per
// counter with its count and the Unix millisecond it expires at. Expired
// rows count as absent and restart from zero on the next failure; they are
// deleted, at most once a minute per store, by a later failure.
//
// The statements are plain SQL apart from the upsert, the one statement
// that differs between dialects; each uses its arguments once, in order, so
// sqldb.Dialect.Rebind fits them to every dialect. They run on the
// database's Write pool, each under its per-operation deadline
// (sqldb.DB.Context): a frozen or locked database answers within it, as
// apierror.ErrUnavailable (503).
type SQLStore struct {
	db        *sqldb.DB
	now       func() time.Time
	stmts     *sqldb.StmtCache
	q         sqlQueries
	lastSweep atomic.Int64 // Unix ms
}

type sqlQueries struct {
	create, add, sub, get, count, reset, sweep string
}

// sweepInterval bounds how often Add deletes expired rows.
const sweepInterval = time.Minute

// NewSQLStore returns an SQLStore on db. Create the table with CreateTable
// (the example's migrate command does).
func NewSQLStore(db *sqldb.DB, o SQLOptions) (*SQLStore, error) {
	if db == nil {
		return nil, errors.New("loginthrottle: nil database")
	}
	if err := db.Validate(); err != nil {
		return nil, fmt.Errorf("loginthrottle: %w", err)
	}
	q := sqlQueries{
		create: `CREATE TABLE IF NOT EXISTS ` + Table + ` (login_key varchar(200) NOT NULL PRIMARY KEY, failures integer NOT NULL, expires_ms bigint NOT NULL)`,
		sub:    `UPDATE ` + Table + ` SET failures = failures - 1 WHERE login_key = ? AND expires_ms > ? AND failures > 0`,
		get:    `SELECT failures FROM ` + Table + ` WHERE login_key = ? AND expires_ms > ?`,
		count:  `SELECT failures, expires_ms FROM ` + Table + ` WHERE login_key = ? AND expires_ms > ? AND failures > 0`,
		reset:  `DELETE FROM ` + Table + ` WHERE login_key = ?`,
		sweep:  `DELETE FROM ` + Table + ` WHERE expires_ms <= ?`,
	}
	// Arguments: the key, the new expiry, now; an expired row restarts at 1.
	switch db.Dialect {
	case sqldb.MySQL:
		// The assignments read the row's old values left to right.
		q.add = `INSERT INTO ` + Table + ` (login_key, failures, expires_ms) VALUES (?, 1, ?) ` +
			`ON DUPLICATE KEY UPDATE failures = IF(expires_ms <= ?, 1, failures + 1), expires_ms = VALUES(expires_ms)`
	case sqldb.SQLite, sqldb.Postgres:
		q.add = `INSERT INTO ` + Table + ` (login_key, failures, expires_ms) VALUES (?, 1, ?) ` +
			`ON CONFLICT (login_key) DO UPDATE SET ` +
			`failures = CASE WHEN ` + Table + `.expires_ms <= ? THEN 1 ELSE ` + Table + `.failures + 1 END, ` +
			`expires_ms = excluded.expires_ms`
	default:
		return nil, fmt.Errorf("loginthrottle: unsupported dialect %v", db.Dialect)
	}
	for _, p := range []*string{&q.add, &q.sub, &q.get, &q.count, &q.reset, &q.sweep} {
		*p = db.Dialect.Rebind(*p)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &SQLStore{db: db, now: o.Now, stmts: sqldb.NewStmtCache(db.Write), q: q}, nil
}

// CreateTable creates the table if it is missing.
func (s *SQLStore) CreateTable(ctx context.Context) error {
	if _, err := s.db.Write.ExecContext(ctx, s.q.create); err != nil {
		return fmt.Errorf("loginthrottle: create %s: %w", Table, err)
	}
	return nil
}

// Close releases the prepared statements; it does not close the database.
func (s *SQLStore) Close() error { return s.stmts.Close() }

func (s *SQLStore) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	st, err := s.stmts.Get(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("loginthrottle: %w", err)
	}
	return st, nil
}

// Add implements Store. The write and the read of the new count are two
// statements: concurrent failures may each read a count that includes the
// others', which only makes the lock apply sooner.
func (s *SQLStore) Add(ctx0 context.Context, key string, delta int64, ttl time.Duration) (n int64, err error) {
	ctx, cancel := s.db.Context(ctx0)
	defer func() { err = apierror.MarkUnavailableCtx(ctx, err); cancel() }()
	if delta != 1 && delta != -1 {
		return 0, fmt.Errorf("loginthrottle: delta %d: want 1 or -1", delta)
	}
	now := s.now().UnixMilli()
	q, args := s.q.add, []any{key, now + ttl.Milliseconds(), now}
	if delta < 0 {
		q, args = s.q.sub, []any{key, now}
	}
	st, err := s.stmt(ctx, q)
	if err != nil {
		return 0, err
	}
	if _, err := st.ExecContext(ctx, args...); err != nil {
		return 0, fmt.Errorf("loginthrottle: %w", err)
	}
	if st, err = s.stmt(ctx, s.q.get); err != nil {
		return 0, err
	}
	switch err := st.QueryRowContext(ctx, key, now).Scan(&n); {
	case errors.Is(err, sql.ErrNoRows):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("loginthrottle: %w", err)
	}
	s.maybeSweep(ctx, now)
	return n, nil
}

// maybeSweep deletes expired rows when the last sweep is a minute old. A
// failed sweep is retried a minute later; it never fails the Add.
func (s *SQLStore) maybeSweep(ctx context.Context, now int64) {
	last := s.lastSweep.Load()
	if now-last < sweepInterval.Milliseconds() || !s.lastSweep.CompareAndSwap(last, now) {
		return
	}
	if st, err := s.stmt(ctx, s.q.sweep); err == nil {
		_, _ = st.ExecContext(ctx, now)
	}
}

// Count implements Store.
func (s *SQLStore) Count(ctx0 context.Context, key string) (n int64, left time.Duration, err error) {
	ctx, cancel := s.db.Context(ctx0)
	defer func() { err = apierror.MarkUnavailableCtx(ctx, err); cancel() }()
	now := s.now().UnixMilli()
	st, err := s.stmt(ctx, s.q.count)
	if err != nil {
		return 0, 0, err
	}
	var exp int64
	switch err := st.QueryRowContext(ctx, key, now).Scan(&n, &exp); {
	case errors.Is(err, sql.ErrNoRows):
		return 0, 0, nil
	case err != nil:
		return 0, 0, fmt.Errorf("loginthrottle: %w", err)
	}
	return n, time.Duration(exp-now) * time.Millisecond, nil
}

// Reset implements Store.
func (s *SQLStore) Reset(ctx0 context.Context, key string) (err error) {
	ctx, cancel := s.db.Context(ctx0)
	defer func() { err = apierror.MarkUnavailableCtx(ctx, err); cancel() }()
	st, err := s.stmt(ctx, s.q.reset)
	if err != nil {
		return err
	}
	if _, err := st.ExecContext(ctx, key); err != nil {
		return fmt.Errorf("loginthrottle: %w", err)
	}
	return nil
}
