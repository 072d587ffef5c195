package sqldb_test

import (
	"context"
	"testing"

	"github.com/dmr-go/dmr/sqldb"
)

// Table.Alter runs once, right after its table is created: a second
// CreateTables (or one on a table Django made) does not add the
// constraint again, which PostgreSQL and MySQL would refuse.
func TestCreateTablesAlter(t *testing.T) {
	forEachDB(t, func(t *testing.T, _ string, db *sqldb.DB) {
		ctx := context.Background()
		q := db.Dialect.Quote
		parent := sqldb.Table{Name: "sqldb_parent", Create: `CREATE TABLE ` + q("sqldb_parent") + ` (` + q("id") + ` integer NOT NULL PRIMARY KEY)`}
		child := sqldb.Table{
			Name:   "sqldb_child",
			Create: `CREATE TABLE ` + q("sqldb_child") + ` (` + q("parent_id") + ` integer NOT NULL)`,
		}
		if db.Dialect != sqldb.SQLite { // SQLite has no ALTER TABLE … ADD CONSTRAINT
			child.Alter = []string{`ALTER TABLE ` + q("sqldb_child") + ` ADD CONSTRAINT ` + q("sqldb_child_parent_fk") + ` FOREIGN KEY (` + q("parent_id") + `) REFERENCES ` + q("sqldb_parent") + ` (` + q("id") + `)`}
		}
		for range 2 {
			if err := db.CreateTables(ctx, "sqldb_alter_test", parent, child); err != nil {
				t.Fatal(err)
			}
		}
		if db.Dialect == sqldb.SQLite {
			return
		}
		if _, err := db.Write.ExecContext(ctx, db.Dialect.Rebind(`INSERT INTO `+q("sqldb_child")+` VALUES (?)`), 7); err == nil {
			t.Error("the foreign key added by Alter is missing")
		}
	})
}
