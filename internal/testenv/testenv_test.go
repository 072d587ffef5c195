package testenv

import (
	"context"
	"testing"
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
