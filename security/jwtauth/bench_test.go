package jwtauth_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/security/jwtauth"
)

// BenchmarkAuthenticateHS256 is the whole Authenticate of an HS256 access
// token: header parse, signature, claims, the user from a warm UserCache,
// the user put in the request's context.
func BenchmarkAuthenticateHS256(b *testing.B) {
	mem := &auth.MemoryUsers{}
	cache, err := auth.NewUserCache(mem, auth.UserCacheOptions{TTL: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	a, err := auth.New(auth.Options{SecretKey: secret, Users: cache})
	if err != nil {
		b.Fatal(err)
	}
	alice, err := a.CreateUser(b.Context(), auth.NewUser{Username: "alice", Password: "pw"})
	if err != nil {
		b.Fatal(err)
	}
	j, err := jwtauth.New(jwtauth.Options{Auth: a, SigningKey: secret})
	if err != nil {
		b.Fatal(err)
	}
	tok, err := j.AccessToken(alice)
	if err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/api/x/", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	if r2, err := j.Authenticate(r); err != nil || auth.UserFromContext(r2.Context()).ID != alice.ID {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := j.Authenticate(r); err != nil {
			b.Fatal(err)
		}
	}
}
