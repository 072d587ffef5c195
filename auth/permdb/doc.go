// Package permdb loads Django's groups and permissions from its own tables
// (auth_permission, django_content_type, auth_group_permissions and the user
// model's groups and user_permissions tables) on SQLite or PostgreSQL: a
// [Loader] is the auth.PermissionSource behind auth.HasPerm.
//
// A user's permissions come in one round trip, a UNION of the permissions
// granted to the user and those of its groups (ModelBackend's two queries),
// prepared once per Loader; each is "<app_label>.<codename>". The rules on
// top (superusers have every permission, inactive and anonymous users none)
// are package auth's; wrap the Loader with auth.UserCache.CachePermissions
// to cache it with the users.
//
// The user model's many-to-many tables are named explicitly (Options), so a
// custom AUTH_USER_MODEL fits: Django names them "<table>_groups" and
// "<table>_user_permissions" with the column "<model>_id"; Options.UserID
// turns Django's str(pk) into the column's value (a UUID key is 32 hex
// characters on SQLite, a uuid on PostgreSQL). Identifiers are quoted and
// checked; queries use ? placeholders, rewritten for PostgreSQL.
//
// CreateTables runs Django's DDL (as "migrate" leaves it, in Django 4.2 and
// 5.2) for the tables that are missing, for tests and Go-first setups; on a
// Django project, Django's migrations own them.
package permdb
