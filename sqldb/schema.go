package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
	"time"
)

// Table is one table as its owner's migration creates it, in one dialect.
type Table struct {
	// Name is the table name, unquoted.
	Name string
	// Create is the CREATE TABLE statement, verbatim (no IF NOT EXISTS, so
	// that it reads exactly as Django's migration writes it).
	Create string
	// Alter are statements run right after Create, only when Create ran
	// (Django's deferred "ALTER TABLE … ADD CONSTRAINT … FOREIGN KEY" on
	// PostgreSQL and MySQL, which have no IF NOT EXISTS for constraints).
	Alter []string
	// Indexes are created after the table, each when an index of that name
	// is missing.
	Indexes []Index
}

// Index is one CREATE INDEX statement and the index name it creates.
type Index struct {
	Name   string
	Create string
}

// CreateTables creates the tables and indexes that are missing and leaves
// the ones that exist alone (a database Django migrated, or a concurrent
// caller's work). It is safe to call concurrently, from one process or
// many, under the name lock:
//
//	PostgreSQL: one transaction holding pg_advisory_xact_lock(hash(lock))
//	MySQL:      GET_LOCK('dmr:'+lock) on one connection (MySQL commits each
//	            DDL statement by itself, so there is no transaction to hold)
//	SQLite:     one BEGIN IMMEDIATE transaction on the Write pool, which
//	            holds the database's write lock from its start
//
// Existence is read from the catalogue (sqlite_master, to_regclass,
// information_schema) under the lock, so MySQL 8, which has no CREATE INDEX
// IF NOT EXISTS, is covered too. The wait for the lock ends with ctx.
func (db *DB) CreateTables(ctx context.Context, lock string, tables ...Table) error {
	if err := db.Validate(); err != nil {
		return err
	}
	if err := db.createTables(ctx, lock, tables); err != nil {
		return fmt.Errorf("sqldb: create tables: %w", err)
	}
	return nil
}

func (db *DB) createTables(ctx context.Context, lock string, tables []Table) error {
	switch db.Dialect {
	case MySQL:
		return db.createTablesMySQL(ctx, lock, tables)
	case SQLite:
		return db.createTablesSQLite(ctx, tables)
	}
	tx, err := db.Write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, lockKey(lock)); err != nil {
		return err
	}
	if err := db.createMissing(ctx, tx, tables); err != nil {
		return err
	}
	return tx.Commit()
}

// createTablesSQLite runs BEGIN IMMEDIATE itself, whatever the pool's
// _txlock: a deferred transaction that read the catalogue and then writes
// would fail with SQLITE_BUSY (no busy wait) when another writer committed
// in between.
func (db *DB) createTablesSQLite(ctx context.Context, tables []Table) (err error) {
	conn, err := db.Write.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`) //nolint:errcheck // the error that matters is err
		}
	}()
	if err := db.createMissing(ctx, conn, tables); err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, `COMMIT`)
	return err
}

func (db *DB) createTablesMySQL(ctx context.Context, lock string, tables []Table) error {
	conn, err := db.Write.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	wait := 30 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		wait = time.Until(dl)
	}
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, `SELECT GET_LOCK(?, ?)`, "dmr:"+lock, max(int64(wait/time.Second), 1)).Scan(&got); err != nil {
		return err
	}
	if !got.Valid || got.Int64 != 1 {
		return fmt.Errorf("lock %q not granted within %v", "dmr:"+lock, wait.Round(time.Second))
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `DO RELEASE_LOCK(?)`, "dmr:"+lock) //nolint:errcheck // closing the connection releases it too
	return db.createMissing(ctx, conn, tables)
}

// execer is *sql.Tx or *sql.Conn.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (db *DB) createMissing(ctx context.Context, x execer, tables []Table) error {
	for _, t := range tables {
		ok, err := db.exists(ctx, x, "table", t.Name, "")
		if err != nil {
			return err
		}
		if !ok {
			if _, err := x.ExecContext(ctx, t.Create); err != nil {
				return err
			}
			for _, a := range t.Alter {
				if _, err := x.ExecContext(ctx, a); err != nil {
					return err
				}
			}
		}
		for _, ix := range t.Indexes {
			ok, err := db.exists(ctx, x, "index", ix.Name, t.Name)
			if err != nil {
				return err
			}
			if !ok {
				if _, err := x.ExecContext(ctx, ix.Create); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// exists looks a table or index up in the catalogue.
func (db *DB) exists(ctx context.Context, x execer, kind, name, table string) (bool, error) {
	var n int
	var err error
	switch db.Dialect {
	case SQLite:
		err = x.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = ? AND name = ?`, kind, name).Scan(&n)
	case Postgres:
		err = x.QueryRowContext(ctx, `SELECT count(to_regclass($1))`, db.Dialect.Quote(name)).Scan(&n)
	case MySQL:
		if kind == "table" {
			err = x.QueryRowContext(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?`, name).Scan(&n)
		} else {
			err = x.QueryRowContext(ctx, `SELECT count(*) FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = ? AND index_name = ?`, table, name).Scan(&n)
		}
	}
	return n > 0, err
}

// lockKey is the PostgreSQL advisory lock key of a lock name.
func lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("dmr:" + name))
	return int64(h.Sum64())
}
