package signing

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	"github.com/dmr-go/dmr/pyjson"
)

const base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// B62Encode is Django's b62_encode: base 62 with the alphabet 0-9A-Za-z, most
// significant digit first, "-" for negatives.
func B62Encode(n int64) string {
	return string(appendB62(nil, n))
}

func appendB62(dst []byte, n int64) []byte {
	if n == 0 {
		return append(dst, '0')
	}
	var buf [12]byte
	i := len(buf)
	u := uint64(n)
	if n < 0 {
		u = uint64(-n)
	}
	for u > 0 {
		i--
		buf[i] = base62Alphabet[u%62]
		u /= 62
	}
	if n < 0 {
		dst = append(dst, '-')
	}
	return append(dst, buf[i:]...)
}

// B62Decode is Django's b62_decode. It fails on characters outside the
// alphabet, on an empty string and on values outside int64.
func B62Decode(s string) (int64, error) {
	return b62Decode([]byte(s))
}

func b62Decode(s []byte) (int64, error) {
	neg := false
	if len(s) > 0 && s[0] == '-' {
		neg, s = true, s[1:]
	}
	if len(s) == 0 {
		return 0, errors.New("signing: empty base62 number")
	}
	var n uint64
	for _, c := range s {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'A' && c <= 'Z':
			d = c - 'A' + 10
		case c >= 'a' && c <= 'z':
			d = c - 'a' + 36
		default:
			return 0, fmt.Errorf("signing: invalid base62 digit %q", c)
		}
		if n > (math.MaxInt64-uint64(d))/62 {
			return 0, errors.New("signing: base62 number out of range")
		}
		n = n*62 + uint64(d)
	}
	if neg {
		return -int64(n), nil
	}
	return int64(n), nil
}

// TimestampSigner is Django's TimestampSigner: value + sep + base62(unix
// time) + sep + signature, the signature covering value and timestamp. It
// also signs objects (Django's sign_object/unsign_object, which dumps and
// loads use). It is safe for concurrent use.
type TimestampSigner struct {
	Signer
}

// NewTimestampSigner validates o and returns a TimestampSigner; the salt
// defaults to DefaultTimestampSignerSalt.
func NewTimestampSigner(o Options) (*TimestampSigner, error) {
	s, err := newSigner(o, DefaultTimestampSignerSalt)
	if err != nil {
		return nil, err
	}
	return &TimestampSigner{Signer: *s}, nil
}

// Sign returns value:timestamp:signature.
func (t *TimestampSigner) Sign(value string) string {
	return string(t.appendSign(make([]byte, 0, len(value)+100), []byte(value)))
}

func (t *TimestampSigner) appendSign(dst, value []byte) []byte {
	start := len(dst)
	dst = append(dst, value...)
	dst = append(dst, t.sep...)
	dst = appendB62(dst, t.now().Unix())
	signed := dst[start:]
	dst = append(dst, t.sep...)
	return t.keys[0].appendSignature(dst, signed)
}

// Unsign verifies signed and returns the value. With maxAge > 0 a value
// signed more than maxAge ago fails with ErrSignatureExpired (checked after
// the signature, as Django does); maxAge <= 0 means no limit.
func (t *TimestampSigner) Unsign(signed string, maxAge time.Duration) (string, error) {
	v, err := t.unsignTS([]byte(signed), maxAge)
	if err != nil {
		return "", err
	}
	return string(v), nil
}

func (t *TimestampSigner) unsignTS(signed []byte, maxAge time.Duration) ([]byte, error) {
	result, err := t.Signer.unsign(signed)
	if err != nil {
		return nil, err
	}
	i := lastIndex(result, t.sep)
	if i < 0 {
		return nil, fmt.Errorf("%w: no timestamp", ErrBadSignature)
	}
	value, tsText := result[:i], result[i+len(t.sep):]
	ts, err := b62Decode(tsText)
	if err != nil {
		return nil, fmt.Errorf("%w: bad timestamp: %w", ErrBadSignature, err)
	}
	if maxAge > 0 {
		// Django: age = time.time() - timestamp; expired when age > max_age.
		age := t.now().Sub(time.Unix(ts, 0))
		if age > maxAge {
			return nil, fmt.Errorf("%w: signature age %s > %s", ErrSignatureExpired, age, maxAge)
		}
	}
	return value, nil
}

// SignPayload signs already-serialized data as Django's sign_object does:
// with compress, the data is zlib-compressed and used (with a "." prefix)
// only if that saves at least two bytes; then it is base64url-encoded
// without padding and signed with a timestamp.
func (t *TimestampSigner) SignPayload(data []byte, compress bool) string {
	return string(t.appendSignPayload(nil, data, compress))
}

func (t *TimestampSigner) appendSignPayload(dst, data []byte, compress bool) []byte {
	dotted := false
	if compress {
		var buf bytes.Buffer
		zw, _ := zlib.NewWriterLevel(&buf, zlib.DefaultCompression)
		zw.Write(data)
		zw.Close()
		if buf.Len() < len(data)-1 {
			data, dotted = buf.Bytes(), true
		}
	}
	n := base64.RawURLEncoding.EncodedLen(len(data))
	payload := make([]byte, 0, n+1)
	if dotted {
		payload = append(payload, '.')
	}
	payload = payload[:len(payload)+n]
	base64.RawURLEncoding.Encode(payload[len(payload)-n:], data)
	if dst == nil {
		dst = make([]byte, 0, len(payload)+100)
	}
	return t.appendSign(dst, payload)
}

// SignObject serializes v with pyjson (as Django's JSONSerializer) and signs
// it with SignPayload.
func (t *TimestampSigner) SignObject(v any, compress bool) (string, error) {
	data, err := pyjson.Marshal(v)
	if err != nil {
		return "", err
	}
	return t.SignPayload(data, compress), nil
}

// UnsignPayload verifies s (see Unsign), then base64-decodes the payload and,
// if it starts with ".", decompresses it. The MAC is checked before anything
// is decoded or decompressed; the decompressed size is capped.
func (t *TimestampSigner) UnsignPayload(s string, maxAge time.Duration) ([]byte, error) {
	return t.UnsignPayloadBytes([]byte(s), maxAge)
}

// UnsignPayloadBytes is UnsignPayload for a byte slice, which it does not
// modify or retain.
func (t *TimestampSigner) UnsignPayloadBytes(s []byte, maxAge time.Duration) ([]byte, error) {
	payload, err := t.unsignTS(s, maxAge)
	if err != nil {
		return nil, err
	}
	decompress := false
	if len(payload) > 0 && payload[0] == '.' {
		decompress, payload = true, payload[1:]
	}
	for len(payload) > 0 && payload[len(payload)-1] == '=' {
		payload = payload[:len(payload)-1]
	}
	data := make([]byte, base64.RawURLEncoding.DecodedLen(len(payload)))
	n, err := base64.RawURLEncoding.Decode(data, payload)
	if err != nil {
		return nil, fmt.Errorf("signing: payload is not base64: %w", err)
	}
	data = data[:n]
	if decompress {
		return inflate(data, t.maxSize)
	}
	return data, nil
}

// UnsignObject verifies and decodes a value made by SignObject or Django's
// dumps with the same key and salt.
func (t *TimestampSigner) UnsignObject(s string, maxAge time.Duration) (any, error) {
	data, err := t.UnsignPayload(s, maxAge)
	if err != nil {
		return nil, err
	}
	return pyjson.Unmarshal(data)
}

type inflater struct {
	src bytes.Reader
	zr  io.ReadCloser
}

var inflaters sync.Pool

// inflate decompresses a zlib stream of at most max bytes.
func inflate(data []byte, max int) ([]byte, error) {
	f, _ := inflaters.Get().(*inflater)
	if f == nil {
		f = &inflater{}
		f.src.Reset(data)
		zr, err := zlib.NewReader(&f.src)
		if err != nil {
			return nil, fmt.Errorf("signing: bad compressed payload: %w", err)
		}
		f.zr = zr
	} else {
		f.src.Reset(data)
		if err := f.zr.(zlib.Resetter).Reset(&f.src, nil); err != nil {
			inflaters.Put(f)
			return nil, fmt.Errorf("signing: bad compressed payload: %w", err)
		}
	}
	defer inflaters.Put(f)
	size := 4*len(data) + 64
	if size > max+1 {
		size = max + 1
	}
	out := make([]byte, 0, size)
	for {
		if len(out) == cap(out) {
			out = append(out, 0)[:len(out)]
		}
		n, err := f.zr.Read(out[len(out):cap(out)])
		out = out[:len(out)+n]
		if len(out) > max {
			return nil, fmt.Errorf("%w (more than %d bytes)", ErrPayloadTooLarge, max)
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("signing: bad compressed payload: %w", err)
		}
	}
}

// Dumps is Django's signing.dumps(obj, key, salt, compress=compress): obj
// serialized as Python's json.dumps writes it, optionally compressed, signed
// with a timestamp. The salt defaults to DefaultObjectSalt ("django.core.signing").
//
// Dumps derives the keys on every call; keep a TimestampSigner for repeated use.
func Dumps(obj any, o Options, compress bool) (string, error) {
	t, err := NewTimestampSigner(objectOptions(o))
	if err != nil {
		return "", err
	}
	return t.SignObject(obj, compress)
}

// Loads is Django's signing.loads(s, key, salt, max_age, fallback_keys): it
// verifies s with o.Key and then each of o.FallbackKeys, checks the age when
// maxAge > 0, and decodes the object (see pyjson.Unmarshal for the Go types).
// Every failure is an error; authentication failures wrap ErrBadSignature.
func Loads(s string, o Options, maxAge time.Duration) (any, error) {
	t, err := NewTimestampSigner(objectOptions(o))
	if err != nil {
		return nil, err
	}
	return t.UnsignObject(s, maxAge)
}

func objectOptions(o Options) Options {
	if o.Salt == "" {
		o.Salt = DefaultObjectSalt
	}
	return o
}
