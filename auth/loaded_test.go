package auth

import (
	"context"
	"testing"
)

type otherStore struct{ m map[string]int } // not comparable

func TestLoadedUserFor(t *testing.T) {
	store, other := &MemoryUsers{}, &MemoryUsers{}
	row := &User{ID: "7", Username: "alice", Extra: map[string]any{"k": "v"}}
	tests := []struct {
		name       string
		attachment any
		store      any
		id         string
		want       bool
	}{
		{"same store and id", &LoadedUser{Store: store, ID: "7", User: row}, store, "7", true},
		{"another id", &LoadedUser{Store: store, ID: "7", User: row}, store, "8", false},
		{"another store", &LoadedUser{Store: store, ID: "7", User: row}, other, "7", false},
		{"loaded for another id", &LoadedUser{Store: store, ID: "8", User: row}, store, "7", false},
		{"nothing loaded", &LoadedUser{Store: store, ID: "7"}, store, "7", false},
		{"no such user", &LoadedUser{Store: store, ID: "7", Missing: true}, store, "7", true},
		{"missing for another id", &LoadedUser{Store: store, ID: "8", Missing: true}, store, "7", false},
		{"a row and missing", &LoadedUser{Store: store, ID: "7", User: row, Missing: true}, store, "7", false},
		{"not a LoadedUser", row, store, "7", false},
		{"no attachment", nil, store, "7", false},
		{"incomparable stores", &LoadedUser{Store: otherStore{}, ID: "7", User: row}, otherStore{}, "7", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := withLoadedUser(context.Background(), tc.attachment, tc.id)
			u, ok := LoadedUserFor(ctx, tc.store, tc.id)
			if ok != tc.want {
				t.Fatalf("LoadedUserFor = %v, %v", u, ok)
			}
			if ok && tc.attachment.(*LoadedUser).Missing {
				if u != nil {
					t.Fatalf("a missing user loaded as %+v", u)
				}
				return
			}
			if ok {
				if u == row || u.Username != "alice" {
					t.Fatalf("not a copy of the row: %p %+v", u, u)
				}
				u.Extra["k"] = "changed"
				if row.Extra["k"] != "v" {
					t.Fatal("the copy shares Extra with the row")
				}
			}
		})
	}
}
