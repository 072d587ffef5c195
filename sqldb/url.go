package sqldb

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// SQLitePragmas is the driver query string Open gives SQLite's writer
// connection when the URL has none: a busy timeout (replaced by
// Options.BusyTimeout), the WAL journal, synchronous=NORMAL (safe with WAL:
// a power loss may roll back the last transactions, never corrupt) and
// BEGIN IMMEDIATE transactions (a transaction takes the write lock when it
// starts, so it never fails upgrading a read lock).
const SQLitePragmas = "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"

// sqliteReaderPragmas is the query string of SQLite's read pool: the busy
// timeout (for the moments a checkpoint or a journal-mode change holds the
// file) and query_only, so that a reader can never take the write lock.
const sqliteReaderPragmas = "_pragma=busy_timeout(5000)&_pragma=query_only(1)"

// Source is a parsed database URL: what to hand database/sql.
type Source struct {
	Dialect Dialect
	// Driver is the database/sql driver name: "sqlite", "pgx" or "mysql".
	Driver string
	// DSN is the driver's data source name. It may hold a password: never
	// log or print it.
	DSN string
	// Path is the SQLite database file ("" for other dialects; ":memory:"
	// or a file: URI for in-memory databases).
	Path string
	// Query is the SQLite driver parameters of the URL, or SQLitePragmas.
	Query string
}

// InMemory reports whether the source is an in-memory SQLite database
// (":memory:" or a mode=memory URI), which exists only inside one
// connection pool.
func (s Source) InMemory() bool {
	if s.Dialect != SQLite {
		return false
	}
	p := strings.TrimPrefix(s.Path, "file:")
	return p == ":memory:" || strings.HasPrefix(p, ":memory:") || strings.Contains(s.Query, "mode=memory") || strings.Contains(s.Path, "mode=memory")
}

// ParseURL maps a database URL to a driver and data source name:
//
//	sqlite:PATH, sqlite://PATH, sqlite:///ABS/PATH   → "sqlite", PATH?SQLitePragmas
//	postgres://…, postgresql://…                     → "pgx", the URL unchanged (libpq's URL syntax)
//	mysql://USER[:PASS]@HOST[:PORT]/DB[?PARAMS]      → "mysql", a go-sql-driver/mysql DSN
//
// A query string on a sqlite URL replaces SQLitePragmas (modernc.org/sqlite
// parameters such as _pragma=…). On mysql URLs the port defaults to 3306,
// user name and password are URL-unescaped, and PARAMS are
// go-sql-driver/mysql DSN parameters (tls=true, charset=…, …); ParseURL
// always sets parseTime=true with loc=UTC (datetime(6) columns hold naive
// UTC, as Django's MySQL backend writes them under USE_TZ) and
// clientFoundRows=true (an UPDATE reports the rows it matched, as Django's
// backend asks, not only the rows whose values changed).
//
// Errors never repeat a password.
func ParseURL(rawURL string) (Source, error) {
	switch {
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		if _, err := url.Parse(rawURL); err != nil {
			// url.Error repeats the URL, password included: do not wrap it.
			return Source{}, errors.New("sqldb: malformed PostgreSQL URL")
		}
		return Source{Dialect: Postgres, Driver: "pgx", DSN: rawURL}, nil
	case strings.HasPrefix(rawURL, "mysql://"):
		dsn, err := mysqlDSN(rawURL)
		if err != nil {
			return Source{}, err
		}
		return Source{Dialect: MySQL, Driver: "mysql", DSN: dsn}, nil
	case strings.HasPrefix(rawURL, "sqlite:"):
		rest := strings.TrimPrefix(rawURL, "sqlite:")
		if strings.HasPrefix(rest, "//") {
			rest = rest[2:] // sqlite://rel/path, sqlite:///abs/path
		}
		path, query, _ := strings.Cut(rest, "?")
		if path == "" {
			return Source{}, fmt.Errorf("sqldb: sqlite URL %q has no path", rawURL)
		}
		if query == "" {
			query = SQLitePragmas
		}
		return Source{Dialect: SQLite, Driver: "sqlite", DSN: path + "?" + query, Path: path, Query: query}, nil
	}
	return Source{}, fmt.Errorf("sqldb: unsupported database URL %s (want sqlite:PATH, postgres://… or mysql://…)", redact(rawURL))
}

// mysqlDSN turns mysql://USER[:PASS]@HOST[:PORT]/DB[?PARAMS] into a
// go-sql-driver/mysql DSN.
func mysqlDSN(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", errors.New("sqldb: malformed MySQL URL")
	}
	if u.User == nil || u.User.Username() == "" {
		return "", errors.New("sqldb: MySQL URL has no user (want mysql://USER[:PASS]@HOST[:PORT]/DB)")
	}
	if u.Hostname() == "" {
		return "", errors.New("sqldb: MySQL URL has no host (want mysql://USER[:PASS]@HOST[:PORT]/DB)")
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" || strings.Contains(name, "/") {
		return "", errors.New("sqldb: MySQL URL needs one database name as its path (mysql://USER[:PASS]@HOST[:PORT]/DB)")
	}
	if u.Fragment != "" {
		return "", errors.New("sqldb: MySQL URL has a #fragment")
	}
	port := u.Port()
	if port == "" {
		port = "3306"
	}
	cfg := mysql.NewConfig()
	cfg.User = u.User.Username()
	cfg.Passwd, _ = u.User.Password()
	cfg.Net = "tcp"
	cfg.Addr = net.JoinHostPort(u.Hostname(), port)
	cfg.DBName = name
	dsn := cfg.FormatDSN()
	if u.RawQuery != "" {
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		dsn += sep + u.RawQuery
	}
	parsed, err := mysql.ParseDSN(dsn)
	if err != nil {
		msg := err.Error()
		if cfg.Passwd != "" {
			msg = strings.ReplaceAll(msg, cfg.Passwd, "xxxxx")
		}
		return "", fmt.Errorf("sqldb: bad MySQL URL parameters: %s", msg)
	}
	parsed.ParseTime = true
	parsed.Loc = time.UTC
	parsed.ClientFoundRows = true
	return parsed.FormatDSN(), nil
}

// redact returns what an error message may show of an unsupported URL: its
// scheme only, since the rest may hold a password.
func redact(s string) string {
	scheme, _, ok := strings.Cut(s, ":")
	if !ok || len(scheme) > 20 || strings.ContainsAny(scheme, "/@?#") {
		return "(unrecognised)"
	}
	return scheme + ":…"
}
