package dbstore_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dmr-go/dmr/pyjson"
	"github.com/dmr-go/dmr/sessions"
	"github.com/dmr-go/dmr/sessions/dbstore"
)

// countingCodec counts decodes.
type countingCodec struct {
	sessions.Codec
	decodes atomic.Int64
}

func (c *countingCodec) Decode(s string) (*pyjson.Object, error) {
	c.decodes.Add(1)
	return c.Codec.Decode(s)
}

// The decode memo: the same text decodes once, each load gets its own dict
// (changing it changes nothing else), a changed row decodes again, and
// text that does not decode is never remembered.
func TestDecodeMemo(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name        string
		memo        int
		wantDecodes int64 // for 3 loads of one text
	}{
		{"default", 0, 1},
		{"off", -1, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			codec := &countingCodec{Codec: testCodec(t)}
			db := sqliteDB(t)
			s, err := dbstore.New(db, dbstore.Options{Codec: codec, DecodeMemo: tc.memo})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.CreateTables(ctx); err != nil {
				t.Fatal(err)
			}
			key := sessions.NewKey()
			exp := time.Now().Add(time.Hour)
			if _, err := s.Create(ctx, sessions.Record{Key: key, Data: obj("_auth_user_id", "1"), Expiry: exp}); err != nil {
				t.Fatal(err)
			}
			for range 3 {
				r, err := s.Load(ctx, key)
				if err != nil {
					t.Fatal(err)
				}
				if r.Shared || dump(r.Data) != "_auth_user_id=1;" {
					t.Fatalf("shared %v, data %s", r.Shared, dump(r.Data))
				}
				r.Data.Set("_auth_user_id", "changed by the caller")
			}
			if n := codec.decodes.Load(); n != tc.wantDecodes {
				t.Fatalf("%d decodes, want %d", n, tc.wantDecodes)
			}
			// Nor does a session changing its dict.
			mw, err := sessions.NewMiddleware(sessions.Options{Store: s})
			if err != nil {
				t.Fatal(err)
			}
			sess := mw.NewSession(ctx, key, true)
			sess.Set("_auth_user_id", "2")
			if r, _ := s.Load(ctx, key); dump(r.Data) != "_auth_user_id=1;" {
				t.Fatalf("a session's change reached the memo: %s", dump(r.Data))
			}
			// A changed row is another text: decoded again.
			before := codec.decodes.Load()
			r, _ := s.Load(ctx, key)
			r.Data = obj("_auth_user_id", "3")
			if _, err := s.Save(ctx, r); err != nil {
				t.Fatal(err)
			}
			if r, _ := s.Load(ctx, key); dump(r.Data) != "_auth_user_id=3;" {
				t.Fatalf("after a save: %s", dump(r.Data))
			}
			if codec.decodes.Load() == before {
				t.Fatal("a changed row was not decoded")
			}
			// Text that does not decode is checked every time.
			if err := execSQL(ctx, db, `UPDATE django_session SET session_data = ? WHERE session_key = ?`, "forged:text:sig", key); err != nil {
				t.Fatal(err)
			}
			before = codec.decodes.Load()
			for range 2 {
				if r, _ := s.Load(ctx, key); r.Data.Len() != 0 || r.Shared {
					t.Fatalf("corrupted row: %s shared %v", dump(r.Data), r.Shared)
				}
			}
			if n := codec.decodes.Load() - before; n != 2 {
				t.Fatalf("corrupted text decoded %d times in 2 loads, want 2", n)
			}
		})
	}
}
