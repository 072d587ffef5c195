package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/redis/go-redis/v9"
)

// RequireAll reports whether DMR_TEST_REQUIRE_ALL=1: missing services fail tests.
func RequireAll() bool { return os.Getenv("DMR_TEST_REQUIRE_ALL") == "1" }

// Require skips t (or fails it under DMR_TEST_REQUIRE_ALL=1) unless ok.
// what names the missing thing ("PostgreSQL", "Django 4.2"…), why says what was
// seen.
func Require(t testing.TB, what string, ok bool, why string) {
	t.Helper()
	if ok {
		return
	}
	msg := fmt.Sprintf("%s not available: %s", what, why)
	if RequireAll() {
		t.Fatalf("%s (DMR_TEST_REQUIRE_ALL=1: required)", msg)
	}
	t.Skipf("%s (set DMR_TEST_REQUIRE_ALL=1 to make this a failure)", msg)
}

func randSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func adminURL() string {
	if u := os.Getenv("DMR_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// PostgresURL creates a private database for t and returns its URL. The
// database is dropped when t ends.
func PostgresURL(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := sql.Open("pgx", adminURL())
	if err == nil {
		err = admin.PingContext(ctx)
	}
	if err != nil && admin != nil {
		admin.Close()
	}
	Require(t, "PostgreSQL", err == nil, fmt.Sprint(err))
	name := "dmrtest_" + strings.ToLower(sanitize(t.Name())) + "_" + randSuffix()
	if len(name) > 63 {
		name = name[len(name)-63:]
		name = "d" + name[1:]
	}
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE "`+name+`"`); err != nil {
		admin.Close()
		t.Fatalf("testenv: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`); err != nil {
			t.Logf("testenv: drop database %s: %v", name, err)
		}
		admin.Close()
	})
	u, err := url.Parse(adminURL())
	if err != nil {
		t.Fatalf("testenv: bad DMR_TEST_POSTGRES_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// Postgres opens a private database for t (see PostgresURL) with the pgx
// driver. The connection pool is closed when t ends.
func Postgres(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", PostgresURL(t))
	if err != nil {
		t.Fatalf("testenv: open: %v", err)
	}
	t.Cleanup(func() { db.Close() }) // runs before the DROP (LIFO)
	return db
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	out := b.String()
	if len(out) > 30 {
		out = out[:30]
	}
	return out
}

// mysqlAdminDSN is how tests reach MariaDB/MySQL as an administrator: root
// over the unix socket (DMR_TEST_MYSQL_SOCKET, default
// /run/mysqld/mysqld.sock), as Debian's MariaDB authenticates root.
func mysqlAdminDSN() string {
	sock := os.Getenv("DMR_TEST_MYSQL_SOCKET")
	if sock == "" {
		sock = "/run/mysqld/mysqld.sock"
	}
	cfg := mysql.NewConfig()
	cfg.User = "root"
	cfg.Net = "unix"
	cfg.Addr = sock
	cfg.Timeout = 5 * time.Second
	return cfg.FormatDSN()
}

// MySQLAddr is the TCP address of MariaDB/MySQL that the URLs MySQLURL
// returns point at (DMR_TEST_MYSQL_ADDR, default 127.0.0.1:3306).
func MySQLAddr() string {
	if a := os.Getenv("DMR_TEST_MYSQL_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:3306"
}

// MySQLURL creates a private database and a user with a random password
// that may use only that database over TCP, and returns
// mysql://USER:PASS@MySQLAddr()/DB. Both are dropped when t ends. The
// administrator connection is root over the unix socket (see
// DMR_TEST_MYSQL_SOCKET); when it fails the test is skipped, or fails under
// DMR_TEST_REQUIRE_ALL=1, naming "MariaDB".
func MySQLURL(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := sql.Open("mysql", mysqlAdminDSN())
	if err == nil {
		err = admin.PingContext(ctx)
	}
	if err != nil && admin != nil {
		admin.Close()
	}
	Require(t, "MariaDB", err == nil, fmt.Sprint(err))
	suffix := randSuffix()
	name := "dmrtest_" + strings.ToLower(sanitize(t.Name())) + "_" + suffix
	user := "dmrtest_" + suffix // MySQL 8 allows 32 characters
	pass := randSuffix() + randSuffix()
	for _, q := range []string{
		"CREATE DATABASE `" + name + "`",
		"CREATE USER '" + user + "'@'%' IDENTIFIED BY '" + pass + "'",
		"GRANT ALL PRIVILEGES ON `" + name + "`.* TO '" + user + "'@'%'",
	} {
		if _, err := admin.ExecContext(ctx, q); err != nil {
			admin.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`") //nolint:errcheck // best effort
			admin.ExecContext(ctx, "DROP USER IF EXISTS '"+user+"'@'%'") //nolint:errcheck // best effort
			admin.Close()
			t.Fatalf("testenv: %s: %v", strings.Fields(q)[0]+" "+strings.Fields(q)[1], err)
		}
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
			t.Logf("testenv: drop database %s: %v", name, err)
		}
		if _, err := admin.ExecContext(ctx, "DROP USER IF EXISTS '"+user+"'@'%'"); err != nil {
			t.Logf("testenv: drop user %s: %v", user, err)
		}
		admin.Close()
	})
	return "mysql://" + user + ":" + pass + "@" + MySQLAddr() + "/" + name
}

// RedisAddr is the address tests use for Redis.
func RedisAddr() string {
	if a := os.Getenv("DMR_TEST_REDIS_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

// Redis returns a client and a random key prefix private to t. Keys under the
// prefix are deleted and the client closed when t ends.
func Redis(t testing.TB) (*redis.Client, string) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: RedisAddr()})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := c.Ping(ctx).Err()
	if err != nil {
		c.Close()
	}
	Require(t, "Redis", err == nil, fmt.Sprint(err))
	prefix := "dmrtest:" + randSuffix() + ":"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		iter := c.Scan(ctx, 0, prefix+"*", 500).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if len(keys) > 0 {
			c.Del(ctx, keys...)
		}
		c.Close()
	})
	return c, prefix
}

// built holds the binaries BuildBinary made in this test process.
var built struct {
	sync.Mutex
	dir  string
	bins map[string]*builtBinary
}

type builtBinary struct {
	once sync.Once
	path string
	err  error
}

// BuildBinary builds the main package importPath once per test process
// (however many tests ask) and returns the binary's path. A TestMain calls
// RemoveBuilt after m.Run to delete it.
func BuildBinary(t testing.TB, importPath string) string {
	t.Helper()
	built.Lock()
	if built.bins == nil {
		built.bins = map[string]*builtBinary{}
	}
	b := built.bins[importPath]
	if b == nil {
		b = &builtBinary{}
		built.bins[importPath] = b
	}
	built.Unlock()
	b.once.Do(func() {
		built.Lock()
		if built.dir == "" {
			built.dir, b.err = os.MkdirTemp("", "dmr-test-bin-")
		}
		dir := built.dir
		built.Unlock()
		if b.err != nil {
			return
		}
		b.path = filepath.Join(dir, strings.ReplaceAll(importPath, "/", "_"))
		if out, err := exec.Command("go", "build", "-o", b.path, importPath).CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build %s: %v\n%s", importPath, err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// RemoveBuilt deletes what BuildBinary built.
func RemoveBuilt() {
	built.Lock()
	defer built.Unlock()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
}
