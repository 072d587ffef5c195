package sessions_test

import (
	"context"
	"fmt"
	"time"

	"github.com/dmr-go/dmr/sessions"
)

// A LocalCache in front of the real store: loads within the TTL are served
// from memory, this process's own Delete (a logout) is immediate.
func ExampleNewLocalCache() {
	ctx := context.Background()
	backing := &sessions.MemoryStore{} // in a real program: a dbstore.Store
	store, err := sessions.NewLocalCache(backing, sessions.LocalCacheOptions{TTL: time.Second})
	if err != nil {
		panic(err)
	}
	rec := sessions.Record{Key: "abcdefghijklmnopqrstuvwxyz012345", Data: data("_auth_user_id", "1"), Expiry: time.Now().Add(time.Hour)}
	if _, err := store.Create(ctx, rec); err != nil {
		panic(err)
	}
	r, _ := store.Load(ctx, rec.Key)
	v, _ := r.Data.Get("_auth_user_id")
	fmt.Println("user", v)

	store.Delete(ctx, rec.Key)
	_, err = store.Load(ctx, rec.Key)
	fmt.Println(err)
	// Output:
	// user 1
	// sessions: session not found
}
