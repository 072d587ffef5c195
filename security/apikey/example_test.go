package apikey_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/hashers"
	"github.com/dmr-go/dmr/security"
	"github.com/dmr-go/dmr/security/apikey"
	"github.com/dmr-go/dmr/sqldb"
)

// An endpoint protected by API keys kept in SQLite.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "apikey")
	defer os.RemoveAll(dir)
	db, _ := sqldb.Open(ctx, "sqlite:"+filepath.Join(dir, "db.sqlite3"), sqldb.Options{})
	defer db.Close()

	a, _ := auth.New(auth.Options{
		SecretKey: []byte("example secret key"),
		Users:     &auth.MemoryUsers{},
		Hashers:   &hashers.Hashers{List: []hashers.Hasher{&hashers.PBKDF2{Iterations: 1000}}},
	})
	robot, _ := a.CreateUser(ctx, auth.NewUser{Username: "robot", NoPassword: true})

	keys, _ := apikey.NewStore(db, apikey.StoreOptions{})
	if err := keys.CreateTables(ctx); err != nil { // idempotent
		fmt.Println(err)
		return
	}
	key, row, _ := keys.Create(ctx, robot.ID, "nightly export", nil) // the key is shown once
	ak, _ := apikey.New(apikey.Options{Store: keys, Auth: a})

	api := dmr.New(dmr.Config{Prefix: "/api"})
	c := api.Controller(dmr.ControllerConfig{Name: "Me", Path: "/me/", Auth: []security.Auth{ak}})
	dmr.Get(c, dmr.Operation{}, func(ctx context.Context, _ *struct{}) (*string, error) {
		s := auth.UserFromContext(ctx).Username + " with " + apikey.FromContext(ctx).Name
		return &s, nil
	})
	call := func() {
		r := httptest.NewRequest("GET", "/api/me/", nil)
		r.Header.Set("X-API-Key", key)
		w := httptest.NewRecorder()
		api.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Body.String())
	}
	call()
	_ = keys.Revoke(ctx, row.Prefix) // effective at once in this process
	call()
	// Output:
	// 200 "robot with nightly export"
	// 401 {"detail":[{"msg":"Not authenticated","type":"security"}]}
}

func ExampleParseKey() {
	_, err := apikey.ParseKey("dmr_0123456789ab.not-a-secret")
	fmt.Println(err)
	key, prefix, _ := apikey.Generate()
	p, err := apikey.ParseKey(key)
	fmt.Println(p == prefix, err, len(key))
	// Output:
	// apikey: malformed API key
	// true <nil> 60
}
