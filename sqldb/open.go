package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// Defaults of Options' zero values.
const (
	// DefaultMaxOpenConns is the PostgreSQL and MySQL pool size.
	DefaultMaxOpenConns = 10
	// DefaultSQLiteReaders is the size of SQLite's read pool.
	DefaultSQLiteReaders = 8
	// DefaultTimeout bounds one operation (DB.Context), the wait for a free
	// connection included.
	DefaultTimeout = 5 * time.Second
	// DefaultConnectTimeout bounds opening one connection (PostgreSQL
	// connect_timeout, MySQL's dial timeout).
	DefaultConnectTimeout = 5 * time.Second
	// DefaultConnMaxLifetime recycles PostgreSQL and MySQL connections, so
	// that a pool follows a fail-over and never meets the server's
	// wait_timeout.
	DefaultConnMaxLifetime = 30 * time.Minute
	// DefaultBusyTimeout is how long a SQLite writer waits for a lock held by
	// another process (busy_timeout).
	DefaultBusyTimeout = 5 * time.Second
)

// Options configure Open. The zero value gives the documented defaults;
// a negative duration turns that bound off.
type Options struct {
	// MaxOpenConns is the pool size on PostgreSQL and MySQL, and the size of
	// the read pool on SQLite (which always has exactly one writer
	// connection). Zero means DefaultMaxOpenConns, or DefaultSQLiteReaders.
	MaxOpenConns int
	// MaxIdleConns is how many idle connections a pool keeps. Zero means
	// MaxOpenConns.
	MaxIdleConns int
	// ConnMaxLifetime recycles PostgreSQL and MySQL connections. Zero means
	// DefaultConnMaxLifetime. SQLite connections are kept.
	ConnMaxLifetime time.Duration
	// Timeout is DB.Timeout: the deadline DB.Context gives one operation,
	// waiting for a free connection included. Zero means DefaultTimeout.
	Timeout time.Duration
	// ConnectTimeout bounds opening a connection: PostgreSQL's
	// connect_timeout (whole seconds, at least 1) and MySQL's dial timeout.
	// Zero means DefaultConnectTimeout. A value in the URL wins.
	ConnectTimeout time.Duration
	// StatementTimeout is enforced by the server or the socket, for the
	// cases a context cannot reach: PostgreSQL's statement_timeout and
	// MySQL's read and write timeouts (a stalled server connection is then
	// dropped). Zero means the operation Timeout. A value in the URL wins.
	StatementTimeout time.Duration
	// BusyTimeout is SQLite's busy_timeout: how long a writer waits for the
	// write lock held by another process. Zero means DefaultBusyTimeout.
	// It applies only when the URL has no query string of its own.
	BusyTimeout time.Duration
	// Lazy skips the ping: Open then does no I/O, and connections are made
	// on first use.
	Lazy bool
}

func orDefault(v, def time.Duration) time.Duration {
	if v == 0 {
		return def
	}
	return v
}

// DB is a database as the stores use it: its Dialect and two pools. Write
// runs everything that writes; Read runs queries that only read. On
// PostgreSQL and MySQL both are the same pool. On SQLite (from Open) Write
// is a single connection, so writers of this process queue in Go, in
// order, under their context's deadline, instead of spinning on
// SQLITE_BUSY; Read is a pool of query_only connections which, with the
// WAL journal, never wait for a writer, so reads keep answering while the
// file is locked.
//
// Build one with Open, or with New around a *sql.DB you opened yourself.
// A DB is safe for concurrent use; its fields must not change once it is in
// use.
type DB struct {
	Dialect Dialect
	Read    *sql.DB
	Write   *sql.DB
	// Timeout is the deadline Context gives an operation. Zero means
	// DefaultTimeout; negative means none (only the caller's context).
	Timeout time.Duration

	wal bool // Ping switches the SQLite file to WAL (Open's default settings)
}

// New returns a DB that runs reads and writes on db. On SQLite, open db
// with SQLitePragmas (or use Open, which also separates readers from the
// writer).
func New(db *sql.DB, d Dialect) *DB { return &DB{Dialect: d, Read: db, Write: db} }

// Validate reports a DB that stores cannot use.
func (db *DB) Validate() error {
	switch {
	case db == nil:
		return errors.New("sqldb: nil *DB")
	case !db.Dialect.Valid():
		return fmt.Errorf("sqldb: unknown dialect %v", db.Dialect)
	case db.Read == nil || db.Write == nil:
		return errors.New("sqldb: DB without a Read or Write pool")
	}
	return nil
}

// Context returns ctx bounded by db.Timeout, unless ctx already ends
// sooner. Stores call it around each operation, so that a frozen database
// or an exhausted pool costs at most the timeout.
func (db *DB) Context(ctx context.Context) (context.Context, context.CancelFunc) {
	t := orDefault(db.Timeout, DefaultTimeout)
	if t < 0 {
		return ctx, func() {}
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= t {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, t)
}

// PointContext is Context for a read of one row by its key (a session, a
// user, a token). On SQLite it returns ctx without its cancellation and
// without a timer: the database runs in the process, so such a read either
// ends within microseconds or waits for a lock, and busy_timeout
// (Options.BusyTimeout) already bounds that wait; the driver would otherwise
// start a goroutine per query to watch the context, which cost a point read
// about a third of its time and 14 allocations. On PostgreSQL and MySQL,
// where the read crosses a network, it is Context.
func (db *DB) PointContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if db.Dialect == SQLite {
		return context.WithoutCancel(ctx), func() {}
	}
	return db.Context(ctx)
}

// Close closes both pools.
func (db *DB) Close() error {
	err := db.Write.Close()
	if db.Read != db.Write {
		err = errors.Join(err, db.Read.Close())
	}
	return err
}

// Open opens the database at rawURL (see ParseURL) with opts and, unless
// opts.Lazy, checks that it answers.
func Open(ctx context.Context, rawURL string, opts Options) (*DB, error) {
	src, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	return src.Open(ctx, opts)
}

// Open opens the source with opts (see Open).
func (s Source) Open(ctx context.Context, opts Options) (*DB, error) {
	db := &DB{Dialect: s.Dialect, Timeout: opts.Timeout}
	var err error
	switch s.Dialect {
	case SQLite:
		err = s.openSQLite(db, opts)
	case Postgres:
		err = s.openPostgres(db, opts)
	case MySQL:
		err = s.openMySQL(db, opts)
	default:
		err = fmt.Errorf("sqldb: unknown dialect %v", s.Dialect)
	}
	if err != nil {
		return nil, err
	}
	if !opts.Lazy {
		if err := db.Ping(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

// Ping checks that both pools can connect, within db.Context's bound. On
// a SQLite database opened with Open's default settings it first switches
// the file to the WAL journal (a no-op once done: the mode is kept in the
// file); with Options.Lazy, call Ping before use.
func (db *DB) Ping(ctx context.Context) error {
	ctx, cancel := db.Context(ctx)
	defer cancel()
	if db.wal {
		if err := db.setWAL(ctx); err != nil {
			return fmt.Errorf("sqldb: %s unreachable: %w", db.Dialect, err)
		}
	}
	if err := db.Write.PingContext(ctx); err != nil {
		return fmt.Errorf("sqldb: %s unreachable: %w", db.Dialect, err)
	}
	if db.Read != db.Write {
		if err := db.Read.PingContext(ctx); err != nil {
			return fmt.Errorf("sqldb: %s unreachable: %w", db.Dialect, err)
		}
	}
	return nil
}

func pool(db *sql.DB, opts Options, size int, lifetime bool) {
	if opts.MaxOpenConns > 0 {
		size = opts.MaxOpenConns
	}
	idle := size
	if opts.MaxIdleConns > 0 {
		idle = min(opts.MaxIdleConns, size)
	}
	db.SetMaxOpenConns(size)
	db.SetMaxIdleConns(idle)
	if lifetime {
		if l := orDefault(opts.ConnMaxLifetime, DefaultConnMaxLifetime); l > 0 {
			db.SetConnMaxLifetime(l)
		}
	}
}

// openSQLite opens one writer connection and a pool of query_only readers.
//
// With the default settings no connection's parameters change the journal
// mode: Ping does, on the writer, retrying while SQLite answers
// SQLITE_BUSY. Switching a file to WAL needs an exclusive lock that SQLite
// takes without calling the busy handler, so when several connections (or
// processes) open a new file at once and each runs journal_mode=WAL as it
// connects, the losers fail at once, whatever busy_timeout says. That was
// the cause of TestCreateTablesConcurrently/sqlite failing about 1 run in
// 20.
func (s Source) openSQLite(db *DB, opts Options) error {
	query := s.Query
	readQuery := query + "&_pragma=query_only(1)"
	if query == SQLitePragmas {
		busy := "busy_timeout(" + strconv.FormatInt(max(orDefault(opts.BusyTimeout, DefaultBusyTimeout), 0).Milliseconds(), 10) + ")"
		query = strings.Replace(strings.Replace(query, "&_pragma=journal_mode(WAL)", "", 1), "busy_timeout(5000)", busy, 1)
		readQuery = strings.Replace(sqliteReaderPragmas, "busy_timeout(5000)", busy, 1)
		db.wal = !s.InMemory()
	}
	w, err := sql.Open("sqlite", s.Path+"?"+query)
	if err != nil {
		return fmt.Errorf("sqldb: open: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	db.Write, db.Read = w, w
	if s.InMemory() {
		return nil // one pool: a second one would be another database
	}
	r, err := sql.Open("sqlite", s.Path+"?"+readQuery)
	if err != nil {
		w.Close()
		return fmt.Errorf("sqldb: open: %w", err)
	}
	pool(r, opts, DefaultSQLiteReaders, false)
	db.Read = r
	return nil
}

func (s Source) openPostgres(db *DB, opts Options) error {
	u, err := url.Parse(s.DSN)
	if err != nil {
		return errors.New("sqldb: malformed PostgreSQL URL")
	}
	q := u.Query()
	if ct := orDefault(opts.ConnectTimeout, DefaultConnectTimeout); ct > 0 && !q.Has("connect_timeout") {
		q.Set("connect_timeout", strconv.FormatInt(max(int64((ct+time.Second-1)/time.Second), 1), 10))
	}
	if st := orDefault(opts.StatementTimeout, orDefault(opts.Timeout, DefaultTimeout)); st > 0 && !q.Has("statement_timeout") {
		q.Set("statement_timeout", strconv.FormatInt(max(st.Milliseconds(), 1), 10))
	}
	u.RawQuery = q.Encode()
	p, err := sql.Open("pgx", u.String())
	if err != nil {
		return fmt.Errorf("sqldb: open: %w", err)
	}
	pool(p, opts, DefaultMaxOpenConns, true)
	db.Read, db.Write = p, p
	return nil
}

func (s Source) openMySQL(db *DB, opts Options) error {
	cfg, err := mysql.ParseDSN(s.DSN)
	if err != nil {
		return errors.New("sqldb: malformed MySQL DSN")
	}
	if ct := orDefault(opts.ConnectTimeout, DefaultConnectTimeout); ct > 0 && cfg.Timeout == 0 {
		cfg.Timeout = ct
	}
	if st := orDefault(opts.StatementTimeout, orDefault(opts.Timeout, DefaultTimeout)); st > 0 {
		if cfg.ReadTimeout == 0 {
			cfg.ReadTimeout = st
		}
		if cfg.WriteTimeout == 0 {
			cfg.WriteTimeout = st
		}
	}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return fmt.Errorf("sqldb: open: %w", err)
	}
	p := sql.OpenDB(conn)
	pool(p, opts, DefaultMaxOpenConns, true)
	db.Read, db.Write = p, p
	return nil
}

// setWAL switches the SQLite file to the WAL journal on the writer,
// retrying while another connection holds the lock (see openSQLite).
func (db *DB) setWAL(ctx context.Context) error {
	for delay := time.Millisecond; ; delay = min(2*delay, 50*time.Millisecond) {
		var mode string
		err := db.Write.QueryRowContext(ctx, `PRAGMA journal_mode=WAL`).Scan(&mode)
		if err == nil {
			if mode != "wal" {
				return fmt.Errorf("journal_mode is %q, not wal", mode)
			}
			return nil
		}
		if !isBusy(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (%w)", err, ctx.Err())
		case <-time.After(delay):
		}
	}
}

// isBusy recognises SQLITE_BUSY (and its extended codes) from
// modernc.org/sqlite.
func isBusy(err error) bool {
	var lite interface{ Code() int }
	return errors.As(err, &lite) && lite.Code()&0xff == 5
}
