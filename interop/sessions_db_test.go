package interop_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/dmr-go/dmr/internal/djangotest"
	"github.com/dmr-go/dmr/pyjson"
	"github.com/dmr-go/dmr/sessions"
	"github.com/dmr-go/dmr/sessions/dbstore"
)

// newKey returns a session key as Django makes them: 32 of [a-z0-9].
func newKey() string {
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 32)
	for i := range b {
		n := make([]byte, 1)
		for {
			rand.Read(n)
			if n[0] < 252 { // 252 = 7*36: no modulo bias
				break
			}
		}
		b[i] = chars[int(n[0])%36]
	}
	return string(b)
}

func object(t *testing.T, text string) *pyjson.Object {
	t.Helper()
	o, err := pyjson.UnmarshalObject([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// sessionStack is Django and Go sharing one database.
type sessionStack struct {
	dj    *djangotest.Django
	store *dbstore.Store
}

func newSessionStack(t *testing.T, v string, db database, cfg djangotest.Config) sessionStack {
	t.Helper()
	cfg.DB = db.URL
	dj := djangotest.New(t, v, cfg)
	tables := dj.Migrate(false)
	if !slices.Contains(tables, "django_session") {
		t.Fatalf("Django's migrate made %v", tables)
	}
	ctx := context.Background()
	store, err := dbstore.Open(ctx, db.URL, dbstore.Options{Codec: djangoCodec(t, dj.Config().SecretKey, dj.Config().Fallbacks), Logger: quietLogger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	// Go's schema creation accepts the table Django migrated.
	if err := store.CreateTables(ctx); err != nil {
		t.Fatalf("CreateTables on a Django-migrated %s database: %v", db.Kind, err)
	}
	return sessionStack{dj, store}
}

// Django's db backend writes a session → Go reads every key, in order, and
// the expiry; Go writes → Django's SessionStore reads it; each side updates
// and deletes what the other wrote; expired and unknown keys are adopted by
// neither; and the session cookie works end to end through Go's and
// Django's SessionMiddleware.
func TestSessionsDB(t *testing.T) {
	forMatrixOn(t, sessionDatabases, func(t *testing.T, v string, db database) {
		ctx := context.Background()
		st := newSessionStack(t, v, db, djangotest.Config{})
		for _, text := range testValues {
			want := canonical(t, []byte(text))

			// Django → Go.
			before := time.Now()
			ds := st.dj.SessionWrite(json.RawMessage(text))
			rec, err := st.store.Load(ctx, ds.Key)
			if err != nil {
				t.Fatalf("Go cannot load Django's session %s: %v", ds.Key, err)
			}
			if got := canonicalValue(t, rec.Data); got != want {
				t.Errorf("Django wrote %s, Go read %s", want, got)
			}
			if exp := before.Add(1209600 * time.Second); rec.Expiry.Before(exp.Add(-time.Minute)) || rec.Expiry.After(exp.Add(time.Minute)) {
				t.Errorf("expire_date %v, want about %v", rec.Expiry, exp)
			}

			// Go → Django.
			key := newKey()
			expiry := time.Now().Add(3 * time.Hour).Truncate(time.Microsecond)
			if _, err := st.store.Create(ctx, sessions.Record{Key: key, Data: object(t, text), Expiry: expiry}); err != nil {
				t.Fatal(err)
			}
			got := st.dj.SessionRead(key)
			if got.Key != key {
				t.Fatalf("Django did not adopt Go's session %s (%+v)", key, got)
			}
			if c := canonical(t, got.Data); c != want {
				t.Errorf("Go wrote %s, Django read %s", want, c)
			}
			var raw struct {
				ExpireDate string `json:"expire_date"`
			}
			st.dj.Run("session-raw", map[string]any{"key": key}, &raw)
			if d, err := time.Parse(time.RFC3339Nano, raw.ExpireDate); err != nil || !d.Equal(expiry) {
				t.Errorf("Go wrote expire_date %v, Django's ORM reads %q (%v)", expiry, raw.ExpireDate, err)
			}
		}

		// Go updates a Django session; Django updates it back.
		ds := st.dj.SessionWrite(map[string]any{"a": "1", "b": "2"})
		rec, err := st.store.Load(ctx, ds.Key)
		if err != nil {
			t.Fatal(err)
		}
		rec.Data = rec.Data.Clone()
		rec.Data.Set("c", "from Go")
		rec.Data.Delete("a")
		if _, err := st.store.Save(ctx, rec); err != nil {
			t.Fatal(err)
		}
		if got := canonical(t, st.dj.SessionRead(ds.Key).Data); got != `{"b":"2","c":"from Go"}` {
			t.Errorf("after Go's update Django reads %s", got)
		}
		st.dj.SessionUpdate(ds.Key, map[string]any{"d": "from Django"}, []string{"b"})
		rec2, err := st.store.Load(ctx, ds.Key)
		if err != nil {
			t.Fatal(err)
		}
		if got := canonicalValue(t, rec2.Data); got != `{"c":"from Go","d":"from Django"}` {
			t.Errorf("after Django's update Go reads %s", got)
		}
		// Go's compare-and-swap notices Django's write in between.
		if _, err := st.store.Save(ctx, rec); !errors.Is(err, sessions.ErrConflict) {
			t.Errorf("stale Save after Django's update: %v, want ErrConflict", err)
		}

		// Deletes, both ways.
		st.dj.Run("session-delete", map[string]any{"key": ds.Key}, nil)
		if _, err := st.store.Load(ctx, ds.Key); !errors.Is(err, sessions.ErrNotFound) {
			t.Errorf("Go loads a session Django deleted: %v", err)
		}
		ds = st.dj.SessionWrite(map[string]any{"x": 1})
		if err := st.store.Delete(ctx, ds.Key); err != nil {
			t.Fatal(err)
		}
		if got := st.dj.SessionRead(ds.Key); got.Key != "" {
			t.Errorf("Django adopted a key Go deleted: %+v", got)
		}

		// An expired Go row is not adopted by Django, and Django's
		// clear_expired removes it.
		key := newKey()
		if _, err := st.store.Create(ctx, sessions.Record{Key: key, Data: object(t, `{"old":true}`), Expiry: time.Now().Add(-time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if got := st.dj.SessionRead(key); got.Key != "" || string(got.Data) != "{}" {
			t.Errorf("Django adopted an expired session: %+v", got)
		}
		st.dj.Run("clear-expired", nil, nil)
		var raw *struct{}
		st.dj.Run("session-raw", map[string]any{"key": key}, &raw)
		if raw != nil {
			t.Errorf("Django's clear_expired left Go's expired row")
		}
		// A row whose data was signed with another key is an empty session
		// on both sides.
		other := djangoCodec(t, "another-key", nil)
		data, _ := other.Encode(object(t, `{"_auth_user_id":"1"}`))
		key = newKey()
		if err := insertRaw(ctx, st.store, key, data); err != nil {
			t.Fatal(err)
		}
		if got := st.dj.SessionRead(key); string(got.Data) != "{}" {
			t.Errorf("Django decoded data signed with another key: %+v", got)
		}
		if rec, err := st.store.Load(ctx, key); err != nil || rec.Data.Len() != 0 {
			t.Errorf("Go decoded data signed with another key: %v %v", rec.Data, err)
		}

		sessionCookieRoundTrip(t, st.dj, goSessionApp(t, sessions.Options{Store: st.store}))
	})
}

func insertRaw(ctx context.Context, s *dbstore.Store, key, data string) error {
	d := s.DB().Dialect
	q := d.Rebind(`INSERT INTO django_session (session_key, session_data, expire_date) VALUES (?, ?, ?)`)
	_, err := s.DB().Write.ExecContext(ctx, q, key, data, d.TimeArg(time.Now().Add(time.Hour)))
	return err
}
