// Package sqlstmt keeps a database's hot statements prepared, once per owner
// (a session store, a user store). database/sql re-prepares a *sql.Stmt on
// each connection as needed and a *sql.Stmt is safe for concurrent use; on
// SQLite, parsing the statement again is a large part of a point lookup.
package sqlstmt
