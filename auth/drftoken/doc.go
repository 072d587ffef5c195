// Package drftoken keeps Django REST framework's tokens
// (rest_framework.authtoken.models.Token) in authtoken_token, shared with a
// Django project on SQLite, PostgreSQL or MySQL/MariaDB: a token created by
// Django (drf_create_token, Token.objects.create, the obtain_auth_token
// view) is read here, and one created here is accepted by DRF's
// TokenAuthentication.
//
// A row is (key varchar(40) primary key, created datetime, user_id unique
// foreign key to the user model's key): one token per user. Keys are made as
// DRF makes them ([GenerateKey]: 20 random bytes as 40 lower-case hex
// digits); created is written as Django writes a DateTimeField under
// USE_TZ=True on each database (sqldb.Dialect.TimeArg); user_id as Django
// stores the user model's key (integers, UUIDs as char(32) or uuid, strings),
// read back as auth.User.ID (Django's str(pk)).
//
// [Store.Create] is drf_create_token's Token.objects.get_or_create(user=…),
// with reset its -r; [Store.Delete] and [Store.DeleteForUser] delete, and
// tell the caches registered with [Store.OnDelete] (the token auth's, in
// package security/tokenauth) at once.
//
// # Who creates the table
//
// [Store.CreateTables] creates the table exactly as DRF's migration
// authtoken.0001_initial does on each database ([Schema]: the columns, the
// foreign key under Django's constraint name, PostgreSQL's _like index), and
// does nothing when the table exists: Django first, then Go, is a no-op.
// When Go creates the table first, Django's `migrate` must then be run with
// --fake-initial, which records 0001_initial as applied because its table
// exists (the same rule as for django_session, see package manage);
// migrations 0002–0004 change nothing in the database.
//
// # Keys are stored in clear
//
// DRF stores the key itself, not a hash of it, and looks it up by primary
// key; to stay compatible this package does the same. Anyone who can read
// authtoken_token (a backup, a read replica, SQL access) can use every
// token. See package security/tokenauth for the threat model.
package drftoken
