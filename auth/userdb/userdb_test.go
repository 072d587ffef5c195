package userdb

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/internal/testenv"
	"github.com/dmr-go/dmr/sqldb"
)

func openSQLite(t testing.TB) *sql.DB {
	return openURL(t, "sqlite:"+filepath.Join(t.TempDir(), "db.sqlite3")).Write
}

func openURL(t testing.TB, url string) *sqldb.DB {
	t.Helper()
	db, err := sqldb.Open(context.Background(), url, sqldb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// djangoDDL is what Django's migrations leave (django-admin sqlmigrate /
// schema dumps of Django 3.2–6.1): the SQLite table, and the PostgreSQL
// table as Django 3.2 made it (serial id).
var djangoDDL = map[Dialect][]string{
	SQLite: {`CREATE TABLE "auth_user" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "password" varchar(128) NOT NULL, "last_login" datetime NULL, "is_superuser" bool NOT NULL, "username" varchar(150) NOT NULL UNIQUE, "last_name" varchar(150) NOT NULL, "email" varchar(254) NOT NULL, "is_staff" bool NOT NULL, "is_active" bool NOT NULL, "date_joined" datetime NOT NULL, "first_name" varchar(150) NOT NULL)`},
	Postgres: {
		`CREATE TABLE "auth_user" ("id" serial NOT NULL PRIMARY KEY, "password" varchar(128) NOT NULL, "last_login" timestamp with time zone NULL, "is_superuser" boolean NOT NULL, "username" varchar(150) NOT NULL UNIQUE, "first_name" varchar(150) NOT NULL, "last_name" varchar(150) NOT NULL, "email" varchar(254) NOT NULL, "is_staff" boolean NOT NULL, "is_active" boolean NOT NULL, "date_joined" timestamp with time zone NOT NULL)`,
		`CREATE INDEX "auth_user_username_6821ab7c_like" ON "auth_user" ("username" varchar_pattern_ops)`,
	},
}

func dialects(testing.TB) map[string]func(t testing.TB) *sqldb.DB {
	return map[string]func(t testing.TB) *sqldb.DB{
		"sqlite":   func(t testing.TB) *sqldb.DB { return openURL(t, "sqlite:"+filepath.Join(t.TempDir(), "db.sqlite3")) },
		"postgres": func(t testing.TB) *sqldb.DB { return openURL(t, testenv.PostgresURL(t)) },
		"mysql":    func(t testing.TB) *sqldb.DB { return openURL(t, testenv.MySQLURL(t)) },
	}
}

func TestStore(t *testing.T) {
	for name, open := range dialects(t) {
		for _, djangoMade := range []bool{false, true} {
			t.Run(name+map[bool]string{false: "/created by Go", true: "/created by Django"}[djangoMade], func(t *testing.T) {
				sdb := open(t)
				db, d := sdb.Write, sdb.Dialect
				_ = d
				ctx := context.Background()
				if djangoMade {
					for _, stmt := range djangoDDL[d] {
						if _, err := db.ExecContext(ctx, stmt); err != nil {
							t.Fatal(err)
						}
					}
				}
				s, err := New(sdb)
				if err != nil {
					t.Fatal(err)
				}
				for range 2 { // idempotent
					if err := s.CreateTables(ctx); err != nil {
						t.Fatal(err)
					}
				}
				testStore(t, s)
			})
		}
	}
}

func testStore(t *testing.T, s *Store) {
	ctx := context.Background()
	joined := time.Date(2024, 1, 2, 3, 4, 5, 123456789, time.FixedZone("X", 3600))
	u := &auth.User{Password: "pbkdf2_sha256$1$s$h", Username: "alice", FirstName: "Alice", LastName: "Liddell",
		Email: "alice@example.com", IsActive: true, IsStaff: true, DateJoined: joined}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if u.ID == "" {
		t.Fatal("no id")
	}
	if err := s.CreateUser(ctx, &auth.User{Username: "alice", Password: "x"}); !errors.Is(err, auth.ErrUsernameTaken) {
		t.Errorf("duplicate username: %v", err)
	}
	got, err := s.UserByID(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := *u
	want.DateJoined = joined.UTC().Truncate(time.Microsecond)
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("UserByID:\n got %+v\nwant %+v", *got, want)
	}
	if got, err := s.UserByUsername(ctx, "alice"); err != nil || got.ID != u.ID {
		t.Errorf("UserByUsername = %v, %v", got, err)
	}
	for _, miss := range []string{"Alice", "alice ", ""} {
		_, err := s.UserByUsername(ctx, miss)
		if s.d == MySQL && miss != "" {
			// A *_ci collation with PAD SPACE: MySQL and MariaDB match
			// these, and so does Django's lookup there.
			if err != nil {
				t.Errorf("UserByUsername(%q) on MySQL: %v", miss, err)
			}
			continue
		}
		if !errors.Is(err, auth.ErrUserNotFound) {
			t.Errorf("UserByUsername(%q): %v", miss, err)
		}
	}
	if _, err := s.UserByID(ctx, "999"); !errors.Is(err, auth.ErrUserNotFound) {
		t.Errorf("UserByID(999): %v", err)
	}
	login := time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC)
	if err := s.UpdateLastLogin(ctx, u.ID, login); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPassword(ctx, u.ID, "md5$salt$hash"); err != nil {
		t.Fatal(err)
	}
	got, _ = s.UserByID(ctx, u.ID)
	if got.LastLogin == nil || !got.LastLogin.Equal(login) || got.Password != "md5$salt$hash" {
		t.Errorf("after updates: %+v", got)
	}
	if err := s.SetPassword(ctx, "999", "x"); !errors.Is(err, auth.ErrUserNotFound) {
		t.Errorf("SetPassword(999): %v", err)
	}
	if s.d == SQLite {
		// Django's storage format: naive UTC text, 0/1 booleans.
		var last, joinedText string
		var active, super int
		err := s.db.Write.QueryRowContext(ctx, `SELECT CAST(last_login AS TEXT), CAST(date_joined AS TEXT), is_active, is_superuser FROM auth_user WHERE id = ?`, u.ID).
			Scan(&last, &joinedText, &active, &super)
		if err != nil || last != "2025-06-07 08:09:10" || joinedText != "2024-01-02 02:04:05.123456" || active != 1 || super != 0 {
			t.Errorf("stored: %q %q %d %d %v", last, joinedText, active, super, err)
		}
	}
}

// TestSchema checks the created table against Django's: column order on
// SQLite, the identity column and the LIKE index on PostgreSQL.
func TestSchema(t *testing.T) {
	ctx := context.Background()
	t.Run("sqlite", func(t *testing.T) {
		sdb := openURL(t, "sqlite:"+filepath.Join(t.TempDir(), "db.sqlite3"))
		db := sdb.Write
		s, _ := New(sdb)
		if err := s.CreateTables(ctx); err != nil {
			t.Fatal(err)
		}
		var ddl string
		if err := db.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE name = 'auth_user'`).Scan(&ddl); err != nil {
			t.Fatal(err)
		}
		if ddl != djangoDDL[SQLite][0] {
			t.Errorf("DDL differs from Django's:\n got %s\nwant %s", ddl, djangoDDL[SQLite][0])
		}
	})
	t.Run("postgres", func(t *testing.T) {
		sdb := openURL(t, testenv.PostgresURL(t))
		db := sdb.Write
		s, _ := New(sdb)
		if err := s.CreateTables(ctx); err != nil {
			t.Fatal(err)
		}
		rows, err := db.QueryContext(ctx, `SELECT column_name, data_type, COALESCE(character_maximum_length, 0), is_nullable, is_identity
			FROM information_schema.columns WHERE table_name = 'auth_user' ORDER BY ordinal_position`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []string
		for rows.Next() {
			var name, typ, null, ident string
			var n int
			if err := rows.Scan(&name, &typ, &n, &null, &ident); err != nil {
				t.Fatal(err)
			}
			got = append(got, strings.Join([]string{name, typ, strconv.Itoa(n), null, ident}, " "))
		}
		want := []string{
			"id integer 0 NO YES", "password character varying 128 NO NO", "last_login timestamp with time zone 0 YES NO",
			"is_superuser boolean 0 NO NO", "username character varying 150 NO NO", "first_name character varying 150 NO NO",
			"last_name character varying 150 NO NO", "email character varying 254 NO NO", "is_staff boolean 0 NO NO",
			"is_active boolean 0 NO NO", "date_joined timestamp with time zone 0 NO NO",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("columns:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		var idx []string
		irows, err := db.QueryContext(ctx, `SELECT indexname FROM pg_indexes WHERE tablename = 'auth_user' ORDER BY indexname`)
		if err != nil {
			t.Fatal(err)
		}
		defer irows.Close()
		for irows.Next() {
			var n string
			irows.Scan(&n)
			idx = append(idx, n)
		}
		if strings.Join(idx, ",") != "auth_user_pkey,auth_user_username_6821ab7c_like,auth_user_username_key" {
			t.Errorf("indexes: %v", idx)
		}
	})
}
