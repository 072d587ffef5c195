package dbstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// SQLitePragmas is the query string OpenDB appends to a SQLite path: WAL
// journal, 5 s busy timeout, synchronous=NORMAL and BEGIN IMMEDIATE
// transactions (see the package documentation).
const SQLitePragmas = "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"

// ParseURL maps a database URL to a database/sql driver name, data source
// name and Dialect:
//
//	sqlite:PATH, sqlite://PATH, sqlite:///ABS/PATH  → "sqlite", PATH?SQLitePragmas
//	postgres://…, postgresql://…                      → "pgx", the URL unchanged
//
// A query string on a sqlite URL is passed to the driver instead of
// SQLitePragmas (modernc.org/sqlite parameters such as _pragma=…).
func ParseURL(rawURL string) (driver, dsn string, d Dialect, err error) {
	switch {
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		if _, err := url.Parse(rawURL); err != nil {
			// url.Error repeats the URL, password included: do not wrap it.
			return "", "", 0, errors.New("dbstore: malformed PostgreSQL URL")
		}
		return "pgx", rawURL, Postgres, nil
	case strings.HasPrefix(rawURL, "sqlite:"):
		rest := strings.TrimPrefix(rawURL, "sqlite:")
		if strings.HasPrefix(rest, "//") {
			rest = rest[2:] // sqlite://rel/path, sqlite:///abs/path
		}
		path, query, _ := strings.Cut(rest, "?")
		if path == "" {
			return "", "", 0, fmt.Errorf("dbstore: sqlite URL %q has no path", rawURL)
		}
		if query == "" {
			query = SQLitePragmas
		}
		return "sqlite", path + "?" + query, SQLite, nil
	}
	return "", "", 0, fmt.Errorf("dbstore: unsupported database URL %s (want sqlite:PATH or postgres://…)", redact(rawURL))
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

// OpenDB opens and pings the database at rawURL (see ParseURL).
func OpenDB(ctx context.Context, rawURL string) (*sql.DB, Dialect, error) {
	driver, dsn, d, err := ParseURL(rawURL)
	if err != nil {
		return nil, 0, err
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, 0, fmt.Errorf("dbstore: open: %w", err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, 0, fmt.Errorf("dbstore: open %s: %w", d, err)
	}
	return db, d, nil
}

// Open opens the database at rawURL (see ParseURL) and returns a Store on it
// that closes the database on Close. opts.Dialect is set from the URL.
func Open(ctx context.Context, rawURL string, opts Options) (*Store, error) {
	db, d, err := OpenDB(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	opts.Dialect = d
	s, err := New(db, opts)
	if err != nil {
		db.Close()
		return nil, err
	}
	s.closer = true
	return s, nil
}
