package redisstore

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"

	"github.com/dmr-go/dmr/pyjson"
	"github.com/dmr-go/dmr/sessions/redisstore/pickle"
)

// Format names the Django cache backend whose values a store reads and
// writes (see "Formats" in the package doc).
type Format int

const (
	// FormatDjango is Django's own
	// django.core.cache.backends.redis.RedisCache (Django 4.0+): the
	// session dict pickled with pickle.HIGHEST_PROTOCOL (5), uncompressed.
	FormatDjango Format = iota
	// FormatDjangoRedis is django-redis's django_redis.cache.RedisCache
	// with its DefaultClient and PickleSerializer: the dict pickled with
	// pickle.DEFAULT_PROTOCOL (4), then passed through the configured
	// compressor (Options.Compressor).
	FormatDjangoRedis
)

// String returns the name manage's DMR_REDIS_BACKEND uses.
func (f Format) String() string {
	switch f {
	case FormatDjango:
		return "django"
	case FormatDjangoRedis:
		return "django_redis"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// Compressor is django-redis's OPTIONS["COMPRESSOR"].
type Compressor int

const (
	// CompressorNone is django-redis's default,
	// django_redis.compressors.identity.IdentityCompressor.
	CompressorNone Compressor = iota
	// CompressorZlib is django_redis.compressors.zlib.ZlibCompressor:
	// pickles longer than 15 bytes are stored as a zlib stream (level 6),
	// shorter ones as they are.
	CompressorZlib
)

// String returns the name manage's DMR_REDIS_COMPRESSOR uses.
func (c Compressor) String() string {
	switch c {
	case CompressorNone:
		return "none"
	case CompressorZlib:
		return "zlib"
	}
	return fmt.Sprintf("Compressor(%d)", int(c))
}

// django-redis's ZlibCompressor: min_length and preset.
const (
	zlibMinLength = 15
	zlibLevel     = 6
)

// pickleProtocol returns the protocol the format writes.
func (f Format) pickleProtocol() int {
	if f == FormatDjangoRedis {
		return 4 // pickle.DEFAULT_PROTOCOL on Python 3.8 to 3.13
	}
	return pickle.Protocol
}

func checkFormat(f Format, c Compressor) error {
	switch f {
	case FormatDjango, FormatDjangoRedis:
	default:
		return fmt.Errorf("redisstore: unknown %v", f)
	}
	switch c {
	case CompressorNone:
	case CompressorZlib:
		if f != FormatDjangoRedis {
			return errors.New("redisstore: Compressor needs FormatDjangoRedis (Django's own RedisCache does not compress)")
		}
	default:
		return fmt.Errorf("redisstore: unknown %v", c)
	}
	return nil
}

// encode returns the bytes the configured backend stores for the session
// dict o.
func (cm *common) encode(o *pyjson.Object) ([]byte, error) {
	val, err := pickle.MarshalProtocol(o, cm.format.pickleProtocol())
	if err != nil || cm.compressor != CompressorZlib || len(val) <= zlibMinLength {
		return val, err
	}
	var buf bytes.Buffer
	buf.Grow(len(val)/2 + 16)
	zw, err := zlib.NewWriterLevel(&buf, zlibLevel)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(val); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// unpickle decodes a stored value as the configured backend reads it:
// a value that Python's int() accepts is an integer (both backends store
// plain ints as their decimal text), not a session; with the zlib compressor
// a value that does not inflate is unpickled as it is (django-redis's
// "little values, chosen to be not compressed"). The inflated size is bounded
// by MaxValueSize.
func (cm *common) unpickle(val []byte) (*pyjson.Object, error) {
	if len(val) > cm.maxSize {
		return nil, fmt.Errorf("cached value of %d bytes exceeds %d", len(val), cm.maxSize)
	}
	if pyInt(val) {
		return nil, fmt.Errorf("cached value %.20q is an integer, not a session dict", val)
	}
	if cm.compressor == CompressorZlib {
		raw, err := inflate(val, cm.maxSize)
		if errors.Is(err, errInflatedTooLarge) {
			return nil, err
		}
		if err == nil {
			val = raw
		}
	}
	return pickle.Unmarshal(val)
}

var errInflatedTooLarge = errors.New("decompressed cached value exceeds MaxValueSize")

// inflate decompresses a whole zlib stream (header, data, Adler-32), as
// Python's zlib.decompress does: bytes after the stream are ignored, a
// truncated stream or a wrong checksum is an error.
func inflate(val []byte, maxSize int) ([]byte, error) {
	zr, err := zlib.NewReader(bytes.NewReader(val))
	if err != nil {
		return nil, err
	}
	out, err := io.ReadAll(io.LimitReader(zr, int64(maxSize)+1))
	if err != nil {
		return nil, err
	}
	if len(out) > maxSize {
		return nil, errInflatedTooLarge
	}
	return out, nil
}

// pyInt reports whether Python's int(b) accepts b: optional ASCII
// whitespace around an optional sign and decimal digits, single underscores
// allowed between digits.
func pyInt(b []byte) bool {
	b = bytes.Trim(b, " \t\n\v\f\r")
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		b = b[1:]
	}
	if len(b) == 0 {
		return false
	}
	prevDigit := false
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			prevDigit = true
		case c == '_' && prevDigit:
			prevDigit = false
		default:
			return false
		}
	}
	return prevDigit
}
