package changefeed

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/dmr-go/dmr/sqldb"
)

// Names of the objects Install creates.
const (
	// Channel is the PostgreSQL NOTIFY channel.
	Channel = "dmr_cache"
	// ChangelogTable is the SQLite and MySQL change log.
	ChangelogTable = "dmr_cache_changelog"
	// NotifyFunction is the PostgreSQL trigger function.
	NotifyFunction = "dmr_cache_notify"
	// TriggerPrefix starts the name of every trigger Install creates.
	TriggerPrefix = "dmr_cache_"
)

// Targets are the tables whose changes the feed reports. An empty table
// name leaves that target out (a user model without PermissionsMixin has no
// permission tables).
type Targets struct {
	// SessionTable is django_session; its key column is session_key.
	SessionTable string
	// UserTable and UserPK are the user model's table and primary key
	// column: a change to a row reports (User, pk).
	UserTable, UserPK string
	// UserGroupsTable/UserGroupsColumn and UserPermsTable/UserPermsColumn
	// are the model's groups and user_permissions m2m tables and their
	// column naming the user: a change reports (UserPerms, user).
	UserGroupsTable, UserGroupsColumn string
	UserPermsTable, UserPermsColumn   string
	// AllPermsTables change everyone's permissions (auth_group_permissions,
	// auth_permission, auth_group): a change reports (AllPerms, "").
	AllPermsTables []string
	// SkipMissingPermTables makes Install, Remove and Check skip the
	// permission tables (UserGroupsTable, UserPermsTable, AllPermsTables)
	// that do not exist: a database that only dmr migrated has none until
	// Django's migrate creates them, and Check then reports their triggers
	// missing. The session and user tables must always exist.
	SkipMissingPermTables bool
}

// present returns the targets whose tables exist (with
// SkipMissingPermTables), else all of them.
func (t Targets) present(ctx context.Context, db *sqldb.DB) ([]target, error) {
	all := t.list()
	if !t.SkipMissingPermTables {
		return all, nil
	}
	var out []target
	for _, tg := range all {
		if tg.perms() {
			ok, err := tableExists(ctx, db, tg.table)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
		}
		out = append(out, tg)
	}
	return out, nil
}

// target is one table and what a change to it reports.
type target struct {
	table, col string
	kind       Kind
	inserts    bool // INSERT reports too (m2m and all-permission tables)
}

// perms reports whether tg is a permission table (the ones
// SkipMissingPermTables skips when missing).
func (tg target) perms() bool { return tg.kind == UserPerms || tg.kind == AllPerms }

func (t Targets) list() []target {
	var out []target
	if t.SessionTable != "" {
		out = append(out, target{table: t.SessionTable, col: "session_key", kind: Session})
	}
	if t.UserTable != "" {
		out = append(out, target{table: t.UserTable, col: t.UserPK, kind: User})
	}
	if t.UserGroupsTable != "" {
		out = append(out, target{table: t.UserGroupsTable, col: t.UserGroupsColumn, kind: UserPerms, inserts: true})
	}
	if t.UserPermsTable != "" {
		out = append(out, target{table: t.UserPermsTable, col: t.UserPermsColumn, kind: UserPerms, inserts: true})
	}
	for _, tb := range t.AllPermsTables {
		if tb != "" {
			out = append(out, target{table: tb, kind: AllPerms, inserts: true})
		}
	}
	return out
}

func (t Targets) validate() error {
	for _, tg := range t.list() {
		if tg.kind != AllPerms && tg.col == "" {
			return fmt.Errorf("changefeed: table %s has no key column", tg.table)
		}
	}
	if len(t.list()) == 0 {
		return errors.New("changefeed: no target tables")
	}
	return nil
}

// op is one row event of SQLite and MySQL triggers (they have one trigger per
// event; PostgreSQL has one per table).
type op struct{ suffix, event string }

var ops = []op{{"_i", "INSERT"}, {"_u", "UPDATE"}, {"_d", "DELETE"}}

func (tg target) ops() []op {
	if tg.inserts {
		return ops
	}
	return ops[1:]
}

// triggerNames lists, per table, the triggers Install creates on it.
func triggerNames(d sqldb.Dialect, tg target) []string {
	base := TriggerPrefix + tg.table
	if d == sqldb.Postgres {
		return []string{base}
	}
	var out []string
	for _, o := range tg.ops() {
		out = append(out, base+o.suffix)
	}
	return out
}

// changelogDDL creates the change log of SQLite and MySQL.
func changelogDDL(d sqldb.Dialect) []string {
	if d == sqldb.MySQL {
		return []string{"CREATE TABLE IF NOT EXISTS " + ChangelogTable + ` (
	id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
	kind CHAR(1) NOT NULL,
	k VARCHAR(255) NOT NULL,
	at BIGINT NOT NULL,
	KEY ` + ChangelogTable + `_at (at)
) ENGINE=InnoDB`}
	}
	return []string{
		"CREATE TABLE IF NOT EXISTS " + ChangelogTable + ` (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	kind TEXT NOT NULL,
	k TEXT NOT NULL,
	at INTEGER NOT NULL
)`,
		"CREATE INDEX IF NOT EXISTS " + ChangelogTable + "_at ON " + ChangelogTable + " (at)",
	}
}

// nowExpr is the database clock in Unix seconds.
func nowExpr(d sqldb.Dialect) string {
	if d == sqldb.MySQL {
		return "UNIX_TIMESTAMP()"
	}
	return "CAST(strftime('%s','now') AS INTEGER)"
}

// logInsert is the INSERT a SQLite or MySQL trigger runs for row (OLD or
// NEW); a non-empty where makes it an INSERT … SELECT that logs only when
// where holds.
func logInsert(d sqldb.Dialect, tg target, row, where string) string {
	key := "''"
	if tg.kind != AllPerms {
		key = row + "." + d.Quote(tg.col)
	}
	values := fmt.Sprintf("'%c', %s, %s", byte(tg.kind), key, nowExpr(d))
	if where != "" {
		return "INSERT INTO " + ChangelogTable + " (kind, k, at) SELECT " + values + " WHERE " + where
	}
	return "INSERT INTO " + ChangelogTable + " (kind, k, at) VALUES (" + values + ")"
}

// pgFunction is the trigger function of PostgreSQL: TG_ARGV[0] is the
// kind, TG_ARGV[1] the key column (row triggers), the payload "kind:key".
const pgFunction = `CREATE OR REPLACE FUNCTION ` + NotifyFunction + `() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	o text;
	n text;
BEGIN
	IF TG_LEVEL = 'STATEMENT' THEN
		PERFORM pg_notify('` + Channel + `', TG_ARGV[0] || ':');
		RETURN NULL;
	END IF;
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		o := to_jsonb(OLD) ->> TG_ARGV[1];
		PERFORM pg_notify('` + Channel + `', TG_ARGV[0] || ':' || coalesce(o, ''));
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		n := to_jsonb(NEW) ->> TG_ARGV[1];
		IF o IS DISTINCT FROM n THEN
			PERFORM pg_notify('` + Channel + `', TG_ARGV[0] || ':' || coalesce(n, ''));
		END IF;
	END IF;
	RETURN NULL;
END
$$`

// createStatements returns the statements creating tg's triggers (after
// dropping them: one code path installs and reinstalls).
func createStatements(d sqldb.Dialect, tg target) []string {
	q := d.Quote
	var out []string
	switch d {
	case sqldb.Postgres:
		name := triggerNames(d, tg)[0]
		out = append(out, dropTrigger(d, name, tg.table))
		if tg.kind == AllPerms {
			out = append(out, fmt.Sprintf("CREATE TRIGGER %s AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %s FOR EACH STATEMENT EXECUTE PROCEDURE %s('%c')",
				q(name), q(tg.table), NotifyFunction, byte(tg.kind)))
		} else {
			events := "UPDATE OR DELETE"
			if tg.inserts {
				events = "INSERT OR UPDATE OR DELETE"
			}
			out = append(out, fmt.Sprintf("CREATE TRIGGER %s AFTER %s ON %s FOR EACH ROW EXECUTE PROCEDURE %s('%c', '%s')",
				q(name), events, q(tg.table), NotifyFunction, byte(tg.kind), strings.ReplaceAll(tg.col, "'", "''")))
		}
	default:
		for _, o := range tg.ops() {
			name := TriggerPrefix + tg.table + o.suffix
			out = append(out, dropTrigger(d, name, tg.table))
			var body string
			switch o.event {
			case "INSERT":
				body = logInsert(d, tg, "NEW", "") + ";"
			case "DELETE":
				body = logInsert(d, tg, "OLD", "") + ";"
			case "UPDATE":
				body = logInsert(d, tg, "OLD", "") + ";"
				if tg.kind != AllPerms {
					col := q(tg.col)
					if d == sqldb.MySQL {
						body += " IF NOT (NEW." + col + " <=> OLD." + col + ") THEN " + logInsert(d, tg, "NEW", "") + "; END IF;"
					} else {
						body += " " + logInsert(d, tg, "NEW", "NEW."+col+" IS NOT OLD."+col) + ";"
					}
				}
			}
			out = append(out, fmt.Sprintf("CREATE TRIGGER %s AFTER %s ON %s FOR EACH ROW BEGIN %s END", q(name), o.event, q(tg.table), body))
		}
	}
	return out
}

// dropTrigger drops trigger name on table if it exists (PostgreSQL names
// the table; SQLite and MySQL trigger names are per schema).
func dropTrigger(d sqldb.Dialect, name, table string) string {
	if d == sqldb.Postgres {
		return "DROP TRIGGER IF EXISTS " + d.Quote(name) + " ON " + d.Quote(table)
	}
	return "DROP TRIGGER IF EXISTS " + d.Quote(name)
}

// Install creates the triggers on the targets (and the PostgreSQL function,
// or the SQLite/MySQL change log). It is idempotent: existing triggers are
// replaced. Every target table must exist (run the migrations first).
func Install(ctx context.Context, db *sqldb.DB, t Targets) error {
	if err := t.validate(); err != nil {
		return err
	}
	targets, err := t.present(ctx, db)
	if err != nil {
		return fmt.Errorf("changefeed: install: %w", err)
	}
	for _, tg := range targets {
		if t.SkipMissingPermTables && tg.perms() {
			continue // present found it
		}
		ok, err := tableExists(ctx, db, tg.table)
		if err != nil {
			return fmt.Errorf("changefeed: install: %w", err)
		}
		if !ok {
			return fmt.Errorf("changefeed: install: table %s does not exist (run the migrations first)", tg.table)
		}
	}
	var stmts []string
	if db.Dialect == sqldb.Postgres {
		stmts = append(stmts, pgFunction)
	} else {
		stmts = append(stmts, changelogDDL(db.Dialect)...)
	}
	for _, tg := range targets {
		stmts = append(stmts, createStatements(db.Dialect, tg)...)
	}
	return execAll(ctx, db, "install", stmts)
}

// Remove drops what Install created; missing objects and tables are
// skipped, so it is idempotent.
func Remove(ctx context.Context, db *sqldb.DB, t Targets) error {
	var stmts []string
	for _, tg := range t.list() {
		ok, err := tableExists(ctx, db, tg.table)
		if err != nil {
			return fmt.Errorf("changefeed: remove: %w", err)
		}
		if !ok {
			continue
		}
		for _, name := range triggerNames(db.Dialect, tg) {
			stmts = append(stmts, dropTrigger(db.Dialect, name, tg.table))
		}
	}
	if db.Dialect == sqldb.Postgres {
		stmts = append(stmts, "DROP FUNCTION IF EXISTS "+NotifyFunction+"()")
	} else {
		stmts = append(stmts, "DROP TABLE IF EXISTS "+ChangelogTable)
	}
	return execAll(ctx, db, "remove", stmts)
}

// execAll runs stmts in one transaction where DDL is transactional
// (PostgreSQL, SQLite); MySQL commits each statement by itself.
func execAll(ctx context.Context, db *sqldb.DB, what string, stmts []string) error {
	tx, err := db.Write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("changefeed: %s: %w", what, err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("changefeed: %s: %w (in %.60q…)", what, err, s)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("changefeed: %s: %w", what, err)
	}
	return nil
}

func tableExists(ctx context.Context, db *sqldb.DB, table string) (bool, error) {
	var n int
	var err error
	switch db.Dialect {
	case sqldb.Postgres:
		err = db.Read.QueryRowContext(ctx, "SELECT count(*) FROM pg_class WHERE oid = to_regclass($1)", db.Dialect.Quote(table)).Scan(&n)
	case sqldb.MySQL:
		err = db.Read.QueryRowContext(ctx, "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?", table).Scan(&n)
	default:
		err = db.Read.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", table).Scan(&n)
	}
	return n > 0, err
}

// MissingError lists what Check found missing.
type MissingError struct {
	// Missing names each missing object: "trigger dmr_cache_x on x",
	// "function dmr_cache_notify()", "table dmr_cache_changelog".
	Missing []string
	// All is true when nothing Install creates was found.
	All bool
}

// Error names the missing objects, the first three when there are more.
func (e *MissingError) Error() string {
	if e.All {
		return fmt.Sprintf("the cache invalidation triggers are not installed (%d objects missing)", len(e.Missing))
	}
	if len(e.Missing) > 3 {
		return fmt.Sprintf("missing cache invalidation objects: %s and %d more", strings.Join(e.Missing[:3], ", "), len(e.Missing)-3)
	}
	return "missing cache invalidation objects: " + strings.Join(e.Missing, ", ")
}

// Check reports whether everything Install creates is in place: nil, a
// *MissingError, or the error of the catalogue query. On SQLite a table
// that Django's schema editor remade (ALTER on SQLite copies the table,
// drops the old one and renames the copy) has lost its triggers: Check
// reports them missing.
func Check(ctx context.Context, db *sqldb.DB, t Targets) error {
	if err := t.validate(); err != nil {
		return err
	}
	targets, err := t.present(ctx, db)
	if err != nil {
		return fmt.Errorf("changefeed: check: %w", err)
	}
	var missing []string
	total := 1
	if db.Dialect == sqldb.Postgres {
		var n int
		if err := db.Read.QueryRowContext(ctx, "SELECT count(*) FROM pg_proc WHERE proname = $1 AND pronamespace = to_regnamespace(current_schema())", NotifyFunction).Scan(&n); err != nil {
			return fmt.Errorf("changefeed: check: %w", err)
		}
		if n == 0 {
			missing = append(missing, "function "+NotifyFunction+"()")
		}
	} else {
		ok, err := tableExists(ctx, db, ChangelogTable)
		if err != nil {
			return fmt.Errorf("changefeed: check: %w", err)
		}
		if !ok {
			missing = append(missing, "table "+ChangelogTable)
		}
	}
	for _, tg := range targets {
		have, err := triggersOn(ctx, db, tg.table)
		if err != nil {
			return fmt.Errorf("changefeed: check: %w", err)
		}
		for _, name := range triggerNames(db.Dialect, tg) {
			total++
			if !have[name] {
				missing = append(missing, "trigger "+name+" on "+tg.table)
			}
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return &MissingError{Missing: missing, All: len(missing) == total}
	}
	return nil
}

// triggersOn returns the names of the triggers on table.
func triggersOn(ctx context.Context, db *sqldb.DB, table string) (map[string]bool, error) {
	var rows *sql.Rows
	var err error
	switch db.Dialect {
	case sqldb.Postgres:
		rows, err = db.Read.QueryContext(ctx, "SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass($1) AND NOT tgisinternal", db.Dialect.Quote(table))
	case sqldb.MySQL:
		rows, err = db.Read.QueryContext(ctx, "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND EVENT_OBJECT_TABLE = ?", table)
	default:
		rows, err = db.Read.QueryContext(ctx, "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", table)
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		out[name] = true
	}
	return out, rows.Err()
}
