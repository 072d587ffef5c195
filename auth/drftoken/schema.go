package drftoken

import (
	"crypto/md5" //nolint:gosec // Django's names_digest, not a security use
	"encoding/hex"
	"strings"

	"github.com/dmr-go/dmr/auth/userdb"
	"github.com/dmr-go/dmr/sqldb"
)

// Table is the name of DRF's token table (rest_framework.authtoken.Token).
const Table = "authtoken_token"

// Schema returns authtoken_token as DRF's migrations create it on d
// (authtoken 0001_initial; 0002–0004 change no column), for the user model
// user describes: what `manage.py sqlmigrate authtoken 0001` prints, the same
// in Django 3.2, 4.2 and 5.2.
//
//	SQLite:     "user_id" … NOT NULL UNIQUE REFERENCES "<user table>" ("<pk>") DEFERRABLE INITIALLY DEFERRED, inline
//	PostgreSQL: created timestamp with time zone; the foreign key added by
//	            ALTER TABLE under Django's name (authtoken_token_user_id_35299eff_fk_auth_user_id),
//	            DEFERRABLE INITIALLY DEFERRED; the index authtoken_token_key_10f0b77e_like
//	            (varchar_pattern_ops) that Django adds to every varchar primary key
//	MySQL:      created datetime(6); the foreign key added by ALTER TABLE
//
// The user_id column takes the type of the user table's key as Django
// declares a foreign key to it: integer (AutoField), bigint (BigAutoField),
// char(32) or uuid (UUIDField), the key's own varchar(n).
func Schema(d sqldb.Dialect, user userdb.Info) sqldb.Table {
	q := d.Quote
	fk := fkType(user)
	ref := q(user.Table) + " (" + q(user.PKColumn) + ")"
	fkName := indexName(d, Table, []string{"user_id"}, "_fk_"+user.Table+"_"+user.PKColumn)
	t := sqldb.Table{Name: Table}
	switch d {
	case sqldb.Postgres:
		t.Create = `CREATE TABLE "authtoken_token" ("key" varchar(40) NOT NULL PRIMARY KEY, "created" timestamp with time zone NOT NULL, "user_id" ` + fk + ` NOT NULL UNIQUE)`
		t.Alter = []string{`ALTER TABLE "authtoken_token" ADD CONSTRAINT ` + q(fkName) + ` FOREIGN KEY ("user_id") REFERENCES ` + ref + ` DEFERRABLE INITIALLY DEFERRED`}
		like := indexName(d, Table, []string{"key"}, "_like")
		t.Indexes = []sqldb.Index{{Name: like, Create: `CREATE INDEX ` + q(like) + ` ON "authtoken_token" ("key" varchar_pattern_ops)`}}
	case sqldb.MySQL:
		t.Create = "CREATE TABLE `authtoken_token` (`key` varchar(40) NOT NULL PRIMARY KEY, `created` datetime(6) NOT NULL, `user_id` " + fk + " NOT NULL UNIQUE)"
		t.Alter = []string{"ALTER TABLE `authtoken_token` ADD CONSTRAINT " + q(fkName) + " FOREIGN KEY (`user_id`) REFERENCES " + ref}
	default:
		t.Create = `CREATE TABLE "authtoken_token" ("key" varchar(40) NOT NULL PRIMARY KEY, "created" datetime NOT NULL, "user_id" ` + fk + ` NOT NULL UNIQUE REFERENCES ` + ref + ` DEFERRABLE INITIALLY DEFERRED)`
	}
	return t
}

// fkType is the type Django gives a foreign key to the user table's key
// (rel_db_type): integer for an AutoField (serial, identity and MySQL's
// int(11) included), bigint for a BigAutoField, smallint for a
// SmallAutoField, the key's own type otherwise (uuid, char(32),
// varchar(n)), in Django's spelling.
func fkType(u userdb.Info) string {
	t := strings.ToLower(strings.TrimSpace(u.PKType))
	switch u.PK {
	case userdb.PKInt, userdb.PKAuto:
		switch {
		case t == "" || t == "serial":
			return "integer"
		case strings.HasPrefix(t, "bigint") || t == "bigserial":
			return "bigint"
		case strings.HasPrefix(t, "smallint") || t == "smallserial":
			return "smallint"
		}
		return "integer"
	}
	if rest, ok := strings.CutPrefix(t, "character varying"); ok {
		return "varchar" + rest
	}
	if rest, ok := strings.CutPrefix(t, "character"); ok {
		return "char" + rest
	}
	if t == "" {
		return "varchar(255)"
	}
	return t
}

// indexName is Django's BaseDatabaseSchemaEditor._create_index_name: table,
// columns and an 8-digit digest of them, then suffix, shortened to the
// backend's identifier limit (63 on PostgreSQL, 64 on MySQL; 200 on SQLite)
// the way Django shortens it.
func indexName(d sqldb.Dialect, table string, columns []string, suffix string) string {
	h := md5.New() //nolint:gosec // Django's names_digest
	h.Write([]byte(table))
	for _, c := range columns {
		h.Write([]byte(c))
	}
	hashSuffix := hex.EncodeToString(h.Sum(nil))[:8] + suffix
	maxLen := 200
	switch d {
	case sqldb.Postgres:
		maxLen = 63
	case sqldb.MySQL:
		maxLen = 64
	}
	cols := strings.Join(columns, "_")
	name := table + "_" + cols + "_" + hashSuffix
	if len(name) <= maxLen {
		return name
	}
	if len(hashSuffix) > maxLen/3 {
		hashSuffix = hashSuffix[:maxLen/3]
	}
	other := (maxLen-len(hashSuffix))/2 - 1
	name = cut(table, other) + "_" + cut(cols, other) + "_" + hashSuffix
	if name[0] == '_' || (name[0] >= '0' && name[0] <= '9') {
		name = "D" + name[:len(name)-1]
	}
	return name
}

func cut(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
