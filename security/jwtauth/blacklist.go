package jwtauth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/sqldb"
)

// SimpleJWT's token_blacklist tables.
const (
	OutstandingTable = "token_blacklist_outstandingtoken"
	BlacklistedTable = "token_blacklist_blacklistedtoken"
)

// BlacklistOptions describe the user model the outstanding tokens' user_id
// foreign key points at. The zero value is Django's auth.User.
type BlacklistOptions struct {
	// UserTable and UserPKColumn name the user table and its key
	// ("auth_user", "id"); UserPKType is the key's column type, which the
	// foreign key copies ("integer"; "uuid" or "char(32)" for a UUID key…).
	// userdb.Store.Info has all three.
	UserTable, UserPKColumn, UserPKType string
	// UserPKArg converts a user id (str(pk)) to the key column's query
	// argument (userdb.Store.PKArg); nil passes the id unchanged.
	UserPKArg func(id string) (any, bool)
	// Timeout bounds each statement; zero means none beyond the request's.
	Timeout time.Duration
}

// Blacklist is SimpleJWT's token_blacklist app on SQL: its two tables,
// shared with Django, on SQLite, PostgreSQL or MySQL/MariaDB. It is safe for
// concurrent use.
type Blacklist struct {
	db *sqldb.DB
	o  BlacklistOptions

	qBlacklisted, qOutstand, qID, qBlacklist string
}

// Outstanding is one row of token_blacklist_outstandingtoken.
type Outstanding struct {
	JTI       string
	Token     string
	UserID    string // str(pk); "" or a user that does not exist is NULL
	CreatedAt time.Time
	ExpiresAt time.Time
}

// NewBlacklist returns a Blacklist on db. It does not create tables (see
// CreateTables).
func NewBlacklist(db *sqldb.DB, o BlacklistOptions) (*Blacklist, error) {
	if err := db.Validate(); err != nil {
		return nil, err
	}
	if o.UserTable == "" {
		o.UserTable = "auth_user"
	}
	if o.UserPKColumn == "" {
		o.UserPKColumn = "id"
	}
	if o.UserPKType == "" {
		o.UserPKType = "integer"
	}
	b := &Blacklist{db: db, o: o}
	d := db.Dialect
	q := d.Quote
	ot, bt := q(OutstandingTable), q(BlacklistedTable)
	b.qBlacklisted = d.Rebind(`SELECT 1 FROM ` + bt + ` b INNER JOIN ` + ot + ` o ON b.` + q("token_id") + ` = o.` + q("id") + ` WHERE o.` + q("jti") + ` = ? LIMIT 1`)
	// get_or_create by jti; the user is NULL when it does not exist (as
	// SimpleJWT's blacklist() and outstand() look it up).
	user := `(SELECT ` + q(o.UserPKColumn) + ` FROM ` + q(o.UserTable) + ` WHERE ` + q(o.UserPKColumn) + ` = ?)`
	ins := `INSERT INTO ` + ot + ` (` + q("token") + `, ` + q("created_at") + `, ` + q("expires_at") + `, ` + q("user_id") + `, ` + q("jti") + `) SELECT ?, ?, ?, ` + user + `, ?`
	switch d {
	case sqldb.MySQL:
		b.qOutstand = ins + ` FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM ` + ot + ` WHERE ` + q("jti") + ` = ?)`
	default:
		b.qOutstand = d.Rebind(ins + ` WHERE NOT EXISTS (SELECT 1 FROM ` + ot + ` WHERE ` + q("jti") + ` = ?) ON CONFLICT DO NOTHING`)
	}
	b.qID = d.Rebind(`SELECT ` + q("id") + ` FROM ` + ot + ` WHERE ` + q("jti") + ` = ?`)
	bins := `INSERT INTO ` + bt + ` (` + q("blacklisted_at") + `, ` + q("token_id") + `) SELECT ?, ?`
	switch d {
	case sqldb.MySQL:
		b.qBlacklist = bins + ` FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM ` + bt + ` WHERE ` + q("token_id") + ` = ?)`
	default:
		b.qBlacklist = d.Rebind(bins + ` WHERE NOT EXISTS (SELECT 1 FROM ` + bt + ` WHERE ` + q("token_id") + ` = ?) ON CONFLICT DO NOTHING`)
	}
	return b, nil
}

func (b *Blacklist) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if b.o.Timeout > 0 {
		return context.WithTimeout(ctx, b.o.Timeout)
	}
	return ctx, func() {}
}

func (b *Blacklist) userArg(id string) any {
	if id == "" {
		return nil
	}
	if b.o.UserPKArg != nil {
		v, ok := b.o.UserPKArg(id)
		if !ok {
			return nil
		}
		return v
	}
	if n, err := strconv.ParseInt(id, 10, 64); err == nil {
		return n
	}
	return id
}

// IsBlacklisted is BlacklistMixin.check_blacklist:
// BlacklistedToken.objects.filter(token__jti=jti).exists().
func (b *Blacklist) IsBlacklisted(ctx context.Context, jti string) (bool, error) {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	var one int
	err := b.db.Read.QueryRowContext(ctx, b.qBlacklisted, jti).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, apierror.MarkUnavailable(fmt.Errorf("jwtauth: blacklist lookup: %w", err))
	}
	return true, nil
}

// Outstand records t as outstanding unless a row has its jti
// (OutstandingToken.objects.get_or_create(jti=…)).
func (b *Blacklist) Outstand(ctx context.Context, t Outstanding) error {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	if err := b.outstand(ctx, b.db.Write, t); err != nil {
		return apierror.MarkUnavailable(fmt.Errorf("jwtauth: outstanding token: %w", err))
	}
	return nil
}

func (b *Blacklist) outstand(ctx context.Context, x sqldb.Querier, t Outstanding) error {
	d := b.db.Dialect
	var created any
	if !t.CreatedAt.IsZero() {
		created = d.TimeArg(t.CreatedAt)
	}
	_, err := x.ExecContext(ctx, b.qOutstand, t.Token, created, d.TimeArg(t.ExpiresAt), b.userArg(t.UserID), t.JTI, t.JTI)
	return err
}

// Add blacklists t (SimpleJWT's blacklist()): the outstanding row by jti,
// created when missing, and its blacklisted row (blacklisted_at = at),
// created when missing, in one transaction.
func (b *Blacklist) Add(ctx context.Context, t Outstanding, at time.Time) error {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	if err := b.add(ctx, t, at); err != nil {
		return apierror.MarkUnavailable(fmt.Errorf("jwtauth: blacklist: %w", err))
	}
	return nil
}

func (b *Blacklist) add(ctx context.Context, t Outstanding, at time.Time) error {
	tx, err := b.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if err := b.outstand(ctx, tx, t); err != nil {
		return err
	}
	var id int64
	if err := tx.QueryRowContext(ctx, b.qID, t.JTI).Scan(&id); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, b.qBlacklist, b.db.Dialect.TimeArg(at), id, id); err != nil {
		return err
	}
	return tx.Commit()
}

// Tables returns the two tables as SimpleJWT's migrations (0001–0013)
// leave them on the Blacklist's dialect, read from databases Django 5.2
// migrated: on SQLite the column order of its table rebuilds and an
// integer key; on PostgreSQL bigint identity keys and the constraint and
// index names the migration history gave (jti's unique constraint still
// carries the name of the jti_hex column it was renamed from); on MySQL
// bigint keys, longtext, datetime(6).
func (b *Blacklist) Tables() []sqldb.Table {
	o := b.o
	switch b.db.Dialect {
	case sqldb.SQLite:
		return []sqldb.Table{
			{Name: OutstandingTable,
				Create: `CREATE TABLE "token_blacklist_outstandingtoken" ("token" text NOT NULL, "created_at" datetime NULL, "expires_at" datetime NOT NULL, "user_id" ` + o.UserPKType + ` NULL REFERENCES "` + o.UserTable + `" ("` + o.UserPKColumn + `") DEFERRABLE INITIALLY DEFERRED, "jti" varchar(255) NOT NULL UNIQUE, "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT)`,
				Indexes: []sqldb.Index{{Name: "token_blacklist_outstandingtoken_user_id_83bc629a",
					Create: `CREATE INDEX "token_blacklist_outstandingtoken_user_id_83bc629a" ON "token_blacklist_outstandingtoken" ("user_id")`}}},
			{Name: BlacklistedTable,
				Create: `CREATE TABLE "token_blacklist_blacklistedtoken" ("blacklisted_at" datetime NOT NULL, "token_id" bigint NOT NULL UNIQUE REFERENCES "token_blacklist_outstandingtoken" ("id") DEFERRABLE INITIALLY DEFERRED, "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT)`},
		}
	case sqldb.Postgres:
		fk := fkName(sqldb.Postgres, o.UserTable, o.UserPKColumn)
		return []sqldb.Table{
			{Name: OutstandingTable,
				Create: `CREATE TABLE "token_blacklist_outstandingtoken" ("id" bigint NOT NULL PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY, "token" text NOT NULL, "created_at" timestamp with time zone NULL, "expires_at" timestamp with time zone NOT NULL, "user_id" ` + o.UserPKType + ` NULL, "jti" varchar(255) NOT NULL, ` +
					`CONSTRAINT "token_blacklist_outstandingtoken_jti_hex_d9bdf6f7_uniq" UNIQUE ("jti"), ` +
					`CONSTRAINT "` + fk + `" FOREIGN KEY ("user_id") REFERENCES "` + o.UserTable + `" ("` + o.UserPKColumn + `") DEFERRABLE INITIALLY DEFERRED)`,
				Indexes: []sqldb.Index{
					{Name: "token_blacklist_outstandingtoken_jti_hex_d9bdf6f7_like",
						Create: `CREATE INDEX "token_blacklist_outstandingtoken_jti_hex_d9bdf6f7_like" ON "token_blacklist_outstandingtoken" ("jti" varchar_pattern_ops)`},
					{Name: "token_blacklist_outstandingtoken_user_id_83bc629a",
						Create: `CREATE INDEX "token_blacklist_outstandingtoken_user_id_83bc629a" ON "token_blacklist_outstandingtoken" ("user_id")`},
				}},
			{Name: BlacklistedTable,
				Create: `CREATE TABLE "token_blacklist_blacklistedtoken" ("id" bigint NOT NULL PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY, "blacklisted_at" timestamp with time zone NOT NULL, "token_id" bigint NOT NULL UNIQUE, ` +
					`CONSTRAINT "token_blacklist_blacklistedtoken_token_id_3cc7fe56_fk" FOREIGN KEY ("token_id") REFERENCES "token_blacklist_outstandingtoken" ("id") DEFERRABLE INITIALLY DEFERRED)`},
		}
	default: // MySQL
		fk := fkName(sqldb.MySQL, o.UserTable, o.UserPKColumn)
		return []sqldb.Table{
			{Name: OutstandingTable,
				Create: "CREATE TABLE `token_blacklist_outstandingtoken` (`id` bigint NOT NULL AUTO_INCREMENT, `token` longtext NOT NULL, `created_at` datetime(6) DEFAULT NULL, `expires_at` datetime(6) NOT NULL, `user_id` " + o.UserPKType + " DEFAULT NULL, `jti` varchar(255) NOT NULL, " +
					"PRIMARY KEY (`id`), UNIQUE KEY `token_blacklist_outstandingtoken_jti_hex_d9bdf6f7_uniq` (`jti`), KEY `" + fk + "` (`user_id`), " +
					"CONSTRAINT `" + fk + "` FOREIGN KEY (`user_id`) REFERENCES `" + o.UserTable + "` (`" + o.UserPKColumn + "`))"},
			{Name: BlacklistedTable,
				Create: "CREATE TABLE `token_blacklist_blacklistedtoken` (`id` bigint NOT NULL AUTO_INCREMENT, `blacklisted_at` datetime(6) NOT NULL, `token_id` bigint NOT NULL, " +
					"PRIMARY KEY (`id`), UNIQUE KEY `token_id` (`token_id`), " +
					"CONSTRAINT `token_blacklist_blacklistedtoken_token_id_3cc7fe56_fk` FOREIGN KEY (`token_id`) REFERENCES `token_blacklist_outstandingtoken` (`id`))"},
		}
	}
}

// CreateTables creates the two tables where they are missing (the user
// table must exist: the foreign key names it). Tables Django's migrate
// made are left alone, so it is idempotent and safe on a database Django
// migrated; concurrent callers are serialised (sqldb.DB.CreateTables).
func (b *Blacklist) CreateTables(ctx context.Context) error {
	if err := b.db.CreateTables(ctx, "token_blacklist", b.Tables()...); err != nil {
		return fmt.Errorf("jwtauth: %w", err)
	}
	return nil
}

// fkName is the name Django gives the outstanding token's foreign key to
// the user table on d.
func fkName(d sqldb.Dialect, toTable, toColumn string) string {
	return sqldb.IndexName(d, OutstandingTable, []string{"user_id"}, "_fk_"+toTable+"_"+toColumn)
}
