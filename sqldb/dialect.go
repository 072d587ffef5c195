package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
)

// Dialect is the SQL database on the other end of a *sql.DB.
type Dialect int

const (
	// SQLite through modernc.org/sqlite (driver "sqlite", no cgo).
	SQLite Dialect = iota + 1
	// Postgres is PostgreSQL through github.com/jackc/pgx/v5/stdlib (driver
	// "pgx").
	Postgres
	// MySQL is MySQL 8 or MariaDB 10.x/11.x through
	// github.com/go-sql-driver/mysql (driver "mysql").
	MySQL
)

// String returns "sqlite", "postgres" or "mysql".
func (d Dialect) String() string {
	switch d {
	case SQLite:
		return "sqlite"
	case Postgres:
		return "postgres"
	case MySQL:
		return "mysql"
	}
	return "Dialect(" + strconv.Itoa(int(d)) + ")"
}

// Valid reports whether d is one of the three dialects.
func (d Dialect) Valid() bool { return d == SQLite || d == Postgres || d == MySQL }

// Quote returns name as a quoted identifier: "name" on SQLite and
// PostgreSQL, `name` on MySQL (which treats "…" as a string unless
// ANSI_QUOTES is on), with the quote character doubled inside, as Django's
// quote_name does.
func (d Dialect) Quote(name string) string {
	q := `"`
	if d == MySQL {
		q = "`"
	}
	return q + strings.ReplaceAll(name, q, q+q) + q
}

// Rebind rewrites the ? placeholders of query for d: $1, $2… on PostgreSQL,
// unchanged elsewhere. A ? inside a quoted string ('…'), a quoted
// identifier ("…", `…`) or a comment is left alone.
func (d Dialect) Rebind(query string) string {
	if d != Postgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch c {
		case '\'', '"', '`':
			j := i + 1
			for j < len(query) && query[j] != c {
				j++
			}
			if j == len(query) {
				j-- // unterminated: copy to the end
			}
			b.WriteString(query[i : j+1])
			i = j
		case '-':
			if i+1 < len(query) && query[i+1] == '-' {
				j := strings.IndexByte(query[i:], '\n')
				if j < 0 {
					j = len(query) - i - 1
				}
				b.WriteString(query[i : i+j+1])
				i += j
				continue
			}
			b.WriteByte(c)
		case '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Placeholders returns n comma-separated parameters for d, numbered from
// first on PostgreSQL ($first, $first+1…) and ? elsewhere: the list of an
// IN (…) clause.
func (d Dialect) Placeholders(first, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		if d == Postgres {
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(first + i))
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}

// HasReturning reports whether INSERT … RETURNING may be used: SQLite
// (3.35+) and PostgreSQL. MySQL 8 has no RETURNING (MariaDB has, since
// 10.5), so MySQL code reads LastInsertId instead; [Dialect.InsertID] does
// the right one.
func (d Dialect) HasReturning() bool { return d == SQLite || d == Postgres }

// Querier is what InsertID needs: *sql.DB, *sql.Tx and *sql.Conn have it.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// InsertID runs insert (an INSERT with ? placeholders and no RETURNING
// clause) and returns the integer key the database generated for column:
// through "RETURNING column" on SQLite and PostgreSQL, through the
// connection's LAST_INSERT_ID() on MySQL and MariaDB, as Django does for
// AutoField and BigAutoField.
func (d Dialect) InsertID(ctx context.Context, q Querier, insert, column string, args ...any) (int64, error) {
	if d.HasReturning() {
		var id int64
		err := q.QueryRowContext(ctx, d.Rebind(insert)+" RETURNING "+d.Quote(column), args...).Scan(&id)
		return id, err
	}
	res, err := q.ExecContext(ctx, insert, args...)
	if err != nil {
		return 0, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("sqldb: last insert id: %w", err)
	}
	return id, nil
}
