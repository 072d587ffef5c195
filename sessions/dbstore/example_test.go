package dbstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/dmr-go/dmr/pyjson"
	"github.com/dmr-go/dmr/sessions"
	"github.com/dmr-go/dmr/sessions/dbstore"
	"github.com/dmr-go/dmr/sqldb"
)

func ExampleNew() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "dbstore-example")
	defer os.RemoveAll(dir)

	// Django's session_data format, keyed by the Django project's SECRET_KEY.
	codec, err := sessions.NewCodec(sessions.CodecOptions{SecretKey: []byte(secretKey)})
	if err != nil {
		panic(err)
	}
	// sqlite:PATH, postgres://… or mysql://USER:PASS@HOST:PORT/DB.
	db, err := sqldb.Open(ctx, "sqlite:"+filepath.Join(dir, "db.sqlite3"), sqldb.Options{})
	if err != nil {
		panic(err)
	}
	defer db.Close()
	store, err := dbstore.New(db, dbstore.Options{Codec: codec})
	if err != nil {
		panic(err)
	}
	defer store.Close()
	if err := store.CreateTables(ctx); err != nil { // idempotent
		panic(err)
	}

	data := pyjson.NewObject(1)
	data.Set("_auth_user_id", "1")
	rec := sessions.Record{Key: "examplekey0000000000000000000000", Data: data, Expiry: time.Now().Add(time.Hour)}
	if _, err := store.Create(ctx, rec); err != nil {
		panic(err)
	}
	loaded, err := store.Load(ctx, rec.Key)
	if err != nil {
		panic(err)
	}
	uid, _ := loaded.Data.Get("_auth_user_id")
	fmt.Println("user", uid)

	// Log the user out everywhere.
	deleted, err := store.DeleteUserSessions(ctx, "1", "")
	fmt.Println(len(deleted), err)
	// Output:
	// user 1
	// 1 <nil>
}

func ExampleStore_Save() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "dbstore-example")
	defer os.RemoveAll(dir)
	codec, _ := sessions.NewCodec(sessions.CodecOptions{SecretKey: []byte(secretKey)})
	db, _ := sqldb.Open(ctx, "sqlite:"+filepath.Join(dir, "db.sqlite3"), sqldb.Options{})
	defer db.Close()
	store, _ := dbstore.New(db, dbstore.Options{Codec: codec})
	defer store.Close()
	_ = store.CreateTables(ctx)
	_, _ = store.Create(ctx, sessions.Record{Key: "examplekey0000000000000000000000", Data: pyjson.NewObject(0), Expiry: time.Now().Add(time.Hour)})

	first, _ := store.Load(ctx, "examplekey0000000000000000000000")
	second, _ := store.Load(ctx, "examplekey0000000000000000000000")
	first.Data.Set("a", 1)
	_, err := store.Save(ctx, first)
	fmt.Println(err)
	second.Data.Set("b", 2)
	_, err = store.Save(ctx, second) // loaded before first's save
	fmt.Println(err)
	// Output:
	// <nil>
	// sessions: session changed concurrently
}
