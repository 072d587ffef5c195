package tokenauth_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/drftoken"
	"github.com/dmr-go/dmr/auth/userdb"
	"github.com/dmr-go/dmr/security"
	"github.com/dmr-go/dmr/security/tokenauth"
	"github.com/dmr-go/dmr/sqldb"
)

// An endpoint that accepts DRF tokens, on the database a Django project
// shares.
func ExampleNew() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "tokenauth")
	defer os.RemoveAll(dir)
	db, _ := sqldb.Open(ctx, "sqlite:"+filepath.Join(dir, "db.sqlite3"), sqldb.Options{})
	defer db.Close()
	users, _ := userdb.New(db)
	_ = users.CreateTables(ctx)
	a, _ := auth.New(auth.Options{SecretKey: []byte("secret"), Users: users})
	tokens, _ := drftoken.New(db, users, drftoken.Options{})
	_ = tokens.CreateTables(ctx) // a no-op on a database Django migrated

	ta, err := tokenauth.New(tokenauth.Options{Auth: a, Tokens: tokens})
	if err != nil {
		panic(err)
	}
	api := dmr.New(dmr.Config{Title: "Notes", Version: "1", Prefix: "/api"})
	me := api.Controller(dmr.ControllerConfig{Name: "Me", Path: "/me/", Auth: []security.Auth{ta}})
	dmr.Get(me, dmr.Operation{}, func(ctx context.Context, _ *struct{}) (*struct {
		Username string `json:"username"`
	}, error) {
		return &struct {
			Username string `json:"username"`
		}{auth.UserFromContext(ctx).Username}, nil
	})

	u := &auth.User{Username: "alice", Password: "!", IsActive: true, DateJoined: time.Now()}
	_ = users.CreateUser(ctx, u)
	tok, _, _ := tokens.Create(ctx, u.ID, false) // drf_create_token alice

	r := httptest.NewRequest("GET", "/api/me/", nil)
	r.Header.Set("Authorization", "Token "+tok.Key)
	w := httptest.NewRecorder()
	api.ServeHTTP(w, r)
	fmt.Println(w.Code, strings.TrimSpace(w.Body.String()))

	r.Header.Set("Authorization", "Token 0000000000000000000000000000000000000000")
	w = httptest.NewRecorder()
	api.ServeHTTP(w, r)
	fmt.Println(w.Code, strings.TrimSpace(w.Body.String()))
	// Output:
	// 200 {"username":"alice"}
	// 401 {"detail":[{"msg":"Invalid token.","type":"security"}]}
}

func ExampleParseAuthorization() {
	key, ok, err := tokenauth.ParseAuthorization("token 401f7ac837da42b97f613d789819ff93537bee6a", "Token")
	fmt.Println(key, ok, err)
	_, ok, err = tokenauth.ParseAuthorization("Token a b", "Token")
	fmt.Println(ok, err)
	_, ok, err = tokenauth.ParseAuthorization("Bearer abc", "Token")
	fmt.Println(ok, err)
	// Output:
	// 401f7ac837da42b97f613d789819ff93537bee6a true <nil>
	// true tokenauth: Invalid token header. Token string should not contain spaces.
	// false <nil>
}
