package redisstore_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dmr-go/dmr/internal/testenv"
	"github.com/dmr-go/dmr/pyjson"
	"github.com/dmr-go/dmr/sessions"
	"github.com/dmr-go/dmr/sessions/dbstore"
	"github.com/dmr-go/dmr/sessions/redisstore"
)

// CPython 3.11 bytes of what django-redis's DefaultClient stores for
// authSession(): pickle.dumps(d, pickle.DEFAULT_PROTOCOL), and that passed
// through ZlibCompressor (zlib.compress(p, 6), as its length is > 15).
const (
	djrAuthPickle = "800495af000000000000007d94288c0d5f617574685f757365725f6964948c0131948c125f617574685f757365725f6261636b656e64948c29646a616e676f2e636f6e747269622e617574682e6261636b656e64732e4d6f64656c4261636b656e64948c0f5f617574685f757365725f68617368948c403031323334353637383961626364656630313233343536373839616263646566303132333435363738396162636465663031323334353637383961626364656694752e"
	djrAuthZlib   = "789c6b6099ba9e01026aa768f4f0c627969664c49716a716c567a64ce961349cd22384249694989c9d9a0794d04cc94acc4bcfd74bcecf2b29ca4cd20329d183ca16ebf9e6a7a4e638c1d4f223199091589c31a5c7c1c0d0c8d8c4d4ccdcc23231293925358d54fe94523d00dce33f3b"
)

func djrObj(kv ...any) *pyjson.Object {
	o := pyjson.NewObject(len(kv) / 2)
	for i := 0; i < len(kv); i += 2 {
		o.Set(kv[i].(string), kv[i+1])
	}
	return o
}

func authSession() *pyjson.Object {
	return djrObj("_auth_user_id", "1", "_auth_user_backend", "django.contrib.auth.backends.ModelBackend",
		"_auth_user_hash", strings.Repeat("0123456789abcdef", 4))
}

func djrOptions(prefix string, c redisstore.Compressor) redisstore.Options {
	return redisstore.Options{KeyPrefix: prefix, Format: redisstore.FormatDjangoRedis, Compressor: c,
		Logger: slog.New(slog.DiscardHandler)}
}

func djrSQLite(t testing.TB) *dbstore.Store {
	t.Helper()
	ctx := context.Background()
	codec, err := sessions.NewCodec(sessions.CodecOptions{SecretKey: []byte("django-redis-test-secret-key-0123456789abcdefghijklmnopq")})
	if err != nil {
		t.Fatal(err)
	}
	s, err := dbstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "db.sqlite3"), dbstore.Options{Codec: codec})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.CreateTables(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// TestDjangoRedisWrites checks the bytes and keys we store in the
// django-redis format against what CPython and django-redis produce.
func TestDjangoRedisWrites(t *testing.T) {
	ctx := context.Background()
	c, prefix := testenv.Redis(t)
	key := "djangoredisdjangoredisdjangored1"
	for _, tc := range []struct {
		name string
		comp redisstore.Compressor
		data *pyjson.Object
		want func(t *testing.T, raw []byte)
	}{
		{"plain", redisstore.CompressorNone, authSession(), func(t *testing.T, raw []byte) {
			if !bytes.Equal(raw, mustHex(djrAuthPickle)) {
				t.Errorf("stored %x\nwant   %s (pickle.dumps(d, 4))", raw, djrAuthPickle)
			}
		}},
		{"zlib", redisstore.CompressorZlib, authSession(), func(t *testing.T, raw []byte) {
			// Go's deflate output differs from zlib's; the stream is a
			// valid level-6 zlib stream of the same pickle.
			if !bytes.HasPrefix(raw, []byte{0x78, 0x9c}) {
				t.Errorf("stored %x: not a level-6 zlib stream", raw[:2])
			}
			zr, err := zlib.NewReader(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			p, err := io.ReadAll(zr)
			if err != nil || !bytes.Equal(p, mustHex(djrAuthPickle)) {
				t.Errorf("inflated %x, %v", p, err)
			}
		}},
		// pickle.dumps({}, 4) is 5 bytes: not above ZlibCompressor.min_length.
		{"zlib/short", redisstore.CompressorZlib, djrObj(), func(t *testing.T, raw []byte) {
			if hex.EncodeToString(raw) != "80047d942e" {
				t.Errorf("stored %x, want the bare pickle 80047d942e", raw)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := redisstore.NewCache(c, djrOptions(prefix, tc.comp))
			if err != nil {
				t.Fatal(err)
			}
			// django-redis uses Django's KEY_FUNCTION and defaults.
			if got, want := s.RedisKey(key), prefix+":1:django.contrib.sessions.cache"+key; got != want {
				t.Errorf("RedisKey = %q, want %q", got, want)
			}
			if _, err := s.Create(ctx, sessions.Record{Key: key, Data: tc.data, Expiry: time.Now().Add(time.Minute)}); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Del(ctx, s.RedisKey(key)) })
			raw, err := c.Get(ctx, s.RedisKey(key)).Bytes()
			if err != nil {
				t.Fatal(err)
			}
			tc.want(t, raw)
			r, err := s.Load(ctx, key)
			if err != nil || r.Data.Len() != tc.data.Len() {
				t.Fatalf("Load = %+v, %v", r, err)
			}
			r.Data.Set("k", "v")
			if _, err := s.Save(ctx, r); err != nil {
				t.Fatalf("Save: %v", err)
			}
		})
	}
}

// TestDjangoRedisReads loads values as django-redis stores them, and refuses
// what it must.
func TestDjangoRedisReads(t *testing.T) {
	ctx := context.Background()
	c, prefix := testenv.Redis(t)
	key := "djangoredisreadsdjangoredisread1"
	bomb := func() []byte { // 4 MiB of zeros in a few KiB
		var b bytes.Buffer
		zw, _ := zlib.NewWriterLevel(&b, 9)
		zw.Write([]byte{0x80, 4, 'X', 0, 0, 0x40, 0})
		zw.Write(make([]byte, 4<<20))
		zw.Close()
		return b.Bytes()
	}()
	truncated := mustHex(djrAuthZlib)
	truncated = truncated[:len(truncated)-4] // Adler-32 missing
	for _, tc := range []struct {
		name string
		comp redisstore.Compressor
		val  []byte
		ok   bool
	}{
		{"pickle", redisstore.CompressorNone, mustHex(djrAuthPickle), true},
		{"pickle protocol 5 (PICKLE_VERSION=5)", redisstore.CompressorNone, append([]byte{0x80, 5}, mustHex(djrAuthPickle)[2:]...), true},
		{"zlib from CPython", redisstore.CompressorZlib, mustHex(djrAuthZlib), true},
		{"zlib, then bytes after the stream", redisstore.CompressorZlib, append(mustHex(djrAuthZlib), "junk"...), true},
		{"zlib option, uncompressed value", redisstore.CompressorZlib, mustHex(djrAuthPickle), true},
		{"zlib option, short value", redisstore.CompressorZlib, mustHex("80047d942e"), true},
		{"compressed value without the option", redisstore.CompressorNone, mustHex(djrAuthZlib), false},
		{"truncated zlib stream", redisstore.CompressorZlib, truncated, false},
		{"zlib bomb", redisstore.CompressorZlib, bomb, false},
		{"integer (django-redis stores ints as text)", redisstore.CompressorZlib, []byte("42"), false},
		{"os.system", redisstore.CompressorZlib, []byte("cos\nsystem\n(S'echo pwned'\ntR."), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := redisstore.NewCache(c, djrOptions(prefix, tc.comp))
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Set(ctx, s.RedisKey(key), tc.val, time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
			r, err := s.Load(ctx, key)
			if !tc.ok {
				if !errors.Is(err, sessions.ErrNotFound) {
					t.Errorf("Load = %+v, %v; want ErrNotFound", r.Data, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if v, _ := r.Data.Get("_auth_user_id"); r.Data.Len() != 3 && r.Data.Len() != 0 || r.Data.Len() == 3 && v != "1" {
				t.Errorf("loaded %v", r.Data.Keys())
			}
			// Our compare-and-swap works on the bytes django-redis wrote.
			r.Data.Set("seen", true)
			if _, err := s.Save(ctx, r); err != nil {
				t.Fatalf("Save over django-redis's bytes: %v", err)
			}
		})
	}
	if _, err := redisstore.NewCache(c, redisstore.Options{Compressor: redisstore.CompressorZlib}); err == nil {
		t.Error("a compressor with Django's own RedisCache format was accepted")
	}
	if _, err := redisstore.NewCache(c, redisstore.Options{Format: 7}); err == nil {
		t.Error("an unknown format was accepted")
	}
	if _, err := redisstore.NewCache(c, redisstore.Options{Format: redisstore.FormatDjangoRedis, Compressor: 9}); err == nil {
		t.Error("an unknown compressor was accepted")
	}
}

// TestDjangoRedisCachedDB runs cached_db over compressed django-redis values:
// a cached copy written by django-redis is read, saved over (the comparison
// with the row inflates it) and refreshed.
func TestDjangoRedisCachedDB(t *testing.T) {
	ctx := context.Background()
	c, prefix := testenv.Redis(t)
	db := djrSQLite(t)
	s, err := redisstore.NewCachedDB(db, c, djrOptions(prefix, redisstore.CompressorZlib))
	if err != nil {
		t.Fatal(err)
	}
	key := sessions.NewKey()
	if _, err := db.Create(ctx, sessions.Record{Key: key, Data: authSession(), Expiry: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	// As Django with django-redis would have cached the row.
	if err := c.Set(ctx, s.RedisKey(key), mustHex(djrAuthZlib), time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	r, err := s.Load(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	r.Data.Set("cart", []any{int64(1), int64(2)})
	if _, err := s.Save(ctx, r); err != nil {
		t.Fatalf("Save after a cache hit on django-redis's bytes: %v", err)
	}
	raw, err := c.Get(ctx, s.RedisKey(key)).Bytes()
	if err != nil || !bytes.HasPrefix(raw, []byte{0x78, 0x9c}) {
		t.Fatalf("cache entry %x, %v: want a zlib stream", raw, err)
	}
	// A stale cached copy (another dict than the row) is a conflict, not a
	// lost update.
	if err := c.Set(ctx, s.RedisKey(key), mustHex(djrAuthZlib), time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	r, err = s.Load(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	r.Data.Set("x", int64(1))
	if _, err := s.Save(ctx, r); !errors.Is(err, sessions.ErrConflict) {
		t.Errorf("Save over a stale cached copy = %v, want ErrConflict", err)
	}
	// The stale entry is gone; the row is read and cached again.
	r, err = s.Load(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Data.Get("cart"); !ok {
		t.Errorf("reloaded %v, want the row with cart", r.Data.Keys())
	}
}

// BenchmarkDjangoRedisLoad is Cache.Load of a logged-in session stored in the
// django-redis format (one round trip, then inflating and unpickling).
func BenchmarkDjangoRedisLoad(b *testing.B) {
	ctx := context.Background()
	for _, comp := range []redisstore.Compressor{redisstore.CompressorNone, redisstore.CompressorZlib} {
		b.Run("compressor="+comp.String(), func(b *testing.B) {
			c, prefix := testenv.Redis(b)
			st, err := redisstore.NewCache(c, djrOptions(prefix, comp))
			if err != nil {
				b.Fatal(err)
			}
			key := sessions.NewKey()
			if _, err := st.Create(ctx, sessions.Record{Key: key, Data: authSession(), Expiry: time.Now().Add(time.Hour)}); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := st.Load(ctx, key); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

var _ redis.UniversalClient = (*redis.Client)(nil)
