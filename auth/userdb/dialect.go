package userdb

import (
	"context"
	"database/sql"
)

// readColumnsMySQL lists the columns of table in the connection's database
// (MySQL 8, MariaDB), in the shape readColumns scans.
func readColumnsMySQL(ctx context.Context, db *sql.DB, table string) (*sql.Rows, error) {
	return db.QueryContext(ctx, "SELECT `COLUMN_NAME`, LOWER(`COLUMN_TYPE`), `IS_NULLABLE` = 'NO', "+
		"`COLUMN_DEFAULT` IS NOT NULL OR `EXTRA` LIKE '%auto_increment%', `COLUMN_KEY` = 'PRI' "+
		"FROM information_schema.`COLUMNS` WHERE `TABLE_SCHEMA` = DATABASE() AND `TABLE_NAME` = ? ORDER BY `ORDINAL_POSITION`", table)
}
