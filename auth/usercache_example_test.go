package auth_test

import (
	"context"
	"fmt"
	"time"

	"github.com/dmr-go/dmr/auth"
)

// A UserCache in front of the user table: UserByID is served from memory for
// the TTL; SetPassword through the cache is seen at once.
func ExampleNewUserCache() {
	ctx := context.Background()
	table := &auth.MemoryUsers{} // in a real program: a userdb.Store
	users, err := auth.NewUserCache(table, auth.UserCacheOptions{TTL: time.Second})
	if err != nil {
		panic(err)
	}
	u := &auth.User{Username: "ann", Password: "old", IsActive: true}
	if err := users.CreateUser(ctx, u); err != nil {
		panic(err)
	}
	got, _ := users.UserByID(ctx, u.ID)
	fmt.Println(got.Username, got.Password)

	users.SetPassword(ctx, u.ID, "new")
	got, _ = users.UserByID(ctx, u.ID)
	fmt.Println(got.Username, got.Password)
	// Output:
	// ann old
	// ann new
}
