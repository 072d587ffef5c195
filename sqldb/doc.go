// Package sqldb is dmr's database plumbing, shared by the session store
// (sessions/dbstore), the user store (auth/userdb) and applications: the
// three dialects (SQLite, PostgreSQL, MySQL/MariaDB), database URLs,
// opening pools with bounded waits, identifier quoting and placeholders,
// datetimes and UUIDs as Django stores them, unique-violation detection, a
// prepared-statement cache and table creation that is safe under
// concurrency.
//
// # URLs and drivers
//
//	sqlite:PATH                        modernc.org/sqlite (driver "sqlite", no cgo)
//	postgres://…, postgresql://…       github.com/jackc/pgx/v5/stdlib (driver "pgx")
//	mysql://USER[:PASS]@HOST[:PORT]/DB github.com/go-sql-driver/mysql (driver "mysql")
//
// Importing sqldb registers the three drivers. Errors about a URL never
// repeat its password.
//
// # Pools and bounded waits
//
// [Open] returns a [DB]: a Dialect and a Read and a Write pool. On
// PostgreSQL and MySQL they are one pool of Options.MaxOpenConns
// connections (default 10). On SQLite the writer is one connection (the
// writers of the process queue for it in Go, each under its own context)
// and the readers are a separate pool of query_only connections; with the
// WAL journal a reader never waits for a writer, even while another process
// holds the write lock.
//
// Every wait is bounded: [DB.Context] gives an operation Options.Timeout
// (default 5 s) unless its context ends sooner, and database/sql gives up
// waiting for a free pool connection when that context ends. PostgreSQL
// gets connect_timeout and statement_timeout, MySQL dial, read and write
// timeouts, SQLite busy_timeout (see [Options] for each default). On
// SQLite, reads of one row by key use [DB.PointContext] instead: no
// deadline and no cancellation, busy_timeout bounding their only wait (a
// lock), and a wait for a free reader connection that lasts as long as the
// readers ahead take — microseconds for such reads.
//
// # SQLite settings
//
// The writer uses journal_mode=WAL, busy_timeout=5000 (a writer waits up to
// 5 s for a lock held by another process instead of failing with
// SQLITE_BUSY), synchronous=NORMAL and _txlock=immediate (see
// [SQLitePragmas]). Only the writer sets the journal mode: when several
// connections open a new file at once and each tries to switch it to WAL,
// SQLite answers the losers SQLITE_BUSY at once, busy timeout or not.
// Django's SQLite backend sets none of these but works on a WAL database.
//
// # Values as Django stores them
//
// Datetimes (USE_TZ=True) are naive UTC text "YYYY-MM-DD HH:MM:SS[.ffffff]"
// on SQLite (compared as text, so the shape matters) and in MySQL's
// datetime(6), and timestamptz on PostgreSQL; see [Dialect.TimeArg],
// [ScanTime] and [NullTime]. UUIDField values are char(32) hex or native
// uuid depending on database and Django version; [UUID] reads every form
// and [Dialect.UUIDArg] writes Django's. Integer keys come back through
// RETURNING on SQLite and PostgreSQL and through LAST_INSERT_ID() on MySQL
// ([Dialect.InsertID]).
//
// Queries are written once with ? placeholders and quoted with
// [Dialect.Quote] ("…" or `…`); [Dialect.Rebind] numbers them for
// PostgreSQL.
package sqldb
