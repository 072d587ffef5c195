// Package userdb keeps auth users in Django's own auth_user table on SQLite
// or PostgreSQL through database/sql, so that a Go service and a Django
// project share one user table.
//
// The table is Django's: CreateTables runs Django's DDL for the dialect
// (SQLite column order as Django leaves it after auth.0012, an identity
// column on PostgreSQL) with IF NOT EXISTS, so it is idempotent and accepts
// a database Django migrated (3.2's serial id column included). Only
// auth_user is created; Django's groups and permissions tables are not used.
//
// Values are written as Django writes them: datetimes in UTC with
// microsecond precision (as "2006-01-02 15:04:05[.ffffff]" text on SQLite,
// timestamptz on PostgreSQL), booleans as 0/1 on SQLite, and every NOT NULL
// column supplied (the table has no defaults). Username lookups are exact
// and case-sensitive, as Django's.
//
// Open databases with sqldb.Open (same URLs, drivers and SQLite pragmas as
// the session store) and pass its Write pool.
package userdb
