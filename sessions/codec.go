package sessions

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dmr-go/dmr/pyjson"
	"github.com/dmr-go/dmr/signing"
)

// DefaultSalt is the key salt of every built-in Django session backend:
// "django.contrib.sessions." + the class name, which is SessionStore for db,
// cache, cached_db and file alike.
const DefaultSalt = "django.contrib.sessions.SessionStore"

// CodecOptions configures a DjangoCodec.
type CodecOptions struct {
	// SecretKey is Django's SECRET_KEY (required).
	SecretKey []byte
	// FallbackKeys is SECRET_KEY_FALLBACKS: tried in order when verifying,
	// never used to sign.
	FallbackKeys [][]byte
	// Salt is the key salt; default DefaultSalt. A project whose
	// SESSION_ENGINE is a subclass (class MyStore(db.SessionStore)) uses
	// "django.contrib.sessions.MyStore".
	Salt string
	// Legacy32 also reads what Django 3.1/3.2 could still read: session data
	// in the pre-3.1 format (base64 of a SHA-1 hex MAC, ":" and the JSON) and
	// SHA-1 signatures. Only needed when sharing a database with a Django 3.2
	// site that has such rows (DEFAULT_HASHING_ALGORITHM = "sha1", or rows
	// written before 3.1). Writing always uses the current format.
	Legacy32 bool
	// Now returns the current time for the signature timestamp; default
	// time.Now.
	Now func() time.Time
	// MaxDecompressedSize caps decompressed session data; default
	// signing.DefaultMaxDecompressedSize.
	MaxDecompressedSize int
}

// DjangoCodec is the Codec for Django's session_data: signing.dumps of the
// session dict with the session salt and compression, as SessionBase.encode
// writes it, and SessionBase.decode to read it. It is safe for concurrent use.
type DjangoCodec struct {
	ts         *signing.TimestampSigner
	legacySalt string
	secret     []byte
}

var _ Codec = (*DjangoCodec)(nil)

// NewCodec validates o and returns a DjangoCodec.
func NewCodec(o CodecOptions) (*DjangoCodec, error) {
	if o.Salt == "" {
		o.Salt = DefaultSalt
	}
	ts, err := signing.NewTimestampSigner(signing.Options{
		Key:                 o.SecretKey,
		FallbackKeys:        o.FallbackKeys,
		Salt:                o.Salt,
		LegacySHA1:          o.Legacy32,
		Now:                 o.Now,
		MaxDecompressedSize: o.MaxDecompressedSize,
	})
	if err != nil {
		return nil, fmt.Errorf("sessions: codec: %w", err)
	}
	c := &DjangoCodec{ts: ts}
	if o.Legacy32 {
		// Django 3.2: "django.contrib.sessions" + self.__class__.__name__,
		// without the dot.
		c.legacySalt = "django.contrib.sessions" + strings.TrimPrefix(o.Salt, "django.contrib.sessions.")
		c.secret = o.SecretKey
	}
	return c, nil
}

// Encode returns the signed, compressed-if-smaller session data.
func (c *DjangoCodec) Encode(data *pyjson.Object) (string, error) {
	if data == nil {
		data = &pyjson.Object{}
	}
	raw, err := pyjson.Marshal(data)
	if err != nil {
		return "", fmt.Errorf("sessions: encode: %w", err)
	}
	return c.ts.SignPayload(raw, true), nil
}

// Decode verifies s and returns the session dict. Failures are errors
// (signature failures wrap signing.ErrBadSignature); Django turns every
// failure into an empty session, and so do the stores.
func (c *DjangoCodec) Decode(s string) (*pyjson.Object, error) {
	raw, err := c.ts.UnsignPayload(s, 0)
	if err != nil {
		if c.legacySalt != "" && errors.Is(err, signing.ErrBadSignature) {
			if o, lerr := c.decodeLegacy(s); lerr == nil {
				return o, nil
			}
		}
		return nil, fmt.Errorf("sessions: decode: %w", err)
	}
	o, err := pyjson.UnmarshalObject(raw)
	if err != nil {
		return nil, fmt.Errorf("sessions: decode: %w", err)
	}
	return o, nil
}

var errLegacyMAC = fmt.Errorf("%w: legacy session hash mismatch", signing.ErrBadSignature)

// decodeLegacy reads Django's pre-3.1 format:
// base64(hex(salted_hmac(legacySalt, json, key, sha1)) + ":" + json).
func (c *DjangoCodec) decodeLegacy(s string) (*pyjson.Object, error) {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	mac, serialized, ok := strings.Cut(string(raw), ":")
	if !ok {
		return nil, errors.New("sessions: legacy data without ':'")
	}
	want, err := signing.SaltedHMAC(c.legacySalt, []byte(serialized), c.secret, "sha1")
	if err != nil {
		return nil, err
	}
	if !hmac.Equal([]byte(mac), []byte(hex.EncodeToString(want))) {
		return nil, errLegacyMAC
	}
	return pyjson.UnmarshalObject([]byte(serialized))
}

// EncodeLegacy32 writes data in Django's pre-3.1 format, which Django 3.2
// writes when DEFAULT_HASHING_ALGORITHM = "sha1". Django 4.0 and later cannot
// read it; it exists for sites migrating off such a 3.2 setup. It needs
// CodecOptions.Legacy32.
func (c *DjangoCodec) EncodeLegacy32(data *pyjson.Object) (string, error) {
	if c.legacySalt == "" {
		return "", errors.New("sessions: EncodeLegacy32 needs CodecOptions.Legacy32")
	}
	raw, err := pyjson.Marshal(data)
	if err != nil {
		return "", err
	}
	mac, err := signing.SaltedHMAC(c.legacySalt, raw, c.secret, "sha1")
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(append([]byte(hex.EncodeToString(mac)+":"), raw...)), nil
}
