package dbstore

import (
	"context"
	"fmt"
)

// Django's DDL for django_session (sessions.0001_initial, identical in Django
// 3.2 to 6.1), per dialect, with IF NOT EXISTS added.
var schema = map[Dialect][]string{
	SQLite: {
		`CREATE TABLE IF NOT EXISTS "django_session" ("session_key" varchar(40) NOT NULL PRIMARY KEY, "session_data" text NOT NULL, "expire_date" datetime NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS "django_session_expire_date_a5c62663" ON "django_session" ("expire_date")`,
	},
	Postgres: {
		`CREATE TABLE IF NOT EXISTS "django_session" ("session_key" varchar(40) NOT NULL PRIMARY KEY, "session_data" text NOT NULL, "expire_date" timestamp with time zone NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS "django_session_expire_date_a5c62663" ON "django_session" ("expire_date")`,
		`CREATE INDEX IF NOT EXISTS "django_session_session_key_c0390e0f_like" ON "django_session" ("session_key" varchar_pattern_ops)`,
	},
}

// Schema returns the statements CreateTables runs for d: Django's DDL with
// IF NOT EXISTS.
func Schema(d Dialect) []string { return append([]string(nil), schema[d]...) }

// pgSchemaLock is the advisory lock key that serializes concurrent
// CreateTables calls on PostgreSQL (CREATE … IF NOT EXISTS alone can still
// race on the catalog).
const pgSchemaLock = 0x646d725f73657373 // "dmr_sess"

// CreateTables creates the django_session table and its indexes where they
// are missing. It is idempotent and leaves a table Django created alone. On
// PostgreSQL it runs in one transaction under an advisory lock, so concurrent
// callers are safe.
func (s *Store) CreateTables(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("dbstore: create tables: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	if s.d == Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(pgSchemaLock)); err != nil {
			return fmt.Errorf("dbstore: create tables: %w", err)
		}
	}
	for _, stmt := range schema[s.d] {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("dbstore: create tables: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("dbstore: create tables: %w", err)
	}
	return nil
}
