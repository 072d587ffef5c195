package auth_test

import (
	"context"
	"errors"
	"testing"

	"github.com/dmr-go/dmr/auth"
)

// A token auth's user: current without any session or middleware, with
// Django's permission rules.
func TestWithAuthenticatedUser(t *testing.T) {
	ctx := context.Background()
	users := &auth.MemoryUsers{}
	a, err := auth.New(auth.Options{SecretKey: []byte("k"), Users: users})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auth.CurrentUser(ctx); !errors.Is(err, auth.ErrNoMiddleware) {
		t.Fatalf("CurrentUser without a user: %v", err)
	}
	u, err := a.CreateUser(ctx, auth.NewUser{Username: "root", Password: "pw", IsSuperuser: true})
	if err != nil {
		t.Fatal(err)
	}
	got, err := a.UserByID(ctx, u.ID)
	if err != nil || got.Username != "root" {
		t.Fatalf("UserByID: %v %v", got, err)
	}
	if _, err := a.UserByID(ctx, "999"); !errors.Is(err, auth.ErrUserNotFound) {
		t.Fatalf("UserByID of nobody: %v", err)
	}
	if got, err := a.UserByUsername(ctx, "root"); err != nil || got.ID != u.ID {
		t.Fatalf("UserByUsername: %v %v", got, err)
	}
	ctx2 := a.WithAuthenticatedUser(ctx, got)
	if cu, err := auth.CurrentUser(ctx2); err != nil || cu != got {
		t.Fatalf("CurrentUser: %v %v", cu, err)
	}
	if ok, err := auth.HasPerm(ctx2, "notes.add_note"); err != nil || !ok {
		t.Fatalf("HasPerm of an active superuser: %v %v", ok, err)
	}
	noStore, _ := auth.New(auth.Options{SecretKey: []byte("k"), Backends: []auth.Backend{&auth.ModelBackend{Users: users}}})
	if _, err := noStore.UserByUsername(ctx, "root"); err == nil {
		t.Fatalf("UserByID without a store: %v", err)
	}
}
