package testenv

import (
	"context"
	"database/sql"
	"net/url"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
)

func TestPostgresPrivateDatabase(t *testing.T) {
	db := Postgres(t)
	var name string
	if err := db.QueryRowContext(context.Background(), "select current_database()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	if name == "test" || name == "postgres" {
		t.Fatalf("expected a private database, got %q", name)
	}
}

func TestRedisPrefix(t *testing.T) {
	c, prefix := Redis(t)
	ctx := context.Background()
	if err := c.Set(ctx, prefix+"k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if got := c.Get(ctx, prefix+"k").Val(); got != "v" {
		t.Fatalf("got %q", got)
	}
}

func TestMySQLPrivateDatabase(t *testing.T) {
	u := MySQLURL(t)
	cfg, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	pass, _ := cfg.User.Password()
	dsn := mysql.NewConfig()
	dsn.User, dsn.Passwd, dsn.Net, dsn.Addr, dsn.DBName = cfg.User.Username(), pass, "tcp", cfg.Host, cfg.Path[1:]
	db, err := sql.Open("mysql", dsn.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	var name string
	if err := db.QueryRowContext(ctx, "SELECT DATABASE()").Scan(&name); err != nil {
		t.Fatalf("TCP login with the test user: %v", err)
	}
	if name != cfg.Path[1:] || !strings.HasPrefix(name, "dmrtest_") {
		t.Fatalf("connected to %q, want the private database %q", name, cfg.Path[1:])
	}
	if _, err := db.ExecContext(ctx, "CREATE TABLE t (x int)"); err != nil {
		t.Fatal(err)
	}
	// The user may not touch other databases.
	if _, err := db.ExecContext(ctx, "CREATE DATABASE dmrtest_forbidden_"+randSuffix()); err == nil {
		t.Fatal("the test user could create another database")
	}
}

func TestMySQLURLDropsAtCleanup(t *testing.T) {
	var u string
	t.Run("user", func(t *testing.T) { u = MySQLURL(t) })
	if u == "" {
		t.Skip("MySQLURL skipped")
	}
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("mysql", mysqlAdminDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	ctx := context.Background()
	var dbs, users int
	if err := admin.QueryRowContext(ctx, "SELECT count(*) FROM information_schema.schemata WHERE schema_name = ?", parsed.Path[1:]).Scan(&dbs); err != nil {
		t.Fatal(err)
	}
	if err := admin.QueryRowContext(ctx, "SELECT count(*) FROM mysql.user WHERE user = ?", parsed.User.Username()).Scan(&users); err != nil {
		t.Fatal(err)
	}
	if dbs != 0 || users != 0 {
		t.Errorf("after cleanup: %d databases, %d users left", dbs, users)
	}
}
