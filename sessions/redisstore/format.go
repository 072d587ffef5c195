package redisstore

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"sync"

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
	z := cm.deflaters.get()
	defer cm.deflaters.put(z)
	return z.deflate(val)
}

// deflater is a reusable zlib writer: a fresh zlib.NewWriterLevel allocates
// about 800 KB.
type deflater struct {
	zw  *zlib.Writer
	out bytes.Buffer
}

// deflaterPool keeps deflaters of one store; the zero value is ready.
type deflaterPool struct{ p sync.Pool }

func (dp *deflaterPool) get() *deflater {
	if z, ok := dp.p.Get().(*deflater); ok {
		return z
	}
	return new(deflater)
}

func (dp *deflaterPool) put(z *deflater) {
	if z.out.Cap() > 64<<10 {
		z.out = bytes.Buffer{} // keep the writer, not a buffer grown by a rare large session
	}
	dp.p.Put(z)
}

// deflate returns a new slice holding val as a zlib stream at
// ZlibCompressor's level.
func (z *deflater) deflate(val []byte) ([]byte, error) {
	z.out.Reset()
	if z.zw == nil {
		zw, err := zlib.NewWriterLevel(&z.out, zlibLevel)
		if err != nil {
			return nil, err
		}
		z.zw = zw
	} else {
		z.zw.Reset(&z.out)
	}
	if _, err := z.zw.Write(val); err != nil {
		return nil, err
	}
	if err := z.zw.Close(); err != nil {
		return nil, err
	}
	return bytes.Clone(z.out.Bytes()), nil
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
		z := cm.inflaters.get()
		defer cm.inflaters.put(z)
		raw, err := z.inflate(val, cm.maxSize)
		if errors.Is(err, errInflatedTooLarge) {
			return nil, err
		}
		if err == nil {
			val = raw // only read by Unmarshal, which copies what it keeps
		}
	}
	return pickle.Unmarshal(val)
}

var errInflatedTooLarge = errors.New("decompressed cached value exceeds MaxValueSize")

// inflater is a reusable zlib reader and output buffer: a fresh
// zlib.NewReader allocates about 40 KB.
type inflater struct {
	in  bytes.Reader
	zr  io.ReadCloser
	out bytes.Buffer
}

// inflaterPool keeps inflaters of one store; the zero value is ready.
type inflaterPool struct{ p sync.Pool }

func (ip *inflaterPool) get() *inflater {
	if z, ok := ip.p.Get().(*inflater); ok {
		return z
	}
	return new(inflater)
}

func (ip *inflaterPool) put(z *inflater) {
	if z.out.Cap() > 64<<10 {
		return // do not keep buffers grown by a rare large session
	}
	ip.p.Put(z)
}

// inflate decompresses a whole zlib stream (header, data, Adler-32), as
// Python's zlib.decompress does: bytes after the stream are ignored, a
// truncated stream or a wrong checksum is an error. The result is valid
// until the next use of z.
func (z *inflater) inflate(val []byte, maxSize int) ([]byte, error) {
	z.in.Reset(val)
	if z.zr == nil {
		zr, err := zlib.NewReader(&z.in)
		if err != nil {
			return nil, err
		}
		z.zr = zr
	} else if err := z.zr.(zlib.Resetter).Reset(&z.in, nil); err != nil {
		return nil, err
	}
	z.out.Reset()
	if _, err := z.out.ReadFrom(io.LimitReader(z.zr, int64(maxSize)+1)); err != nil {
		return nil, err
	}
	if z.out.Len() > maxSize {
		return nil, errInflatedTooLarge
	}
	return z.out.Bytes(), nil
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
