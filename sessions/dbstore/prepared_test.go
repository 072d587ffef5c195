package dbstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dmr-go/dmr/sessions"
	"github.com/dmr-go/dmr/sessions/dbstore"
)

// The store prepares its statements lazily: a query before the table exists
// fails, and works once the table is there (a failed prepare is not kept).
// Close releases the statements but leaves a database it did not open open,
// and the store prepares again if it is used afterwards.
func TestPreparedStatementsLifecycle(t *testing.T) {
	forEach(t, func(t *testing.T, e env) {
		ctx := context.Background()
		db := e.open(t)
		s, err := dbstore.New(db, dbstore.Options{Codec: testCodec(t)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Load(ctx, "abc"); err == nil || errors.Is(err, sessions.ErrNotFound) {
			t.Fatalf("Load before CreateTables: %v, want a database error", err)
		}
		if err := s.CreateTables(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Load(ctx, "abc"); !errors.Is(err, sessions.ErrNotFound) {
			t.Fatalf("Load after CreateTables: %v, want ErrNotFound", err)
		}
		r := sessions.Record{Key: "k1", Data: obj("a", "b"), Expiry: time.Now().Add(time.Hour)}
		if _, err := s.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := db.Ping(ctx); err != nil {
			t.Fatalf("Close closed a database the store did not open: %v", err)
		}
		got, err := s.Load(ctx, "k1")
		if err != nil || dump(got.Data) != "a=b;" {
			t.Fatalf("Load after Close: %v %v", got, err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	})
}
