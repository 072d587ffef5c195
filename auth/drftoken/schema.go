package drftoken

import (
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
	fkName := sqldb.IndexName(d, Table, []string{"user_id"}, "_fk_"+user.Table+"_"+user.PKColumn)
	t := sqldb.Table{Name: Table}
	switch d {
	case sqldb.Postgres:
		t.Create = `CREATE TABLE "authtoken_token" ("key" varchar(40) NOT NULL PRIMARY KEY, "created" timestamp with time zone NOT NULL, "user_id" ` + fk + ` NOT NULL UNIQUE)`
		t.Alter = []string{`ALTER TABLE "authtoken_token" ADD CONSTRAINT ` + q(fkName) + ` FOREIGN KEY ("user_id") REFERENCES ` + ref + ` DEFERRABLE INITIALLY DEFERRED`}
		like := sqldb.IndexName(d, Table, []string{"key"}, "_like")
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
