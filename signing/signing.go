package signing

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strings"
	"sync"
	"time"
)

// Errors. Every verification failure wraps ErrBadSignature; an expired
// timestamp wraps ErrSignatureExpired, which itself wraps ErrBadSignature (as
// Django's SignatureExpired subclasses BadSignature).
var (
	ErrBadSignature     = errors.New("signing: bad signature")
	ErrSignatureExpired = fmt.Errorf("%w: signature expired", ErrBadSignature)
	// ErrInvalidAlgorithm: the hash name is not one this package knows.
	ErrInvalidAlgorithm = errors.New("signing: unknown hash algorithm")
	// ErrUnsafeSeparator: the separator could occur in a signature or value.
	ErrUnsafeSeparator = errors.New("signing: unsafe signer separator")
	// ErrNoKey: Options.Key is empty.
	ErrNoKey = errors.New("signing: no key")
	// ErrPayloadTooLarge: a compressed payload decompresses to more than
	// Options.MaxDecompressedSize bytes.
	ErrPayloadTooLarge = errors.New("signing: decompressed payload too large")
)

// Default salts, as Django derives them from the class names.
const (
	DefaultSignerSalt          = "django.core.signing.Signer"
	DefaultTimestampSignerSalt = "django.core.signing.TimestampSigner"
	DefaultObjectSalt          = "django.core.signing" // dumps/loads
)

// DefaultMaxDecompressedSize is the default cap on a decompressed payload.
const DefaultMaxDecompressedSize = 1 << 20

// Options configures a Signer or TimestampSigner. The zero value of each field
// is Django's default, except Key, which is required (Django's default is
// settings.SECRET_KEY, which Go code must pass explicitly).
type Options struct {
	// Key is the secret (Django's SECRET_KEY, as UTF-8 bytes).
	Key []byte
	// FallbackKeys are tried, in order, after Key when verifying (Django 4.1+'s
	// SECRET_KEY_FALLBACKS). Signing always uses Key.
	FallbackKeys [][]byte
	// Salt namespaces signatures. Empty means the default of the type or
	// function used: DefaultSignerSalt, DefaultTimestampSignerSalt or, for
	// Dumps and Loads, DefaultObjectSalt.
	Salt string
	// Sep separates value, timestamp and signature; default ":". Separators
	// that could occur in a value or signature are rejected, as by Django.
	Sep string
	// Algorithm is the hashlib name of the hash; default "sha256".
	Algorithm string
	// LegacySHA1 also accepts SHA-1 signatures when verifying, as Django 3.2
	// does for values signed before 3.1 (or with DEFAULT_HASHING_ALGORITHM =
	// "sha1"). Django 4.0 removed this; leave it off unless you share data
	// with a 3.2 site that still has such values.
	LegacySHA1 bool
	// Now returns the current time for timestamps and max-age checks;
	// default time.Now.
	Now func() time.Time
	// MaxDecompressedSize caps the size of a decompressed payload in
	// UnsignPayload, UnsignObject and Loads; default 1 MiB. Django has no
	// such cap; the MAC is always verified first, so only a holder of the key
	// could send a zlib bomb, and the cap bounds the damage even then.
	MaxDecompressedSize int
}

type algorithm struct {
	name string
	new  func() hash.Hash
}

var algorithms = map[string]func() hash.Hash{
	"md5":        md5.New,
	"sha1":       sha1.New,
	"sha224":     sha256.New224,
	"sha256":     sha256.New,
	"sha384":     sha512.New384,
	"sha512":     sha512.New,
	"sha512_224": sha512.New512_224,
	"sha512_256": sha512.New512_256,
	"sha3_224":   func() hash.Hash { return sha3.New224() },
	"sha3_256":   func() hash.Hash { return sha3.New256() },
	"sha3_384":   func() hash.Hash { return sha3.New384() },
	"sha3_512":   func() hash.Hash { return sha3.New512() },
}

func lookupAlgorithm(name string) (func() hash.Hash, error) {
	if name == "" {
		name = "sha256"
	}
	h, ok := algorithms[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q is not an algorithm accepted by the hashlib module", ErrInvalidAlgorithm, name)
	}
	return h, nil
}

// SaltedHMAC is Django's salted_hmac(key_salt, value, secret, algorithm): an
// HMAC of value keyed by H(key_salt + secret). It returns the digest; Django's
// callers use .digest() or .hexdigest() of it. Django's default algorithm is
// "sha1"; pass it explicitly.
func SaltedHMAC(keySalt string, value, secret []byte, algorithm string) ([]byte, error) {
	newHash, err := lookupAlgorithm(algorithm)
	if err != nil {
		return nil, err
	}
	mac := hmac.New(newHash, deriveKey(newHash, keySalt, secret))
	mac.Write(value)
	return mac.Sum(nil), nil
}

func deriveKey(newHash func() hash.Hash, keySalt string, secret []byte) []byte {
	h := newHash()
	h.Write([]byte(keySalt))
	h.Write(secret)
	return h.Sum(nil)
}

// macKey is one derived HMAC key with a pool of ready HMAC states.
type macKey struct {
	pool sync.Pool // of *macState
}

// macState is a keyed HMAC with room for its digest, so computing a
// signature does not allocate.
type macState struct {
	h   hash.Hash
	sum [64]byte
}

func newMACKey(newHash func() hash.Hash, keySalt string, secret []byte) *macKey {
	derived := deriveKey(newHash, keySalt, secret)
	k := &macKey{}
	k.pool.New = func() any { return &macState{h: hmac.New(newHash, derived)} }
	return k
}

// appendSignature appends B64URL(HMAC(value)) to dst.
func (k *macKey) appendSignature(dst, value []byte) []byte {
	st := k.pool.Get().(*macState)
	st.h.Write(value)
	digest := st.h.Sum(st.sum[:0])
	n := base64.RawURLEncoding.EncodedLen(len(digest))
	dst = append(dst, make([]byte, n)...)
	base64.RawURLEncoding.Encode(dst[len(dst)-n:], digest)
	st.h.Reset()
	k.pool.Put(st)
	return dst
}

// SaltedHMACKey is SaltedHMAC with the key H(key_salt + secret) derived once
// and keyed HMAC states reused, for a salt and secret used on every request
// (Django's session auth hash). It is safe for concurrent use.
type SaltedHMACKey struct {
	k *macKey
}

// NewSaltedHMACKey derives the key of SaltedHMAC(keySalt, ·, secret,
// algorithm).
func NewSaltedHMACKey(keySalt string, secret []byte, algorithm string) (*SaltedHMACKey, error) {
	newHash, err := lookupAlgorithm(algorithm)
	if err != nil {
		return nil, err
	}
	return &SaltedHMACKey{k: newMACKey(newHash, keySalt, secret)}, nil
}

// AppendSum appends SaltedHMAC(keySalt, value, secret, algorithm) to dst.
func (k *SaltedHMACKey) AppendSum(dst, value []byte) []byte {
	st := k.k.pool.Get().(*macState)
	st.h.Write(value)
	dst = st.h.Sum(dst)
	st.h.Reset()
	k.k.pool.Put(st)
	return dst
}

// Signer is Django's django.core.signing.Signer: value + sep + signature.
// It is safe for concurrent use.
type Signer struct {
	sep        string
	salt       string
	keys       []*macKey // primary first, then fallbacks
	legacyKeys []*macKey // SHA-1 keys when Options.LegacySHA1
	now        func() time.Time
	maxSize    int
}

// NewSigner validates o and returns a Signer; the salt defaults to
// DefaultSignerSalt.
func NewSigner(o Options) (*Signer, error) {
	return newSigner(o, DefaultSignerSalt)
}

// checkSep reproduces Django's _SEP_UNSAFE = re.compile(r"^[A-z0-9-_=]*$")
// with re.match: the separator is unsafe when it consists only of the
// characters A–z (which includes [\]^_ and the backtick), 0–9, '-', '_' and
// '=', optionally followed by one newline ("$" matches before a final
// newline). The empty separator is unsafe too.
func checkSep(sep string) error {
	s := strings.TrimSuffix(sep, "\n")
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '=') {
			return nil
		}
	}
	return fmt.Errorf("%w: %q (cannot be empty or consist of only A-z0-9-_=)", ErrUnsafeSeparator, sep)
}

func newSigner(o Options, defaultSalt string) (*Signer, error) {
	if len(o.Key) == 0 {
		return nil, ErrNoKey
	}
	newHash, err := lookupAlgorithm(o.Algorithm)
	if err != nil {
		return nil, err
	}
	s := &Signer{sep: o.Sep, salt: o.Salt, now: o.Now, maxSize: o.MaxDecompressedSize}
	if s.sep == "" {
		s.sep = ":"
	}
	if err := checkSep(s.sep); err != nil {
		return nil, err
	}
	if s.salt == "" {
		s.salt = defaultSalt
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.maxSize <= 0 {
		s.maxSize = DefaultMaxDecompressedSize
	}
	secrets := append([][]byte{o.Key}, o.FallbackKeys...)
	for _, sec := range secrets {
		s.keys = append(s.keys, newMACKey(newHash, s.salt+"signer", sec))
		if o.LegacySHA1 {
			s.legacyKeys = append(s.legacyKeys, newMACKey(sha1.New, s.salt+"signer", sec))
		}
	}
	return s, nil
}

// Signature returns the signature of value with the primary key:
// B64URL(salted_hmac(salt + "signer", value, key)).
func (s *Signer) Signature(value string) string {
	return string(s.keys[0].appendSignature(nil, []byte(value)))
}

// Sign returns value + sep + Signature(value).
func (s *Signer) Sign(value string) string {
	b := make([]byte, 0, len(value)+len(s.sep)+90)
	return string(s.appendSign(b, []byte(value)))
}

func (s *Signer) appendSign(dst, value []byte) []byte {
	dst = append(dst, value...)
	dst = append(dst, s.sep...)
	return s.keys[0].appendSignature(dst, value)
}

// Unsign verifies signed (value + sep + signature) with the primary key, then
// each fallback key, and returns value. Failures wrap ErrBadSignature.
func (s *Signer) Unsign(signed string) (string, error) {
	v, err := s.unsign([]byte(signed))
	if err != nil {
		return "", err
	}
	return string(v), nil
}

func (s *Signer) unsign(signed []byte) ([]byte, error) {
	i := lastIndex(signed, s.sep)
	if i < 0 {
		return nil, fmt.Errorf("%w: no %q found in value", ErrBadSignature, s.sep)
	}
	value, sig := signed[:i], signed[i+len(s.sep):]
	var buf [128]byte
	match := 0
	for _, k := range s.keys {
		match |= subtle.ConstantTimeCompare(sig, k.appendSignature(buf[:0], value))
	}
	for _, k := range s.legacyKeys {
		match |= subtle.ConstantTimeCompare(sig, k.appendSignature(buf[:0], value))
	}
	if match != 1 {
		return nil, fmt.Errorf("%w: signature %q does not match", ErrBadSignature, truncate(sig))
	}
	return value, nil
}

func truncate(b []byte) string {
	if len(b) > 100 {
		return string(b[:100]) + "..."
	}
	return string(b)
}

func lastIndex(b []byte, sep string) int {
	return bytes.LastIndex(b, []byte(sep))
}
