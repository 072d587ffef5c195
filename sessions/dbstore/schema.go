package dbstore

import (
	"context"
	"fmt"

	"github.com/dmr-go/dmr/sqldb"
)

// Django's DDL for django_session (sessions.0001_initial, identical in Django
// 3.2 to 6.1), per dialect, verbatim.
var schema = map[sqldb.Dialect][]sqldb.Table{
	sqldb.SQLite: {{
		Name:   "django_session",
		Create: `CREATE TABLE "django_session" ("session_key" varchar(40) NOT NULL PRIMARY KEY, "session_data" text NOT NULL, "expire_date" datetime NOT NULL)`,
		Indexes: []sqldb.Index{
			{Name: "django_session_expire_date_a5c62663", Create: `CREATE INDEX "django_session_expire_date_a5c62663" ON "django_session" ("expire_date")`},
		},
	}},
	sqldb.Postgres: {{
		Name:   "django_session",
		Create: `CREATE TABLE "django_session" ("session_key" varchar(40) NOT NULL PRIMARY KEY, "session_data" text NOT NULL, "expire_date" timestamp with time zone NOT NULL)`,
		Indexes: []sqldb.Index{
			{Name: "django_session_expire_date_a5c62663", Create: `CREATE INDEX "django_session_expire_date_a5c62663" ON "django_session" ("expire_date")`},
			{Name: "django_session_session_key_c0390e0f_like", Create: `CREATE INDEX "django_session_session_key_c0390e0f_like" ON "django_session" ("session_key" varchar_pattern_ops)`},
		},
	}},
	sqldb.MySQL: {{
		Name:   "django_session",
		Create: "CREATE TABLE `django_session` (`session_key` varchar(40) NOT NULL PRIMARY KEY, `session_data` longtext NOT NULL, `expire_date` datetime(6) NOT NULL)",
		Indexes: []sqldb.Index{
			{Name: "django_session_expire_date_a5c62663", Create: "CREATE INDEX `django_session_expire_date_a5c62663` ON `django_session` (`expire_date`)"},
		},
	}},
}

// Schema returns Django's table and indexes for d, as CreateTables creates
// them.
func Schema(d sqldb.Dialect) []sqldb.Table { return append([]sqldb.Table(nil), schema[d]...) }

// CreateTables creates the django_session table and its indexes where they
// are missing. It is idempotent, leaves a table Django created alone and is
// safe for concurrent callers (see sqldb.DB.CreateTables).
func (s *Store) CreateTables(ctx context.Context) error {
	if err := s.db.CreateTables(ctx, "django_session", schema[s.d]...); err != nil {
		return fmt.Errorf("dbstore: %w", err)
	}
	return nil
}
