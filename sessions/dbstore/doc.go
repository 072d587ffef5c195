// Package dbstore keeps sessions in Django's own django_session table on
// SQLite, PostgreSQL and MySQL/MariaDB, through a [sqldb.DB] (drivers, URLs,
// pools, timeouts and the Django value formats live in package sqldb).
//
// # Sharing the table with Django
//
// The table, its columns and its index names are exactly what Django's
// sessions.0001_initial migration creates on each database (Django 3.2 to 6.1
// never changed it), so a Go service and a Django site can use one table:
//
//	SQLite:     CREATE TABLE "django_session" ("session_key" varchar(40) NOT NULL PRIMARY KEY,
//	            "session_data" text NOT NULL, "expire_date" datetime NOT NULL)
//	            CREATE INDEX "django_session_expire_date_a5c62663" ON "django_session" ("expire_date")
//	PostgreSQL: the same with "expire_date" timestamp with time zone, plus
//	            CREATE INDEX "django_session_session_key_c0390e0f_like" ON "django_session"
//	            ("session_key" varchar_pattern_ops)
//	MySQL:      CREATE TABLE `django_session` (`session_key` varchar(40) NOT NULL PRIMARY KEY,
//	            `session_data` longtext NOT NULL, `expire_date` datetime(6) NOT NULL)
//	            and the same expire_date index
//
// [Store.CreateTables] only creates what is missing (it reads the catalogue
// under a lock, see sqldb.DB.CreateTables), so it is safe on a database
// Django has already migrated and with concurrent callers. The other way round, Django's migrate
// refuses to create a table that already exists; run `manage.py migrate
// --fake-initial` once on a database whose table was created from Go.
//
// session_data is the Codec's output (Django's signed, optionally compressed
// JSON). On SQLite, Django (with USE_TZ=True) stores expire_date as the text
// of a naive UTC datetime, "YYYY-MM-DD HH:MM:SS[.ffffff]", with the fraction
// left out when it is zero, and compares it as text; this package writes and
// compares exactly that shape (see [sqldb.FormatTime]). On MySQL and MariaDB
// expire_date is a datetime(6) holding the same naive UTC value; on
// PostgreSQL a timestamptz. Times are truncated to microseconds, the
// precision of all three.
//
// # Reads, writes and deadlines
//
// Load, Exists and the scan of DeleteUserSessions run on the DB's Read pool,
// everything else on its Write pool (on SQLite a separate reader pool and a
// single writer connection, see package sqldb). Every operation runs under
// sqldb.DB.Context: the caller's deadline, or the DB's Timeout (5 s by
// default) when that comes sooner, the wait for a pool connection included.
// Load is the exception on SQLite: a read of one row by key runs under
// sqldb.DB.PointContext, bounded by busy_timeout instead.
//
// # Decoding once per text
//
// Load remembers the dicts of the last Options.DecodeMemo session_data texts
// it decoded (DefaultDecodeMemo, 1,024). Decoding — base64, the HMAC check,
// zlib, JSON, about 7 µs of an uncached request's 60 — is a pure function
// of the text: Django's decode applies no max_age, and the keys are fixed
// for the Store's life. Every Load still reads its row; only a row whose
// text is byte for byte one seen before reuses the dict, so nothing stale
// can come out of it (a changed row has another text, and a logged-out
// session has no row). Texts that fail to decode are not kept. Each Load
// gets its own copy of the dict, as before.
//
// # Compare-and-swap
//
// Django saves by a blind UPDATE by key, so two requests that load one
// session and each change a different key lose one of the changes. Here a
// Record's Version is the session_data text it was loaded with, and Save is
//
//	UPDATE django_session SET session_data=?, expire_date=?
//	WHERE session_key=? AND session_data=?
//
// When no row changes, Save looks the key up: a row that exists (with other
// data) is sessions.ErrConflict, a missing row sessions.ErrNotFound (Django's
// UpdateError: a concurrent logout deleted it). On MySQL the comparison is
// binary (session_data = BINARY ?): the default collations ignore case and
// trailing spaces. The session layer reloads and
// re-applies its own changes on ErrConflict, so two requests that change
// different keys of one session both keep their change; when both change the
// same key, the request that commits last wins for that key (its value is
// re-applied on top of the other's), and no other key is lost. No schema
// change is needed, so Django keeps working on the same table (its own blind
// writes are still detected by our compare-and-swap, though not the other way
// round).
//
// Like Django's exists(), [Store.Exists] ignores expire_date: the key of an
// expired row that ClearExpired has not removed yet is still taken.
//
// Create is INSERT … ON CONFLICT (session_key) DO NOTHING (on MySQL a plain
// INSERT whose duplicate-key error is recognised); no inserted row is
// sessions.ErrKeyExists (Django's CreateError, whatever the existing row's
// expiry).
//
// # Stores layered on this one
//
// A Record's Version is the row's session_data text, exactly as stored, and
// Save returns the new one. That is the whole contract cached_db
// (sessions/redisstore) builds on: it remembers which row its cached copy
// came from and hands that text back to Save as the expected Version.
//
// # Concurrency on SQLite
//
// SQLite allows one writer at a time. sqldb.Open gives the store one writer
// connection (BEGIN IMMEDIATE, busy_timeout, WAL) and a pool of query_only
// readers, so reads never wait for writers and writers of the process queue
// in Go under their deadlines. Every statement this package runs outside
// CreateTables is a single autocommit statement. If you open the database
// yourself (sqldb.New), use sqldb.SQLitePragmas; Django's SQLite backend sets
// none of them but works with a WAL database.
//
// # Log out everywhere
//
// Django keeps the user id inside the signed session_data, so there is no index
// to find one user's sessions. [Store.DeleteUserSessions] walks the whole table
// in primary-key order in batches (keyset pagination, so it never holds a long
// transaction or lock), decodes and verifies every row and deletes the
// matching keys. Its cost is linear in the number of rows: one read of the
// table plus an HMAC and a JSON decode per row (see docs/benchmarks.md for the
// measured time on 100,000 rows). Run it from a background job for large
// tables, or keep your own user→session index if you need it on every request.
package dbstore
