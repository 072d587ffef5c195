package redisstore

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/dmr-go/dmr/pyjson"
)

func djrCodec(c Compressor) *common {
	return &common{maxSize: 64 << 10, format: FormatDjangoRedis, compressor: c, inflaters: new(inflaterPool), deflaters: new(deflaterPool)}
}

// FuzzDjangoRedisDecode feeds arbitrary stored values to the django-redis
// decoding path (integer check, zlib with fallback, pickle): it must never
// panic, and what it accepts must survive our own encoding unchanged.
func FuzzDjangoRedisDecode(f *testing.F) {
	for _, s := range []string{
		"80047d942e",
		"8004950a000000000000007d948c0161944b01732e",
		"789c6b6099ba9e01026aa768f4f0c627969664c49716a716c567a64ce961349cd22384249694989c9d9a0794d04cc94acc4bcfd74bcecf2b29ca4cd20329d183ca16ebf9e6a7a4e638c1d4f223199091589c31a5c7c1c0d0c8d8c4d4ccdcc23231293925358d54fe94523d00dce33f3b",
		"789c", "3432", "2031355f3030300a",
	} {
		b, _ := hex.DecodeString(s)
		f.Add(b)
	}
	zc, nc := djrCodec(CompressorZlib), djrCodec(CompressorNone)
	f.Fuzz(func(t *testing.T, val []byte) {
		for _, cm := range []*common{zc, nc} {
			o, err := cm.unpickle(val)
			if err != nil {
				continue
			}
			enc, err := cm.encode(o)
			if err != nil {
				t.Fatalf("decoded value does not encode: %v", err)
			}
			o2, err := cm.unpickle(enc)
			if err != nil {
				t.Fatalf("our own output %x does not decode: %v", enc, err)
			}
			enc2, err := cm.encode(o2)
			if err != nil || !bytes.Equal(enc, enc2) {
				t.Fatalf("unstable round trip: %x vs %x (%v)", enc, enc2, err)
			}
		}
	})
}

func TestPyInt(t *testing.T) {
	for s, want := range map[string]bool{
		"42": true, "-7": true, "+0": true, " 12\n": true, "1_000": true, "\v\f9\r": true,
		"": false, " ": false, "-": false, "1__0": false, "_1": false, "1_": false, "1.0": false,
		"0x10": false, "1 2": false, "- 1": false, "\x1c1": false, "\x80\x04}\x94.": false, "x\x9c": false,
	} {
		if got := pyInt([]byte(s)); got != want {
			t.Errorf("pyInt(%q) = %v, want %v (Python's int())", s, got, want)
		}
	}
}

func loggedInSession() *pyjson.Object {
	o := pyjson.NewObject(3)
	o.Set("_auth_user_id", "1")
	o.Set("_auth_user_backend", "django.contrib.auth.backends.ModelBackend")
	o.Set("_auth_user_hash", strings.Repeat("0123456789abcdef", 4))
	return o
}

// BenchmarkDjangoRedisDecode is the decoding of a logged-in session as
// django-redis stores it, without Redis.
func BenchmarkDjangoRedisDecode(b *testing.B) {
	o := loggedInSession()
	for _, c := range []Compressor{CompressorNone, CompressorZlib} {
		b.Run("compressor="+c.String(), func(b *testing.B) {
			cm := djrCodec(c)
			val, err := cm.encode(o)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := cm.unpickle(val); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDjangoRedisEncode is the encoding of a logged-in session as
// django-redis stores it, without Redis.
func BenchmarkDjangoRedisEncode(b *testing.B) {
	o := loggedInSession()
	for _, c := range []Compressor{CompressorNone, CompressorZlib} {
		b.Run("compressor="+c.String(), func(b *testing.B) {
			cm := djrCodec(c)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := cm.encode(o); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
