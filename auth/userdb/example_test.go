package userdb_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/hashers"
	"github.com/dmr-go/dmr/auth/userdb"
	"github.com/dmr-go/dmr/pyjson"
	"github.com/dmr-go/dmr/sessions"
	"github.com/dmr-go/dmr/sessions/dbstore"
	"github.com/dmr-go/dmr/sqldb"
)

func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "userdb-example")
	defer os.RemoveAll(dir)

	// The same URL forms as the session store; a Django project's
	// db.sqlite3 (or PostgreSQL database) works as is.
	db, err := sqldb.Open(ctx, "sqlite:"+filepath.Join(dir, "db.sqlite3"), sqldb.Options{})
	if err != nil {
		panic(err)
	}
	defer db.Close()
	users, err := userdb.New(db)
	if err != nil {
		panic(err)
	}
	if err := users.CreateTables(ctx); err != nil { // idempotent
		panic(err)
	}

	a, err := auth.New(auth.Options{SecretKey: []byte("django-insecure-example-key"), Users: users,
		Hashers: &hashers.Hashers{List: []hashers.Hasher{&hashers.PBKDF2{Iterations: 1000}}}})
	if err != nil {
		panic(err)
	}
	if _, err := a.CreateUser(ctx, auth.NewUser{Username: "alice", Password: "s3cret", Email: "alice@EXAMPLE.com"}); err != nil {
		panic(err)
	}
	u, err := a.Authenticate(ctx, auth.Credentials{"username": "alice", "password": "s3cret"})
	fmt.Println(u.ID, u.Username, u.Email, u.Backend, err)
	// Output: 1 alice alice@example.com django.contrib.auth.backends.ModelBackend <nil>
}

// A project whose AUTH_USER_MODEL is accounts.CustomUser (UUID key, email
// login, an extra display_name column): Open reads the table Django's
// migration made.
func ExampleOpen() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "userdb-example")
	defer os.RemoveAll(dir)
	db, err := sqldb.Open(ctx, "sqlite:"+filepath.Join(dir, "db.sqlite3"), sqldb.Options{})
	if err != nil {
		panic(err)
	}
	defer db.Close()
	// What Django's "migrate" creates for the model on SQLite.
	if _, err := db.Write.ExecContext(ctx, `CREATE TABLE "accounts_customuser" ("password" varchar(128) NOT NULL, "last_login" datetime NULL, "is_superuser" bool NOT NULL, "id" char(32) NOT NULL PRIMARY KEY, "email" varchar(254) NOT NULL UNIQUE, "display_name" varchar(100) NOT NULL, "is_staff" bool NOT NULL, "is_active" bool NOT NULL, "date_joined" datetime NOT NULL)`); err != nil {
		panic(err)
	}
	users, err := userdb.Open(ctx, db, userdb.Model{Name: "accounts.CustomUser", UsernameField: "email"})
	if err != nil {
		panic(err)
	}
	defer users.Close()
	info := users.Info()
	fmt.Println(info.Table, info.PK, info.GroupsTable, info.GroupsColumn, info.ViewPermission(), info.Extra)

	u := &auth.User{ID: "0b7c5a53-93e4-4f0c-9d6e-6a1f3b2c4d5e", Username: "ann@example.com", IsActive: true,
		Extra: map[string]any{"display_name": "Ann"}}
	if err := users.CreateUser(ctx, u); err != nil {
		panic(err)
	}
	got, err := users.UserByID(ctx, "0B7C5A5393E44F0C9D6E6A1F3B2C4D5E") // any form Django accepts
	fmt.Println(got.ID, got.Username, got.Extra["display_name"], err)
	// Output:
	// accounts_customuser uuid accounts_customuser_groups customuser_id accounts.view_customuser [display_name]
	// 0b7c5a53-93e4-4f0c-9d6e-6a1f3b2c4d5e ann@example.com Ann <nil>
}

// PKArg turns Django's str(pk) into what a query on the key (or a foreign
// key to it) takes; PKString turns a scanned key back into str(pk).
func ExampleStore_PKString() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "userdb-example")
	defer os.RemoveAll(dir)
	db, err := sqldb.Open(ctx, "sqlite:"+filepath.Join(dir, "db.sqlite3"), sqldb.Options{})
	if err != nil {
		panic(err)
	}
	defer db.Close()
	users, err := userdb.New(db) // auth_user: an integer key
	if err != nil {
		panic(err)
	}
	arg, ok := users.PKArg("42")
	_, bad := users.PKArg("not a number")
	id, err := users.PKString(arg)
	fmt.Printf("%T %v %v %q %v\n", arg, ok, bad, id, err)
	// Output: int64 true false "42" <nil>
}

// Sessions in django_session and users in auth_user on one database,
// without caches: SessionJoin reads a session and its user in one query.
// Give it to the session middleware as its store and the user Store to auth;
// GetUser then uses the row the session's load brought.
func ExampleNewSessionJoin() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "userdb-join-example")
	defer os.RemoveAll(dir)
	db, err := sqldb.Open(ctx, "sqlite:"+filepath.Join(dir, "db.sqlite3"), sqldb.Options{})
	if err != nil {
		panic(err)
	}
	defer db.Close()
	codec, err := sessions.NewCodec(sessions.CodecOptions{SecretKey: []byte("django-insecure-example-key")})
	if err != nil {
		panic(err)
	}
	table, err := dbstore.New(db, dbstore.Options{Codec: codec})
	if err != nil {
		panic(err)
	}
	users, err := userdb.New(db)
	if err != nil {
		panic(err)
	}
	if err := errors.Join(table.CreateTables(ctx), users.CreateTables(ctx)); err != nil {
		panic(err)
	}
	join, err := userdb.NewSessionJoin(table, users, userdb.SessionJoinOptions{})
	if err != nil {
		panic(err)
	}
	// The stack: sessions.NewMiddleware(sessions.Options{Store: join}) and
	// auth.New(auth.Options{Users: users, ...}).

	alice := &auth.User{Username: "alice", IsActive: true}
	if err := users.CreateUser(ctx, alice); err != nil {
		panic(err)
	}
	data := pyjson.NewObject(1)
	data.Set(auth.SessionKeyUserID, alice.ID) // what a login stores
	key := sessions.NewKey()
	if _, err := join.Create(ctx, sessions.Record{Key: key, Data: data, Expiry: time.Now().Add(time.Hour)}); err != nil {
		panic(err)
	}
	r, err := join.Load(ctx, key)
	if err != nil {
		panic(err)
	}
	row := r.Attachment.(*auth.LoadedUser)
	fmt.Println(row.ID, row.User.Username)
	// Output: 1 alice
}
