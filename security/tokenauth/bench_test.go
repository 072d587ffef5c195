package tokenauth_test

import (
	"net/http/httptest"
	"testing"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/security/tokenauth"
)

// BenchmarkAuthenticateCached is a token check served from the cache: the
// header parsed, the user copied out of the cache and put on the context.
func BenchmarkAuthenticateCached(b *testing.B) {
	s := newStack(b, tokenauth.Options{})
	_, key := s.user("alice", true, false)
	r := httptest.NewRequest("GET", "/api/who/", nil)
	r.Header.Set("Authorization", "Token "+key)
	if r2, err := s.ta.Authenticate(r); err != nil || auth.UserFromContext(r2.Context()).Username != "alice" {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.ta.Authenticate(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthenticateUncached reads authtoken_token and auth_user
// (SQLite) on every request, as DRF does.
func BenchmarkAuthenticateUncached(b *testing.B) {
	s := newStack(b, tokenauth.Options{CacheTTL: -1})
	_, key := s.user("alice", true, false)
	r := httptest.NewRequest("GET", "/api/who/", nil)
	r.Header.Set("Authorization", "Token "+key)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.ta.Authenticate(r); err != nil {
			b.Fatal(err)
		}
	}
}
