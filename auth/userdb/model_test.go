package userdb

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dmr-go/dmr/auth"
)

func TestParseModel(t *testing.T) {
	for _, tc := range []struct {
		in, app, model string
		ok             bool
	}{
		{"", "auth", "User", true},
		{"auth.User", "auth", "User", true},
		{"accounts.CustomUser", "accounts", "CustomUser", true},
		{"my_app.User2", "my_app", "User2", true},
		{"accounts", "", "", false},
		{"a.b.c", "", "", false},
		{".User", "", "", false},
		{"accounts.", "", "", false},
		{"acc-ounts.User", "", "", false},
		{"accounts.2User", "", "", false},
	} {
		app, model, err := ParseModel(tc.in)
		if (err == nil) != tc.ok || app != tc.app || model != tc.model {
			t.Errorf("ParseModel(%q) = %q, %q, %v", tc.in, app, model, err)
		}
	}
}

func TestModelResolve(t *testing.T) {
	for _, tc := range []struct {
		m                     Model
		table, groups, column string
	}{
		{Model{}, "auth_user", "auth_user_groups", "user_id"},
		{Model{Name: "accounts.CustomUser"}, "accounts_customuser", "accounts_customuser_groups", "customuser_id"},
		{Model{Name: "accounts.User", Table: "people"}, "people", "people_groups", "user_id"},
	} {
		info, err := Describe(tc.m)
		if err != nil {
			t.Fatal(err)
		}
		if info.Table != tc.table || info.GroupsTable != tc.groups || info.GroupsColumn != tc.column || info.UserPermissionsColumn != tc.column {
			t.Errorf("%+v: %+v", tc.m, info)
		}
	}
}

func TestParseIntPK(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"42", 42, true}, {" 42\n", 42, true}, {"+7", 7, true}, {"-3", -3, true}, {"1_000", 1000, true},
		{"", 0, false}, {"4 2", 0, false}, {"_1", 0, false}, {"1_", 0, false}, {"1__0", 0, false},
		{"0x10", 0, false}, {"1.0", 0, false}, {"9223372036854775808", 0, false}, {"a", 0, false},
	} {
		got, ok := ParseIntPK(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseIntPK(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseUUID(t *testing.T) {
	const want = "12345678-1234-5678-1234-567812345678"
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{want, true},
		{"12345678123456781234567812345678", true},
		{"{12345678-1234-5678-1234-567812345678}", true},
		{"urn:uuid:12345678-1234-5678-1234-567812345678", true},
		{"12345678-1234-5678-1234-56781234567", false},
		{"12345678-1234-5678-1234-5678123456789", false},
		{"g2345678123456781234567812345678", false},
		{"", false},
	} {
		u, ok := ParseUUID(tc.in)
		if ok != tc.ok || (ok && u.String() != want) {
			t.Errorf("ParseUUID(%q) = %s, %v", tc.in, u, ok)
		}
	}
	if u, ok := ParseUUID("ABCDEF00ABCDEF00ABCDEF00ABCDEF00"); !ok || u.Hex() != "abcdef00abcdef00abcdef00abcdef00" {
		t.Errorf("upper case: %s %v", u, ok)
	}
	// Python's int(…, 16) takes a 0x prefix and underscores between digits.
	if u, ok := ParseUUID("0x345678123456781234567812345678"); !ok || u.Hex() != "00345678123456781234567812345678" {
		t.Errorf("0x prefix: %s %v", u, ok)
	}
	v := NewUUID4()
	if v[6]>>4 != 4 || v[8]>>6 != 2 {
		t.Errorf("NewUUID4 version/variant: %s", v)
	}
	if back, ok := ParseUUID(v.String()); !ok || back != v {
		t.Errorf("round trip %s", v)
	}
}

func FuzzParseUUID(f *testing.F) {
	for _, s := range []string{"12345678-1234-5678-1234-567812345678", "{0x_1}", "urn:uuid:", "1_2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, ok := ParseUUID(s)
		if !ok {
			return
		}
		back, ok := ParseUUID(u.String())
		if !ok || back != u {
			t.Fatalf("%q → %s does not round-trip", s, u)
		}
		if back, ok := ParseUUID(u.Hex()); !ok || back != u {
			t.Fatalf("%q → %s: hex does not round-trip", s, u)
		}
	})
}

func FuzzParseIntPK(f *testing.F) {
	for _, s := range []string{"1", " -2 ", "1_000", "+_1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := ParseIntPK(s)
		if !ok {
			return
		}
		if m, ok := ParseIntPK(strings.TrimSpace(s)); !ok || m != n {
			t.Fatalf("%q: whitespace changes the value", s)
		}
	})
}

// customDDL is Django's DDL (sqlmigrate output) for a custom user model
//
//	class CustomUser(AbstractBaseUser, PermissionsMixin):
//	    id = UUIDField(primary_key=True, default=uuid.uuid4)
//	    email = EmailField(unique=True)
//	    display_name = CharField(max_length=100, blank=True)
//	    is_staff = BooleanField(default=False)
//	    is_active = BooleanField(default=True)
//	    date_joined = DateTimeField(default=timezone.now)
//	    USERNAME_FIELD = "email"
//
// in the app "accounts", and for a bare AbstractBaseUser model with a
// bigint key and a username ("accounts.Member").
var customDDL = map[Dialect][]string{
	SQLite: {
		`CREATE TABLE "accounts_customuser" ("password" varchar(128) NOT NULL, "last_login" datetime NULL, "is_superuser" bool NOT NULL, "id" char(32) NOT NULL PRIMARY KEY, "email" varchar(254) NOT NULL UNIQUE, "display_name" varchar(100) NOT NULL, "is_staff" bool NOT NULL, "is_active" bool NOT NULL, "date_joined" datetime NOT NULL)`,
		`CREATE TABLE "accounts_member" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "password" varchar(128) NOT NULL, "last_login" datetime NULL, "handle" varchar(40) NOT NULL UNIQUE)`,
	},
	MySQL: {
		"CREATE TABLE `accounts_customuser` (`password` varchar(128) NOT NULL, `last_login` datetime(6) NULL, `is_superuser` bool NOT NULL, `id` char(32) NOT NULL PRIMARY KEY, `email` varchar(254) NOT NULL UNIQUE, `display_name` varchar(100) NOT NULL, `is_staff` bool NOT NULL, `is_active` bool NOT NULL, `date_joined` datetime(6) NOT NULL)",
		"CREATE TABLE `accounts_member` (`id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, `password` varchar(128) NOT NULL, `last_login` datetime(6) NULL, `handle` varchar(40) NOT NULL UNIQUE)",
	},
	Postgres: {
		`CREATE TABLE "accounts_customuser" ("password" varchar(128) NOT NULL, "last_login" timestamp with time zone NULL, "is_superuser" boolean NOT NULL, "id" uuid NOT NULL PRIMARY KEY, "email" varchar(254) NOT NULL UNIQUE, "display_name" varchar(100) NOT NULL, "is_staff" boolean NOT NULL, "is_active" boolean NOT NULL, "date_joined" timestamp with time zone NOT NULL)`,
		`CREATE TABLE "accounts_member" ("id" bigint NOT NULL PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY, "password" varchar(128) NOT NULL, "last_login" timestamp with time zone NULL, "handle" varchar(40) NOT NULL UNIQUE)`,
	},
}

func TestOpenCustomModel(t *testing.T) {
	for name, open := range dialects(t) {
		t.Run(name, func(t *testing.T) {
			sdb := open(t)
			db, d := sdb.Write, sdb.Dialect
			_ = d
			ctx := context.Background()
			for _, stmt := range customDDL[d] {
				if _, err := db.ExecContext(ctx, stmt); err != nil {
					t.Fatal(err)
				}
			}
			s, err := Open(ctx, sdb, Model{Name: "accounts.CustomUser", UsernameField: "email"})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			info := s.Info()
			if info.PK != PKUUID || info.Table != "accounts_customuser" || !info.HasPermissions ||
				info.GroupsColumn != "customuser_id" || strings.Join(info.Extra, ",") != "display_name" || info.ViewPermission() != "accounts.view_customuser" {
				t.Fatalf("Info = %+v", info)
			}
			u := &auth.User{Username: "ann@example.com", Password: "x", IsActive: true, IsStaff: true, Extra: map[string]any{"display_name": "Ann"}}
			if err := s.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			if _, ok := ParseUUID(u.ID); !ok || len(u.ID) != 36 {
				t.Fatalf("new id %q", u.ID)
			}
			if err := s.CreateUser(ctx, &auth.User{Username: "ann@example.com"}); !errors.Is(err, auth.ErrUsernameTaken) {
				t.Errorf("duplicate email: %v", err)
			}
			// The key as Django stores it: 32 hex digits in char(32), native uuid.
			var stored string
			cast := "CAST(" + d.Quote("id") + " AS TEXT)"
			if d == MySQL {
				cast = "CAST(" + d.Quote("id") + " AS CHAR)"
			}
			if err := db.QueryRowContext(ctx, "SELECT "+cast+" FROM "+d.Quote("accounts_customuser")).Scan(&stored); err != nil {
				t.Fatal(err)
			}
			if wantLen := map[Dialect]int{SQLite: 32, Postgres: 36, MySQL: 32}[d]; len(stored) != wantLen {
				t.Errorf("stored key %q", stored)
			}
			uid, _ := ParseUUID(u.ID)
			for _, id := range []string{u.ID, uid.Hex(), strings.ToUpper(u.ID), "{" + u.ID + "}"} {
				got, err := s.UserByID(ctx, id)
				if err != nil {
					t.Fatalf("UserByID(%q): %v", id, err)
				}
				if got.ID != u.ID || got.Username != "ann@example.com" || got.Email != "ann@example.com" || !got.IsStaff || !got.IsActive ||
					got.Extra["display_name"] != "Ann" || got.DateJoined.IsZero() {
					t.Errorf("UserByID(%q) = %+v", id, got)
				}
			}
			if _, err := s.UserByID(ctx, "42"); !errors.Is(err, auth.ErrUserNotFound) {
				t.Errorf("an integer id on a UUID model: %v", err)
			}
			got, err := s.UserByUsername(ctx, "ann@example.com")
			if err != nil || got.ID != u.ID {
				t.Fatalf("UserByUsername: %v %v", got, err)
			}
			now := time.Date(2026, 3, 4, 5, 6, 7, 891011000, time.UTC)
			if err := s.UpdateLastLogin(ctx, u.ID, now); err != nil {
				t.Fatal(err)
			}
			if err := s.SetPassword(ctx, u.ID, "new"); err != nil {
				t.Fatal(err)
			}
			got, _ = s.UserByID(ctx, u.ID)
			if got.Password != "new" || got.LastLogin == nil || !got.LastLogin.Equal(now) {
				t.Errorf("after updates: %+v", got)
			}
			// A missing NOT NULL extra column gets its type's empty value.
			if err := s.CreateUser(ctx, &auth.User{Username: "bob@example.com", IsActive: true}); err != nil {
				t.Fatal(err)
			}
			list, err := s.ListUsers(ctx, 10)
			if err != nil || len(list) != 2 {
				t.Fatalf("ListUsers: %v %v", list, err)
			}

			// A bare AbstractBaseUser model: active, not staff, no permissions.
			m, err := Open(ctx, sdb, Model{Name: "accounts.Member", UsernameField: "handle"})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			if info := m.Info(); info.PK != PKInt || info.HasPermissions || len(info.Extra) != 0 {
				t.Fatalf("member Info = %+v", info)
			}
			mu := &auth.User{Username: "zed", Password: "p"}
			if err := m.CreateUser(ctx, mu); err != nil {
				t.Fatal(err)
			}
			got, err = m.UserByID(ctx, mu.ID)
			if err != nil || got.Username != "zed" || !got.IsActive || got.IsStaff || got.IsSuperuser || !got.DateJoined.IsZero() {
				t.Fatalf("member = %+v, %v", got, err)
			}
			if err := m.CreateTables(ctx); !errors.Is(err, ErrCustomModel) {
				t.Errorf("CreateTables on a custom model: %v", err)
			}
		})
	}
}

func TestOpenRefusesWhatDoesNotFit(t *testing.T) {
	for name, open := range dialects(t) {
		t.Run(name, func(t *testing.T) {
			sdb := open(t)
			db, d := sdb.Write, sdb.Dialect
			_ = d
			ctx := context.Background()
			for _, stmt := range customDDL[d] {
				if _, err := db.ExecContext(ctx, stmt); err != nil {
					t.Fatal(err)
				}
			}
			for _, tc := range []struct {
				m    Model
				want string
			}{
				{Model{Name: "accounts.Missing"}, "accounts_missing"},
				{Model{Name: "accounts.CustomUser"}, "no column username (USERNAME_FIELD)"},
				{Model{Name: "accounts.CustomUser", UsernameField: "email", PK: PKInt}, "not an integer"},
				{Model{Name: "nodot"}, "app_label.model_name"},
			} {
				_, err := Open(ctx, sdb, tc.m)
				if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
					t.Errorf("Open(%+v) = %v; want one line with %q", tc.m, err, tc.want)
				}
			}
			if _, err := Open(ctx, sdb, Model{Name: "shop.User"}); !errors.Is(err, ErrNoTable) {
				t.Errorf("missing table: %v", err)
			}
		})
	}
}

// The stock table read through Open is the same as through New.
func TestOpenStock(t *testing.T) {
	for name, open := range dialects(t) {
		t.Run(name, func(t *testing.T) {
			sdb := open(t)
			ctx := context.Background()
			s, _ := New(sdb)
			if err := s.CreateTables(ctx); err != nil {
				t.Fatal(err)
			}
			u := &auth.User{Username: "ann", Password: "x", IsActive: true, Email: "a@b.c", FirstName: "A"}
			if err := s.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			o, err := Open(ctx, sdb, Model{})
			if err != nil {
				t.Fatal(err)
			}
			a, _ := s.UserByID(ctx, u.ID)
			b, err := o.UserByID(ctx, " "+u.ID)
			if err != nil || a.ID != b.ID || a.Username != b.Username || a.Email != b.Email || a.FirstName != b.FirstName ||
				!a.DateJoined.Equal(b.DateJoined) || b.Extra != nil {
				t.Errorf("New %+v, Open %+v, %v", a, b, err)
			}
			if info := o.Info(); info.PK != PKInt || info.ViewPermission() != "auth.view_user" || info.GroupsTable != "auth_user_groups" {
				t.Errorf("%+v", info)
			}
		})
	}
}
