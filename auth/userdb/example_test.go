package userdb_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/hashers"
	"github.com/dmr-go/dmr/auth/userdb"
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
