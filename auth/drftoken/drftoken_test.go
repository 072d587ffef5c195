package drftoken

import (
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/userdb"
	"github.com/dmr-go/dmr/internal/testenv"
	"github.com/dmr-go/dmr/sqldb"
)

func openURL(t testing.TB, url string) *sqldb.DB {
	t.Helper()
	db, err := sqldb.Open(context.Background(), url, sqldb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func dialects() map[string]func(t testing.TB) *sqldb.DB {
	return map[string]func(t testing.TB) *sqldb.DB{
		"sqlite":   func(t testing.TB) *sqldb.DB { return openURL(t, "sqlite:"+filepath.Join(t.TempDir(), "db.sqlite3")) },
		"postgres": func(t testing.TB) *sqldb.DB { return openURL(t, testenv.PostgresURL(t)) },
		"mysql":    func(t testing.TB) *sqldb.DB { return openURL(t, testenv.MySQLURL(t)) },
	}
}

// What `manage.py sqlmigrate authtoken 0001` prints with Django 3.2, 4.2
// and 5.2 (DRF 3.14, 3.16, 3.18) for auth.User and for the interop
// project's accounts.CustomUser (UUID key).
var djangoSQL = map[string]map[sqldb.Dialect][]string{
	"auth_user": {
		sqldb.SQLite: {`CREATE TABLE "authtoken_token" ("key" varchar(40) NOT NULL PRIMARY KEY, "created" datetime NOT NULL, "user_id" integer NOT NULL UNIQUE REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED)`},
		sqldb.Postgres: {
			`CREATE TABLE "authtoken_token" ("key" varchar(40) NOT NULL PRIMARY KEY, "created" timestamp with time zone NOT NULL, "user_id" integer NOT NULL UNIQUE)`,
			`ALTER TABLE "authtoken_token" ADD CONSTRAINT "authtoken_token_user_id_35299eff_fk_auth_user_id" FOREIGN KEY ("user_id") REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED`,
			`CREATE INDEX "authtoken_token_key_10f0b77e_like" ON "authtoken_token" ("key" varchar_pattern_ops)`,
		},
		sqldb.MySQL: {
			"CREATE TABLE `authtoken_token` (`key` varchar(40) NOT NULL PRIMARY KEY, `created` datetime(6) NOT NULL, `user_id` integer NOT NULL UNIQUE)",
			"ALTER TABLE `authtoken_token` ADD CONSTRAINT `authtoken_token_user_id_35299eff_fk_auth_user_id` FOREIGN KEY (`user_id`) REFERENCES `auth_user` (`id`)",
		},
	},
	"accounts_customuser": {
		sqldb.SQLite: {`CREATE TABLE "authtoken_token" ("key" varchar(40) NOT NULL PRIMARY KEY, "created" datetime NOT NULL, "user_id" char(32) NOT NULL UNIQUE REFERENCES "accounts_customuser" ("id") DEFERRABLE INITIALLY DEFERRED)`},
		sqldb.Postgres: {
			`CREATE TABLE "authtoken_token" ("key" varchar(40) NOT NULL PRIMARY KEY, "created" timestamp with time zone NOT NULL, "user_id" uuid NOT NULL UNIQUE)`,
			`ALTER TABLE "authtoken_token" ADD CONSTRAINT "authtoken_token_user_id_35299eff_fk_accounts_customuser_id" FOREIGN KEY ("user_id") REFERENCES "accounts_customuser" ("id") DEFERRABLE INITIALLY DEFERRED`,
			`CREATE INDEX "authtoken_token_key_10f0b77e_like" ON "authtoken_token" ("key" varchar_pattern_ops)`,
		},
		sqldb.MySQL: {
			"CREATE TABLE `authtoken_token` (`key` varchar(40) NOT NULL PRIMARY KEY, `created` datetime(6) NOT NULL, `user_id` char(32) NOT NULL UNIQUE)",
			"ALTER TABLE `authtoken_token` ADD CONSTRAINT `authtoken_token_user_id_35299eff_fk_accounts_customuser_id` FOREIGN KEY (`user_id`) REFERENCES `accounts_customuser` (`id`)",
		},
	},
}

func statements(t sqldb.Table) []string {
	out := append([]string{t.Create}, t.Alter...)
	for _, ix := range t.Indexes {
		out = append(out, ix.Create)
	}
	return out
}

func TestSchemaIsDjangos(t *testing.T) {
	users := map[string]map[sqldb.Dialect]userdb.Info{
		"auth_user": {
			sqldb.SQLite:   {Table: "auth_user", PKColumn: "id", PK: userdb.PKInt, PKType: "integer"},
			sqldb.Postgres: {Table: "auth_user", PKColumn: "id", PK: userdb.PKInt, PKType: "integer"},
			sqldb.MySQL:    {Table: "auth_user", PKColumn: "id", PK: userdb.PKInt, PKType: "int(11)"},
		},
		"accounts_customuser": {
			sqldb.SQLite:   {Table: "accounts_customuser", PKColumn: "id", PK: userdb.PKUUID, PKType: "char(32)"},
			sqldb.Postgres: {Table: "accounts_customuser", PKColumn: "id", PK: userdb.PKUUID, PKType: "uuid"},
			sqldb.MySQL:    {Table: "accounts_customuser", PKColumn: "id", PK: userdb.PKUUID, PKType: "char(32)"},
		},
	}
	for table, byDialect := range djangoSQL {
		for d, want := range byDialect {
			got := statements(Schema(d, users[table][d]))
			if len(got) != len(want) {
				t.Fatalf("%s %v: %q, want %q", table, d, got, want)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("%s %v:\n got %s\nwant %s", table, d, got[i], want[i])
				}
			}
		}
	}
	// Django's shortening of long names (PostgreSQL's 63 characters), as
	// in permdb's auth_permission_content_type_id_2f476e4b_fk_django_co.
	if got := sqldb.IndexName(sqldb.Postgres, Table, []string{"user_id"}, "_fk_accounts_very_long_custom_user_model_name_id"); len(got) > 63 || got != "authtoken_token_user_id_35299eff_fk_accounts_" {
		t.Errorf("shortened name %q (%d)", got, len(got))
	}
}

var keyRE = regexp.MustCompile(`^[0-9a-f]{40}$`)

func TestGenerateKey(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		k := GenerateKey()
		if !keyRE.MatchString(k) || seen[k] {
			t.Fatalf("key %q (seen %v)", k, seen[k])
		}
		seen[k] = true
	}
}

func newStores(t *testing.T, db *sqldb.DB) (*userdb.Store, *Store, *auth.User) {
	t.Helper()
	ctx := context.Background()
	users, err := userdb.New(db)
	if err != nil {
		t.Fatal(err)
	}
	if err := users.CreateTables(ctx); err != nil {
		t.Fatal(err)
	}
	u := &auth.User{Username: "alice", IsActive: true, Password: "!", DateJoined: time.Now()}
	if err := users.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	users, err = userdb.Open(ctx, db, userdb.Model{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(db, users, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return users, s, u
}

func TestStore(t *testing.T) {
	for name, open := range dialects() {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := open(t)
			_, s, u := newStores(t, db)
			var wg sync.WaitGroup
			errs := make(chan error, 4)
			for range 4 { // concurrent and repeated CreateTables
				wg.Go(func() { errs <- s.CreateTables(ctx) })
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			if err := s.CreateTables(ctx); err != nil {
				t.Fatal(err)
			}
			var deleted []string
			var mu sync.Mutex
			s.OnDelete(func(k string) { mu.Lock(); deleted = append(deleted, k); mu.Unlock() })

			if _, err := s.ForUser(ctx, u.ID); !errors.Is(err, ErrNotFound) {
				t.Fatalf("ForUser before Create: %v", err)
			}
			before := time.Now().UTC().Truncate(time.Microsecond)
			t1, created, err := s.Create(ctx, u.ID, false)
			if err != nil || !created || !keyRE.MatchString(t1.Key) || t1.UserID != u.ID || t1.Created.Before(before) {
				t.Fatalf("Create: %+v %v %v", t1, created, err)
			}
			got, err := s.Get(ctx, t1.Key)
			if err != nil || *got != *t1 {
				t.Fatalf("Get: %+v %v, want %+v", got, err, t1)
			}
			t2, created, err := s.Create(ctx, u.ID, false)
			if err != nil || created || *t2 != *t1 {
				t.Fatalf("second Create (get_or_create): %+v %v %v", t2, created, err)
			}
			// Concurrent get_or_create for one user: one token.
			var keys sync.Map
			_, _ = s.DeleteForUser(ctx, u.ID)
			for range 8 {
				wg.Go(func() {
					tk, _, err := s.Create(ctx, u.ID, false)
					if err != nil {
						t.Error(err)
						return
					}
					keys.Store(tk.Key, true)
				})
			}
			wg.Wait()
			n := 0
			keys.Range(func(any, any) bool { n++; return true })
			if n != 1 {
				t.Fatalf("concurrent Create made %d keys", n)
			}
			cur, _ := s.ForUser(ctx, u.ID)
			t3, created, err := s.Create(ctx, u.ID, true)
			if err != nil || !created || t3.Key == cur.Key {
				t.Fatalf("Create with reset: %+v %v %v", t3, created, err)
			}
			if _, err := s.Get(ctx, cur.Key); !errors.Is(err, ErrNotFound) {
				t.Fatalf("old key after reset: %v", err)
			}
			ok, err := s.Delete(ctx, t3.Key)
			if err != nil || !ok {
				t.Fatalf("Delete: %v %v", ok, err)
			}
			if ok, err := s.Delete(ctx, t3.Key); err != nil || ok {
				t.Fatalf("second Delete: %v %v", ok, err)
			}
			mu.Lock()
			if len(deleted) < 3 || deleted[len(deleted)-1] != t3.Key {
				t.Errorf("OnDelete saw %q", deleted)
			}
			mu.Unlock()
			if _, _, err := s.Create(ctx, "not-a-number", false); !errors.Is(err, ErrNotFound) {
				t.Errorf("Create for a bad id: %v", err)
			}
			if name != "sqlite" { // SQLite checks foreign keys only with PRAGMA foreign_keys
				if _, _, err := s.Create(ctx, "999999", false); err == nil {
					t.Errorf("Create for a missing user succeeded")
				}
			}
		})
	}
}

// A custom user model with a UUID key stored as char(32) (SQLite and MySQL
// as Django creates it).
func TestStoreUUIDUser(t *testing.T) {
	ctx := context.Background()
	db := openURL(t, "sqlite:"+filepath.Join(t.TempDir(), "db.sqlite3"))
	if _, err := db.Write.ExecContext(ctx, `CREATE TABLE "accounts_customuser" ("password" varchar(128) NOT NULL, "last_login" datetime NULL, "is_superuser" bool NOT NULL, "id" char(32) NOT NULL PRIMARY KEY, "email" varchar(254) NOT NULL UNIQUE, "display_name" varchar(100) NOT NULL, "is_staff" bool NOT NULL, "is_active" bool NOT NULL, "date_joined" datetime NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	users, err := userdb.Open(ctx, db, userdb.Model{Name: "accounts.CustomUser", UsernameField: "email"})
	if err != nil {
		t.Fatal(err)
	}
	u := &auth.User{Username: "a@example.com", IsActive: true, Password: "!", DateJoined: time.Now(), Extra: map[string]any{"display_name": "A"}}
	if err := users.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	s, err := New(db, users, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateTables(ctx); err != nil {
		t.Fatal(err)
	}
	tok, _, err := s.Create(ctx, u.ID, false)
	if err != nil || tok.UserID != u.ID {
		t.Fatalf("Create: %+v %v (user %s)", tok, err, u.ID)
	}
	var stored string
	if err := db.Read.QueryRowContext(ctx, `SELECT "user_id" FROM "authtoken_token"`).Scan(&stored); err != nil || len(stored) != 32 {
		t.Fatalf("stored user_id %q %v: want Django's 32 hex digits", stored, err)
	}
	got, err := s.Get(ctx, tok.Key)
	if err != nil || got.UserID != u.ID {
		t.Fatalf("Get: %+v %v", got, err)
	}
}
