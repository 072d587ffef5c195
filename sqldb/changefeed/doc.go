// Package changefeed tells a process, from the database itself, which
// sessions, users and permissions changed, whoever changed them: Django,
// another replica, psql. The session and user caches (sessions.LocalCache,
// auth.UserCache) evict on its events instead of trusting what they hold
// for a time to live.
//
// # Events
//
// An [Event] is a (Kind, Key): [Session] with a session key, [User] with
// the user's key as text, [UserPerms] with the user whose groups or direct
// permissions changed, [AllPerms] (no key) when a group, a permission or a
// group's permissions changed. A [Feed] calls Options.OnEvent for each, from
// one goroutine, and Options.OnReset when it comes back after an outage;
// [Feed.Live] (one atomic load) says whether it is delivering.
//
// # Triggers
//
// [Install] puts triggers on the tables named by [Targets] (django_session,
// the user model's table, its groups and user_permissions m2m tables, and
// auth_group_permissions, auth_permission, auth_group); [Remove] drops
// them; both are idempotent. [Check] lists what is missing as a
// [MissingError]. Installing triggers on tables Django owns is the
// operator's decision, so nothing installs them implicitly.
//
//   - PostgreSQL: one trigger per table calling the function
//     dmr_cache_notify(), which runs pg_notify('dmr_cache', 'kind:key')
//     (row triggers on UPDATE/DELETE of sessions and users, INSERT too on
//     the m2m tables; statement triggers, TRUNCATE included, on the three
//     tables that change everyone's permissions). [Listen] holds one
//     dedicated connection per process doing LISTEN dmr_cache.
//   - SQLite and MySQL/MariaDB have no notifications: one trigger per table
//     and event appends (kind, k, at) to the table dmr_cache_changelog,
//     which [Poll] reads every Options.Interval (default 50 ms) with
//     SELECT … WHERE id > last ORDER BY id, starting after MAX(id). Any
//     poller deletes rows older than Options.Retention (default 1 minute).
//
// Django's migrations keep working with the triggers in place: they fire
// on the migrations' own writes (harmless evictions). On SQLite, however,
// Django's schema editor applies most ALTERs by remaking the table (create
// a copy, copy the rows, drop the old table, rename), which drops the
// table's triggers; on every database a migration that drops and recreates
// a table does the same. [Check] catches it: run installtriggers again
// after such a migration (the manage command's start-up check refuses to
// start until then).
//
// # Guarantees
//
// The threat is a stale cache entry: a session logged out, a user
// deactivated or whose password or permissions changed, still served from
// memory. With a feed the bound on that staleness is:
//
//   - PostgreSQL (Listen): the notification's delivery after the commit,
//     typically well under a millisecond on one host. A killed connection
//     is seen at once (Live false); a silently dead one (a network
//     partition without a reset) within Options.Heartbeat (5 s) plus
//     Options.Timeout (1 s), the ping's bound.
//   - Change log (Poll): Options.Interval plus the poll's duration; a poll
//     slower than Options.Timeout (1 s) counts as failed. On MySQL an
//     insert whose transaction commits after a later one's is still read:
//     the poller re-reads past a hole in the ids for 5 s before giving up
//     on it (a rolled-back insert leaves a permanent hole).
//   - Always: the caches keep their own TTL as a safety net.
//
// On an outage (the LISTEN connection lost, a poll failing, a poller that
// did not run for half the retention) Live turns false at once and the
// caches are bypassed: every lookup goes to the database, nothing loaded
// meanwhile is stored. When the feed is back (PostgreSQL: reconnected with
// backoff from 50 ms to Options.MaxBackoff, LISTEN issued) OnReset runs
// first, the caches flush, then Live turns true. A load that started before
// the flush cannot store what it read (the caches' generation check), so no
// change made during the outage survives it.
//
// Not covered: changes that bypass triggers (TRUNCATE of django_session or
// of the user tables, session_replication_role = replica on PostgreSQL,
// MySQL's foreign-key cascades, which fire no triggers: deleting a user
// through Django deletes its m2m rows explicitly, so that path is covered),
// and key changes of a row (Django never changes a primary key). Sessions
// kept in Redis (DMR_SESSION_STORE=redis) do not go through the database:
// their local cache keeps its TTL bound.
package changefeed
