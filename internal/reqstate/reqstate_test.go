package reqstate

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestSetFillsInPlaceOnce(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	if Get(r.Context(), Session) != nil {
		t.Fatal("a fresh request has a value")
	}
	r1 := Set(r, Session, "s")
	if r1 == r {
		t.Fatal("the first Set must attach a state to a new request")
	}
	r2 := Set(r1, CSRF, "c")
	if r2 != r1 {
		t.Fatal("filling an empty slot copied the request")
	}
	if Get(r2.Context(), Session) != "s" || Get(r2.Context(), CSRF) != "c" {
		t.Fatal("values lost")
	}
	// A taken slot gives a child: the outer context keeps the outer value.
	r3 := Set(r2, Session, "inner")
	if r3 == r2 || Get(r3.Context(), Session) != "inner" || Get(r2.Context(), Session) != "s" {
		t.Fatalf("inner %v outer %v", Get(r3.Context(), Session), Get(r2.Context(), Session))
	}
	if Get(r3.Context(), CSRF) != "c" {
		t.Fatal("the child lost its parent's other values")
	}
	if From(r3.Context()).Commit() != From(r2.Context()).Commit() {
		t.Fatal("a child state has its own commit list")
	}
}

func TestWithAlwaysDerives(t *testing.T) {
	tests := []struct {
		name string
		ctx  context.Context
	}{
		{"no state", context.Background()},
		{"empty state", Set(httptest.NewRequest("GET", "/", nil), Request, nil).Context()},
		{"slot taken", Set(httptest.NewRequest("GET", "/", nil), Auth, "outer").Context()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := Get(tc.ctx, Auth)
			ctx := With(tc.ctx, Auth, "new")
			if Get(ctx, Auth) != "new" {
				t.Fatal("With did not set the value")
			}
			if Get(tc.ctx, Auth) != before {
				t.Fatal("With changed the parent's state")
			}
		})
	}
}

func TestEnsure(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	st, r1 := Ensure(r)
	if st == nil || r1 == r || From(r1.Context()) != st {
		t.Fatal("Ensure did not attach a state")
	}
	st2, r2 := Ensure(r1)
	if st2 != st || r2 != r1 {
		t.Fatal("Ensure made a second state")
	}
	c := st.Commit()
	c.Mu.Lock()
	for range 6 { // past the inline capacity
		c.Append(hookFunc(func(context.Context, http.Header, int) error { return nil }))
	}
	c.Mu.Unlock()
	if len(c.Hooks) != 6 {
		t.Fatalf("%d hooks, want 6", len(c.Hooks))
	}
}

type hookFunc func(context.Context, http.Header, int) error

func (f hookFunc) Commit(ctx context.Context, h http.Header, s int) error { return f(ctx, h, s) }

func BenchmarkMiddlewareChain(b *testing.B) {
	b.ReportAllocs()
	base := httptest.NewRequest("GET", "/", nil)
	for b.Loop() {
		r := Set(base, Session, 1)
		r = Set(r, CSRF, 2)
		r = Set(r, Auth, 3)
		_ = Set(r, Request, r)
	}
}
