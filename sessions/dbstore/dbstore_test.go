package dbstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dmr-go/dmr/internal/fakeclock"
	"github.com/dmr-go/dmr/internal/testenv"
	"github.com/dmr-go/dmr/pyjson"
	"github.com/dmr-go/dmr/sessions"
	"github.com/dmr-go/dmr/sessions/dbstore"
	"github.com/dmr-go/dmr/sessions/sessionstest"
	"github.com/dmr-go/dmr/sqldb"
)

const secretKey = "django-insecure-test-secret-key-0123456789abcdefghijklmnopqrstuv"

// testCodec is Django's session codec (signed, compressed JSON).
func testCodec(t testing.TB) *sessions.DjangoCodec {
	t.Helper()
	c, err := sessions.NewCodec(sessions.CodecOptions{SecretKey: []byte(secretKey)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Django's DDL, verbatim: SQLite from `sqlmigrate`/sqlite_master, PostgreSQL
// from `manage.py sqlmigrate sessions 0001` (3.2–6.1 identical).
var djangoDDL = map[sqldb.Dialect][]string{
	sqldb.SQLite: {
		`CREATE TABLE "django_session" ("session_key" varchar(40) NOT NULL PRIMARY KEY, "session_data" text NOT NULL, "expire_date" datetime NOT NULL)`,
		`CREATE INDEX "django_session_expire_date_a5c62663" ON "django_session" ("expire_date")`,
	},
	sqldb.Postgres: {
		`CREATE TABLE "django_session" ("session_key" varchar(40) NOT NULL PRIMARY KEY, "session_data" text NOT NULL, "expire_date" timestamp with time zone NOT NULL)`,
		`CREATE INDEX "django_session_expire_date_a5c62663" ON "django_session" ("expire_date")`,
		`CREATE INDEX "django_session_session_key_c0390e0f_like" ON "django_session" ("session_key" varchar_pattern_ops)`,
	},
	// `manage.py sqlmigrate sessions 0001` on MariaDB 10.11 (4.2 = 5.2).
	sqldb.MySQL: {
		"CREATE TABLE `django_session` (`session_key` varchar(40) NOT NULL PRIMARY KEY, `session_data` longtext NOT NULL, `expire_date` datetime(6) NOT NULL)",
		"CREATE INDEX `django_session_expire_date_a5c62663` ON `django_session` (`expire_date`)",
	},
}

// What a Django-migrated MariaDB database shows in information_schema.
var djangoMySQLColumns = []string{
	"session_key varchar(40) NO PRI",
	"session_data longtext NO ",
	"expire_date datetime(6) NO MUL",
}

var djangoMySQLIndexes = []string{
	"PRIMARY session_key 0",
	"django_session_expire_date_a5c62663 expire_date 1",
}

// What Django's migrated PostgreSQL database shows in pg_indexes and
// information_schema (Django 3.2.25, 4.2.28, 5.2.18 identical).
var djangoPGIndexes = []string{
	`CREATE INDEX django_session_expire_date_a5c62663 ON public.django_session USING btree (expire_date)`,
	`CREATE UNIQUE INDEX django_session_pkey ON public.django_session USING btree (session_key)`,
	`CREATE INDEX django_session_session_key_c0390e0f_like ON public.django_session USING btree (session_key varchar_pattern_ops)`,
}

var djangoPGColumns = []string{
	`session_key character varying 40 NO`,
	`session_data text <nil> NO`,
	`expire_date timestamp with time zone <nil> NO`,
}

type env struct {
	name    string
	dialect sqldb.Dialect
	open    func(t testing.TB) *sqldb.DB
}

// openURL opens a database with sqldb's defaults, closed when t ends.
func openURL(t testing.TB, url string) *sqldb.DB {
	t.Helper()
	db, err := sqldb.Open(context.Background(), url, sqldb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func sqliteDB(t testing.TB) *sqldb.DB {
	return openURL(t, "sqlite:"+filepath.Join(t.TempDir(), "db.sqlite3"))
}

// envs are the databases every test runs on.
var envs = []env{
	{"sqlite", sqldb.SQLite, sqliteDB},
	{"postgres", sqldb.Postgres, func(t testing.TB) *sqldb.DB { return openURL(t, testenv.PostgresURL(t)) }},
	{"mariadb", sqldb.MySQL, func(t testing.TB) *sqldb.DB { return openURL(t, testenv.MySQLURL(t)) }},
}

// execSQL runs a statement written with ? placeholders on the write pool.
func execSQL(ctx context.Context, db *sqldb.DB, q string, args ...any) error {
	_, err := db.Write.ExecContext(ctx, db.Dialect.Rebind(q), args...)
	return err
}

func newStore(t *testing.T, e env, now func() time.Time) *dbstore.Store {
	t.Helper()
	s, err := dbstore.New(e.open(t), dbstore.Options{Codec: testCodec(t), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateTables(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func obj(kv ...any) *pyjson.Object {
	o := pyjson.NewObject(len(kv) / 2)
	for i := 0; i < len(kv); i += 2 {
		o.Set(kv[i].(string), kv[i+1])
	}
	return o
}

func dump(o *pyjson.Object) string {
	var b strings.Builder
	for _, k := range o.Keys() {
		v, _ := o.Get(k)
		fmt.Fprintf(&b, "%s=%v;", k, v)
	}
	return b.String()
}

func forEach(t *testing.T, f func(t *testing.T, e env)) {
	for _, e := range envs {
		t.Run(e.name, func(t *testing.T) { f(t, e) })
	}
}

func TestCorruptDataIsEmptySession(t *testing.T) {
	forEach(t, func(t *testing.T, e env) {
		ctx := context.Background()
		s := newStore(t, e, nil)
		key := "corruptcorruptcorruptcorrupt0001"
		if _, err := s.Create(ctx, sessions.Record{Key: key, Data: obj("a", "b"), Expiry: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if err := execSQL(ctx, s.DB(), `UPDATE django_session SET session_data = 'tampered' WHERE session_key = ?`, key); err != nil {
			t.Fatal(err)
		}
		r, err := s.Load(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if r.Data.Len() != 0 || r.Version != "tampered" {
			t.Fatalf("got %q version %q, want empty data and the stored text as version", dump(r.Data), r.Version)
		}
		r.Data = obj("fresh", true)
		if _, err := s.Save(ctx, r); err != nil {
			t.Fatalf("Save over corrupt row: %v", err)
		}
	})
}

func TestInvalidKeys(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, envs[0], nil)
	long := strings.Repeat("k", dbstore.MaxKeyLength+1)
	for _, key := range []string{"", long} {
		if _, err := s.Load(ctx, key); !errors.Is(err, sessions.ErrNotFound) {
			t.Errorf("Load(%q) = %v", key, err)
		}
		if _, err := s.Create(ctx, sessions.Record{Key: key, Data: obj(), Expiry: time.Now().Add(time.Hour)}); err == nil {
			t.Errorf("Create(%q) succeeded", key)
		}
		if ok, err := s.Exists(ctx, key); ok || err != nil {
			t.Errorf("Exists(%q) = %v, %v", key, ok, err)
		}
	}
	if _, err := s.Create(ctx, sessions.Record{Key: strings.Repeat("k", dbstore.MaxKeyLength), Data: obj(), Expiry: time.Now().Add(time.Hour)}); err != nil {
		t.Errorf("Create(40-char key) = %v", err)
	}
}

// TestSQLiteDateTimeText checks the exact text Django writes and compares.
func TestSQLiteDateTimeText(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, envs[0], nil)
	cases := []struct {
		key  string
		exp  time.Time
		want string
	}{
		{"sqlitetime000000000000000000000a", time.Date(2026, 12, 9, 18, 14, 16, 164768000, time.UTC), "2026-12-09 18:14:16.164768"},
		{"sqlitetime000000000000000000000b", time.Date(2026, 12, 9, 18, 14, 16, 0, time.UTC), "2026-12-09 18:14:16"},
		{"sqlitetime000000000000000000000c", time.Date(2026, 12, 9, 18, 14, 16, 999, time.UTC), "2026-12-09 18:14:16"},
		{"sqlitetime000000000000000000000d", time.Date(2026, 12, 9, 19, 14, 16, 5000, time.FixedZone("CET", 3600)), "2026-12-09 18:14:16.000005"},
	}
	for _, c := range cases {
		if got := sqldb.FormatTime(c.exp); got != c.want {
			t.Errorf("FormatTime(%v) = %q, want %q", c.exp, got, c.want)
		}
		if _, err := s.Create(ctx, sessions.Record{Key: c.key, Data: obj(), Expiry: c.exp}); err != nil {
			t.Fatal(err)
		}
		var stored, typ string
		if err := s.DB().Read.QueryRowContext(ctx, `SELECT CAST(expire_date AS TEXT), typeof(expire_date) FROM django_session WHERE session_key = ?`, c.key).Scan(&stored, &typ); err != nil {
			t.Fatal(err)
		}
		if stored != c.want || typ != "text" {
			t.Errorf("stored %q (%s), want %q (text)", stored, typ, c.want)
		}
		back, err := sqldb.ParseTime(stored)
		if err != nil || !back.Equal(c.exp.Truncate(time.Microsecond)) {
			t.Errorf("ParseTime(%q) = %v, %v", stored, back, err)
		}
	}
	// A row Django wrote is read with its exact expiry and compared as text.
	if _, err := s.DB().Write.ExecContext(ctx, `INSERT INTO django_session VALUES ('djangowrote00000000000000000000aa', 'eyJmb28iOiJiYXIifQ:1r31eq:Gs1AV0QVJZ9d2maCcgNyGDFLEpJ1jYtEx5VIK3g-640', '2999-01-02 03:04:05.060708')`); err != nil {
		t.Fatal(err)
	}
	r, err := s.Load(ctx, "djangowrote00000000000000000000aa")
	if err != nil {
		t.Fatal(err)
	}
	if dump(r.Data) != "foo=bar;" {
		t.Errorf("Django's session_data decoded as %q", dump(r.Data))
	}
	if want := time.Date(2999, 1, 2, 3, 4, 5, 60708000, time.UTC); !r.Expiry.Equal(want) {
		t.Errorf("Expiry %v, want %v", r.Expiry, want)
	}
}

func TestCreateTablesTwiceAndOnDjangoSchema(t *testing.T) {
	forEach(t, func(t *testing.T, e env) {
		ctx := context.Background()
		for _, django := range []bool{false, true} {
			t.Run(fmt.Sprintf("django_first=%v", django), func(t *testing.T) {
				db := e.open(t)
				if django {
					for _, stmt := range djangoDDL[e.dialect] {
						if _, err := db.Write.ExecContext(ctx, stmt); err != nil {
							t.Fatalf("Django DDL: %v", err)
						}
					}
				}
				s, err := dbstore.New(db, dbstore.Options{Codec: testCodec(t)})
				if err != nil {
					t.Fatal(err)
				}
				for range 2 {
					if err := s.CreateTables(ctx); err != nil {
						t.Fatal(err)
					}
				}
				checkDjangoSchema(t, db, e.dialect)
				key := "schematestschematestschematest01"
				if _, err := s.Create(ctx, sessions.Record{Key: key, Data: obj("k", "v"), Expiry: time.Now().Add(time.Hour)}); err != nil {
					t.Fatal(err)
				}
				if r, err := s.Load(ctx, key); err != nil || dump(r.Data) != "k=v;" {
					t.Fatalf("Load = %q, %v", dump(r.Data), err)
				}
			})
		}
	})
}

func TestCreateTablesConcurrently(t *testing.T) {
	forEach(t, func(t *testing.T, e env) {
		db := e.open(t)
		s, err := dbstore.New(db, dbstore.Options{Codec: testCodec(t)})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() { errs[i] = s.CreateTables(context.Background()) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		checkDjangoSchema(t, db, e.dialect)
	})
}

// checkDjangoSchema compares what the database reports with Django's own
// migrated schema.
func checkDjangoSchema(t *testing.T, sdb *sqldb.DB, d sqldb.Dialect) {
	t.Helper()
	ctx := context.Background()
	db := sdb.Read
	var got []string
	if d == sqldb.MySQL {
		got = queryStrings(t, db, "SELECT CONCAT_WS(' ', column_name, column_type, is_nullable, column_key) FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'django_session' ORDER BY ordinal_position")
		if !slices.Equal(got, djangoMySQLColumns) {
			t.Errorf("columns:\n got %q\nwant %q", got, djangoMySQLColumns)
		}
		got = queryStrings(t, db, "SELECT CONCAT_WS(' ', index_name, column_name, non_unique) FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = 'django_session' ORDER BY index_name = 'PRIMARY' DESC, index_name, seq_in_index")
		if !slices.Equal(got, djangoMySQLIndexes) {
			t.Errorf("indexes:\n got %q\nwant %q", got, djangoMySQLIndexes)
		}
		return
	}
	if d == sqldb.SQLite {
		rows, err := db.QueryContext(ctx, `SELECT sql FROM sqlite_master WHERE tbl_name = 'django_session' AND sql IS NOT NULL ORDER BY type DESC, name`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			// SQLite keeps the statement as written; ours says IF NOT EXISTS.
			got = append(got, strings.Replace(s, " IF NOT EXISTS", "", 1))
		}
		if want := djangoDDL[sqldb.SQLite]; !slices.Equal(got, want) {
			t.Errorf("sqlite_master:\n got %q\nwant %q", got, want)
		}
		return
	}
	rows, err := db.QueryContext(ctx, `SELECT indexdef FROM pg_indexes WHERE tablename = 'django_session' ORDER BY indexname`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	rows.Close()
	if !slices.Equal(got, djangoPGIndexes) {
		t.Errorf("pg_indexes:\n got %q\nwant %q", got, djangoPGIndexes)
	}
	got = nil
	rows, err = db.QueryContext(ctx, `SELECT column_name, data_type, character_maximum_length, is_nullable FROM information_schema.columns WHERE table_name = 'django_session' ORDER BY ordinal_position`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, typ, null string
		var n sql.NullInt64
		if err := rows.Scan(&name, &typ, &n, &null); err != nil {
			t.Fatal(err)
		}
		l := "<nil>"
		if n.Valid {
			l = fmt.Sprint(n.Int64)
		}
		got = append(got, strings.Join([]string{name, typ, l, null}, " "))
	}
	if !slices.Equal(got, djangoPGColumns) {
		t.Errorf("columns:\n got %q\nwant %q", got, djangoPGColumns)
	}
}

func TestDeleteUserSessions(t *testing.T) {
	forEach(t, func(t *testing.T, e env) {
		ctx := context.Background()
		s := newStore(t, e, nil)
		exp := time.Now().Add(time.Hour)
		// More rows than one scan batch, so the keyset pagination is exercised.
		n := dbstore.ScanBatch + 234
		var want []string
		tx, err := s.DB().Write.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		codec := testCodec(t)
		for i := range n {
			key := fmt.Sprintf("user%028d", i)
			uid := fmt.Sprint(i % 7)
			data, _ := codec.Encode(obj("_auth_user_id", uid, "_auth_user_backend", "django.contrib.auth.backends.ModelBackend"))
			if i%50 == 0 {
				data = "corrupt" // skipped, never deleted
			}
			if _, err := tx.ExecContext(ctx, e.dialect.Rebind(`INSERT INTO django_session VALUES (?, ?, ?)`), key, data, e.dialect.TimeArg(exp)); err != nil {
				t.Fatal(err)
			}
			if uid == "3" && data != "corrupt" && key != "user0000000000000000000000000003" {
				want = append(want, key)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		got, err := s.DeleteUserSessions(ctx, "3", "user0000000000000000000000000003")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("deleted %d keys, want %d", len(got), len(want))
		}
		var left int
		if err := s.DB().Read.QueryRowContext(ctx, `SELECT count(*) FROM django_session`).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left != n-len(want) {
			t.Errorf("%d rows left, want %d", left, n-len(want))
		}
		if _, err := s.Load(ctx, "user0000000000000000000000000003"); err != nil {
			t.Errorf("kept session: %v", err)
		}
		again, err := s.UserSessionKeys(ctx, "3", "")
		if err != nil || len(again) != 1 {
			t.Errorf("after delete: %v %v", again, err)
		}
	})
}

func TestNewValidates(t *testing.T) {
	db := sqliteDB(t)
	if _, err := dbstore.New(&sqldb.DB{Read: db.Read, Write: db.Write}, dbstore.Options{Codec: testCodec(t)}); err == nil {
		t.Error("no dialect accepted")
	}
	if _, err := dbstore.New(db, dbstore.Options{}); err == nil {
		t.Error("no codec accepted")
	}
	if _, err := dbstore.New(nil, dbstore.Options{Codec: testCodec(t)}); err == nil {
		t.Error("nil db accepted")
	}
}

func queryStrings(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestConformance runs the sessions.Store contract suite on each database.
func TestConformance(t *testing.T) {
	forEach(t, func(t *testing.T, e env) {
		sessionstest.Run(t, func(t *testing.T, now func() time.Time) sessions.Store {
			return newStore(t, e, now)
		})
	})
}

// TestExpiryAndExists checks what is particular to django_session: expiry
// kept to the microsecond, Exists seeing expired rows until they are cleared
// (Django's exists() ignores expire_date), and ClearExpired's count.
func TestExpiryAndExists(t *testing.T) {
	forEach(t, func(t *testing.T, e env) {
		ctx := context.Background()
		c := fakeclock.New(time.Date(2026, 11, 25, 18, 0, 0, 123456789, time.UTC))
		s := newStore(t, e, c.Now)
		if ok, err := s.Exists(ctx, "expirykey00000000000000000000000"); err != nil || ok {
			t.Fatalf("Exists(missing) = %v, %v", ok, err)
		}
		for i, age := range []time.Duration{time.Second, time.Minute, time.Hour} {
			key := fmt.Sprintf("expirykey%023d", i)
			if _, err := s.Create(ctx, sessions.Record{Key: key, Data: obj("i", int64(i)), Expiry: c.Now().Add(age)}); err != nil {
				t.Fatal(err)
			}
		}
		r, err := s.Load(ctx, "expirykey00000000000000000000002")
		if err != nil {
			t.Fatal(err)
		}
		if want := c.Now().Add(time.Hour).Truncate(time.Microsecond); !r.Expiry.Equal(want) {
			t.Errorf("Expiry %v, want %v", r.Expiry, want)
		}
		c.Add(2 * time.Second)
		if _, err := s.Load(ctx, "expirykey00000000000000000000000"); !errors.Is(err, sessions.ErrNotFound) {
			t.Fatalf("Load(expired) = %v, want ErrNotFound", err)
		}
		if ok, _ := s.Exists(ctx, "expirykey00000000000000000000000"); !ok {
			t.Error("Exists(expired, not cleared) = false")
		}
		n, err := s.ClearExpiredCount(ctx)
		if err != nil || n != 1 {
			t.Fatalf("ClearExpired = %d, %v; want 1", n, err)
		}
		if ok, _ := s.Exists(ctx, "expirykey00000000000000000000000"); ok {
			t.Error("Exists(cleared) = true")
		}
		c.Add(time.Hour)
		if err := s.ClearExpired(ctx); err != nil {
			t.Fatal(err)
		}
		var left int
		if err := s.DB().Read.QueryRowContext(ctx, `SELECT count(*) FROM django_session`).Scan(&left); err != nil || left != 0 {
			t.Fatalf("rows left %d, %v", left, err)
		}
	})
}

// TestMySQLByteExactVersions: MySQL's default collations ignore case and
// trailing spaces, but the compare-and-swap must not; and on a connection
// without clientFoundRows (an UPDATE that changes nothing reports 0 rows),
// saving unchanged data is still a success, not a conflict.
func TestMySQLByteExactVersions(t *testing.T) {
	ctx := context.Background()
	url := testenv.MySQLURL(t)
	s := newStore(t, env{"mariadb", sqldb.MySQL, func(t testing.TB) *sqldb.DB { return openURL(t, url) }}, nil)
	key := "mysqlversionsmysqlversions000001"
	exp := time.Now().Add(time.Hour).Truncate(time.Second)
	if err := execSQL(ctx, s.DB(), "INSERT INTO django_session VALUES (?, ?, ?)", key, "abc", s.DB().Dialect.TimeArg(exp)); err != nil {
		t.Fatal(err)
	}
	r, err := s.Load(ctx, key) // "abc" does not decode: an empty session, Version "abc"
	if err != nil || r.Version != "abc" {
		t.Fatalf("Load = %+v, %v", r, err)
	}
	for _, stale := range []string{"ABC", "abc "} {
		r.Version = stale
		if _, err := s.Save(ctx, r); !errors.Is(err, sessions.ErrConflict) {
			t.Errorf("Save with Version %q over %q: %v, want ErrConflict", stale, "abc", err)
		}
	}

	// A pool opened without clientFoundRows.
	src, err := sqldb.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := sql.Open("mysql", strings.Replace(src.DSN, "clientFoundRows=true", "clientFoundRows=false", 1))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	s2, err := dbstore.New(sqldb.New(plain, sqldb.MySQL), dbstore.Options{Codec: testCodec(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	r.Version = "abc"
	r.Data = obj("k", "v")
	v1, err := s2.Save(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	r.Version = v1
	if v2, err := s2.Save(ctx, r); err != nil || v2 != v1 { // same data, same expiry: 0 rows changed
		t.Errorf("unchanged Save without clientFoundRows: %q, %v", v2, err)
	}
}
