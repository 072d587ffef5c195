// Package userdb keeps auth users in the Django project's own user table —
// auth_user, or the table of a custom AUTH_USER_MODEL — on SQLite,
// PostgreSQL or MySQL/MariaDB (through package sqldb), so that a Go service
// and a Django project share one user table.
//
// # The user model
//
// Model mirrors Django's settings: AUTH_USER_MODEL ("accounts.CustomUser",
// whose table is Django's default "<app_label>_<modelname>" unless
// Meta.db_table is given) and USERNAME_FIELD ("email"…). Open reads the
// table's schema once, at start-up, and fails with one line naming the
// table or column when the model does not fit (no table: run Django's
// migrate; no password, last_login or USERNAME_FIELD column: not a Django
// user model). From the schema it learns:
//
//   - the primary key and its kind: integer (AutoField, BigAutoField),
//     UUID (uuid on PostgreSQL and on MariaDB ≥ 10.7 with Django ≥ 5; char(32)
//     holding 32 hex digits on SQLite, MySQL and older pairings) or string.
//     User.ID is Django's str(pk) — "42", or the hyphenated lower-case UUID,
//     as sessions store it in _auth_user_id — and ids are read back as
//     Django's pk.to_python does (int() with whitespace, signs and
//     underscores; uuid.UUID(hex=) with or without hyphens, braces or
//     "urn:uuid:"). Every stored UUID form is read.
//   - which of AbstractUser's fields the model has. A model without
//     is_active has active users; without is_staff nobody is staff; without
//     is_superuser (no PermissionsMixin) nobody is a superuser and nobody
//     has permissions — Django's behaviour for such models.
//   - the extra columns, returned in User.Extra by every load, in the same
//     query.
//
// Info describes the model with the names Django derives from it: the m2m
// tables of PermissionsMixin ("<table>_groups" with the column
// "<modelname>_id"), the model's "view" permission, the key's type for a
// foreign key. PKArg converts a user id to the value a query on the key (or
// a foreign key to it) takes.
//
// New is the stock auth_user without reading the schema, for setups where
// Go creates the table: CreateTables runs Django's DDL for the dialect
// (SQLite column order as Django leaves it after auth.0012, an identity
// column on PostgreSQL, datetime(6) and bool on MySQL) only where the table
// is missing, so it accepts a database Django migrated. With a custom model
// Django's migrations own the table and CreateTables refuses
// (ErrCustomModel).
//
// # Values
//
// Values are written as Django writes them: datetimes in UTC with
// microsecond precision (text on SQLite, timestamptz on PostgreSQL, naive
// UTC datetime(6) on MySQL), booleans as 0/1 on SQLite and MySQL, and every
// column supplied (Django's tables have no defaults): CreateUser writes
// User.Extra into the extra columns, and a NOT NULL extra column missing
// from it gets its type's empty value. A UUID key is generated (version 4,
// as Django's default=uuid.uuid4) unless User.ID is set; an integer key is
// assigned by the database.
//
// Username lookups are exact matches on the USERNAME_FIELD column, as
// Django's get_by_natural_key: case-sensitive on SQLite and PostgreSQL, and
// case-insensitive under MySQL's *_ci collations, as Django there.
// UserByEmail is Django's email__iexact, for email login backends.
//
// # Loading the session and its user in one query
//
// Without a session or user cache, a request authenticated by its session
// reads two rows: the django_session row, then the user row its
// _auth_user_id names. SessionJoin, a sessions.Store on a dbstore.Store and
// a Store on the same database, reads both in one prepared query (the
// session row LEFT JOINed with the user row). SQL cannot join on the user
// id itself, which is inside the signed, possibly compressed session_data,
// so SessionJoin remembers, per session key, the user id it last saw in
// that session (a hint) and joins on that:
//
//   - Load of a key without a hint is the session store's Load; the
//     session's user id becomes its hint. Create and Save set the hint too,
//     so the request after a login made here is already joined.
//   - Load of a key with a hint reads the session row and the user row whose
//     key is the hint. The session is decoded exactly as dbstore.Store.Load
//     decodes it (same codec, same handling of corrupted data). Only when
//     its _auth_user_id equals the hint and the user row exists is the row
//     attached to the Record (an *auth.LoadedUser in Record.Attachment);
//     otherwise nothing is attached and the hint is updated or dropped.
//   - auth's GetUser hands the attached row to the session's backend, whose
//     user lookup on this Store (UserByID, for that id only) returns it
//     instead of querying. The backend's checks (is_active) and the session
//     auth hash check then run as always.
//
// The hint is never trusted: it only chooses which user row rides along
// with the session row, and the row is used only for the id the verified
// session data names, read in the same statement. A wrong or stale hint (the
// session now belongs to another user, was written by Django or another
// process) costs the second query once, as without SessionJoin. A deleted
// user joins no row, which the statement itself proves (the LEFT JOIN on that
// key found nothing in the same snapshot): the Record carries a
// LoadedUser with Missing set and the lookup finds no user without a second
// query, so a session cookie replayed after its user was deleted costs one
// query per request. An expired or deleted session loads nothing.
//
// Hints are kept per SessionJoin, in memory, at most
// SessionJoinOptions.MaxHints of them (DefaultMaxHints, 65,536: a few MB);
// when full, arbitrary ones make room. No caching store keeps an
// attachment (a sessions.LocalCache hit carries none), and an
// auth.UserCache in front of the Store caches the attached row as it would
// the queried one. Package manage uses SessionJoin when the caches are off
// and the session store is the db store.
//
// Reads go to the sqldb.DB's Read pool, writes to its Write pool, each
// under the database's per-operation deadline (sqldb.DB.Context; a user
// loaded by key on SQLite under sqldb.DB.PointContext).
package userdb
