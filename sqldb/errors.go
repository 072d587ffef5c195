package sqldb

import (
	"errors"

	"github.com/go-sql-driver/mysql"
)

// IsUniqueViolation reports whether err is a UNIQUE or PRIMARY KEY
// violation from any of the three drivers: SQLSTATE 23505 from pgx,
// SQLITE_CONSTRAINT_UNIQUE (2067) or SQLITE_CONSTRAINT_PRIMARYKEY (1555)
// from modernc.org/sqlite, ER_DUP_ENTRY (1062) from MySQL and MariaDB.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	var my *mysql.MySQLError
	if errors.As(err, &my) {
		return my.Number == 1062
	}
	var pg interface{ SQLState() string }
	if errors.As(err, &pg) {
		return pg.SQLState() == "23505"
	}
	var lite interface{ Code() int }
	if errors.As(err, &lite) {
		return lite.Code() == 2067 || lite.Code() == 1555
	}
	return false
}
