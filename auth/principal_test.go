package auth_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/hashers"
)

// staticPerms grants fixed permissions by user id.
type staticPerms map[string][]string

func (s staticPerms) UserPermissions(_ context.Context, id string) (auth.PermissionSet, error) {
	return auth.NewPermissionSet(s[id]...), nil
}

func (s staticPerms) AllPermissions(context.Context) (auth.PermissionSet, error) {
	return auth.NewPermissionSet(), nil
}

// refusedUsers fails like a database that is down.
type refusedUsers struct{ auth.MemoryUsers }

func (*refusedUsers) UserByID(context.Context, string) (*auth.User, error) {
	return nil, fmt.Errorf("dial: %w", context.DeadlineExceeded)
}

func TestPerRequestUser(t *testing.T) {
	ctx := context.Background()
	users := &auth.MemoryUsers{}
	a, err := auth.New(auth.Options{SecretKey: []byte("k"), Users: users, Permissions: staticPerms{"1": {"notes.view_note"}},
		Hashers: &hashers.Hashers{List: []hashers.Hasher{&hashers.PBKDF2{Iterations: 2}}}})
	if err != nil {
		t.Fatal(err)
	}
	ann, _ := a.CreateUser(ctx, auth.NewUser{Username: "ann", Password: "x"})
	bob, _ := a.CreateUser(ctx, auth.NewUser{Username: "bob", Password: "x", Inactive: true})

	if u, err := a.UserByID(ctx, bob.ID); err != nil || u.Username != "bob" || u.IsActive {
		t.Fatalf("UserByID(inactive): %+v %v", u, err)
	}
	if _, err := a.UserByID(ctx, "99"); !errors.Is(err, auth.ErrUserNotFound) {
		t.Fatalf("UserByID(missing): %v", err)
	}
	if u, err := a.BackendUser(ctx, auth.DefaultBackendPath, ann.ID); err != nil || u.Username != "ann" || u.Backend != auth.DefaultBackendPath {
		t.Fatalf("BackendUser: %+v %v", u, err)
	}
	for _, tc := range [][2]string{{auth.DefaultBackendPath, bob.ID}, {auth.DefaultBackendPath, "99"}, {"other.Backend", ann.ID}} {
		if u, err := a.BackendUser(ctx, tc[0], tc[1]); u != nil || err != nil {
			t.Fatalf("BackendUser(%q, %q): %+v %v", tc[0], tc[1], u, err)
		}
	}

	// No middleware, no session: the user is the current user all the same.
	uctx := a.WithAuthenticatedUser(ctx, ann)
	if u, err := auth.CurrentUser(uctx); err != nil || u.Username != "ann" {
		t.Fatalf("CurrentUser: %+v %v", u, err)
	}
	if ok, err := auth.HasPerm(uctx, "notes.view_note"); !ok || err != nil {
		t.Fatalf("HasPerm: %v %v", ok, err)
	}
	if ok, _ := auth.HasPerm(uctx, "notes.add_note"); ok {
		t.Fatal("HasPerm granted an ungranted permission")
	}

	down, _ := auth.New(auth.Options{SecretKey: []byte("k"), Users: &refusedUsers{}})
	if _, err := down.UserByID(ctx, "1"); !errors.Is(err, apierror.ErrUnavailable) {
		t.Fatalf("UserByID on a store that is down: %v", err)
	}
	if _, err := down.BackendUser(ctx, auth.DefaultBackendPath, "1"); !errors.Is(err, apierror.ErrUnavailable) {
		t.Fatalf("BackendUser on a store that is down: %v", err)
	}
}

// An auth that identifies the user on every request (a token, an API key)
// makes it the current user without a session.
func ExampleAuth_WithAuthenticatedUser() {
	a, _ := auth.New(auth.Options{SecretKey: []byte("k"), Users: &auth.MemoryUsers{}})
	u, _ := a.CreateUser(context.Background(), auth.NewUser{Username: "robot", NoPassword: true})
	ctx := a.WithAuthenticatedUser(context.Background(), u)
	fmt.Println(auth.UserFromContext(ctx).Username)
	// Output: robot
}
