package sqldb

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"

	_ "modernc.org/sqlite"
)

func TestStmtCache(t *testing.T) {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "db.sqlite3"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	c := NewStmtCache(db)
	// A failed prepare is not kept.
	if _, err := c.Get(ctx, "SELECT x FROM t"); err == nil {
		t.Fatal("prepared a query on a missing table")
	}
	if _, err := db.Exec("CREATE TABLE t (x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	got := make([]*sql.Stmt, 8)
	for i := range got {
		wg.Go(func() {
			st, err := c.Get(ctx, "SELECT x FROM t")
			if err != nil {
				t.Error(err)
			}
			got[i] = st
		})
	}
	wg.Wait()
	for _, st := range got[1:] {
		if st != got[0] {
			t.Fatal("concurrent Gets returned different statements")
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := c.Get(ctx, "SELECT x FROM t")
	if err != nil || st == got[0] {
		t.Fatalf("Get after Close: %v (same statement: %v)", err, st == got[0])
	}
}
