package sqldb_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/dmr-go/dmr/sqldb"
)

func ExampleOpen() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "sqldb-example")
	defer os.RemoveAll(dir)

	// Or postgres://… and mysql://USER:PASS@HOST:3306/DB.
	db, err := sqldb.Open(ctx, "sqlite:"+filepath.Join(dir, "db.sqlite3"), sqldb.Options{})
	if err != nil {
		panic(err)
	}
	defer db.Close()

	d := db.Dialect
	err = db.CreateTables(ctx, "notes", sqldb.Table{
		Name:   "notes_note",
		Create: `CREATE TABLE "notes_note" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "text" varchar(100) NOT NULL, "created" datetime NOT NULL)`,
	})
	if err != nil {
		panic(err)
	}

	// Every operation bounded (5 s by default, waiting for a connection included).
	opCtx, cancel := db.Context(ctx)
	defer cancel()
	created := time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)
	id, err := d.InsertID(opCtx, db.Write,
		`INSERT INTO `+d.Quote("notes_note")+` (`+d.Quote("text")+`, `+d.Quote("created")+`) VALUES (?, ?)`, "id", "hello", d.TimeArg(created))
	if err != nil {
		panic(err)
	}
	var text string
	var at sqldb.NullTime
	err = db.Read.QueryRowContext(opCtx, d.Rebind(`SELECT "text", `+d.TimeColumn(`"created"`)+` FROM "notes_note" WHERE "id" = ?`), id).Scan(&text, &at)
	fmt.Println(id, text, at.Time, err)
	// Output: 1 hello 2026-12-01 09:30:00 +0000 UTC <nil>
}

func ExampleNew() {
	// A pool you opened yourself; reads and writes then share it.
	pool, err := sql.Open("pgx", "postgres://app@127.0.0.1/app")
	if err != nil {
		panic(err)
	}
	db := sqldb.New(pool, sqldb.Postgres)
	fmt.Println(db.Dialect, db.Read == db.Write)
	// Output: postgres true
}

func ExampleParseURL() {
	src, err := sqldb.ParseURL("mysql://app:s3cret@127.0.0.1:3306/shop")
	fmt.Println(src.Dialect, src.Driver, err)
	_, err = sqldb.ParseURL("mysql://app:s3cret@127.0.0.1:port/shop")
	fmt.Println(err) // never repeats the password
	// Output:
	// mysql mysql <nil>
	// sqldb: malformed MySQL URL
}

func ExampleDialect_Rebind() {
	q := `SELECT "session_data" FROM "django_session" WHERE "session_key" = ? AND "expire_date" > ?`
	fmt.Println(sqldb.Postgres.Rebind(q))
	fmt.Println(sqldb.MySQL.Quote("django_session"))
	// Output:
	// SELECT "session_data" FROM "django_session" WHERE "session_key" = $1 AND "expire_date" > $2
	// `django_session`
}

func ExampleFormatTime() {
	t := time.Date(2026, 12, 9, 19, 14, 16, 164768000, time.FixedZone("CET", 3600))
	fmt.Println(sqldb.FormatTime(t))
	fmt.Println(sqldb.MySQL.TimeArg(t.Truncate(time.Second)))
	// Output:
	// 2026-12-09 18:14:16.164768
	// 2026-12-09 18:14:16
}

func ExampleParseUUID() {
	u, err := sqldb.ParseUUID("0B0E8D1C2F3A4B5C9D8E7F6A5B4C3D2E")
	fmt.Println(u, err)
	fmt.Println(u.Hex())
	fmt.Println(sqldb.MySQL.UUIDArg(u, false), sqldb.MySQL.UUIDArg(u, true))
	// Output:
	// 0b0e8d1c-2f3a-4b5c-9d8e-7f6a5b4c3d2e <nil>
	// 0b0e8d1c2f3a4b5c9d8e7f6a5b4c3d2e
	// 0b0e8d1c2f3a4b5c9d8e7f6a5b4c3d2e 0b0e8d1c-2f3a-4b5c-9d8e-7f6a5b4c3d2e
}
