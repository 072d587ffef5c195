package userdb

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// The dialect-specific pieces beyond SQLite and PostgreSQL.

func otherDialect(d Dialect) bool { return false }

func quoteOther(d Dialect, name string) string { return `"` + name + `"` }

func readColumnsOther(ctx context.Context, db *sql.DB, d Dialect, table string) (*sql.Rows, error) {
	return nil, fmt.Errorf("unsupported dialect %v", d)
}

func timeArgOther(d Dialect, t time.Time) any { return t }

func isUniqueOther(err error) bool { return false }

// insertReturning reports whether INSERT … RETURNING gives the new key.
func (s *Store) insertReturning() bool { return s.d == SQLite || s.d == Postgres }
