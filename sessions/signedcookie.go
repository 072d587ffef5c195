package sessions

import (
	"fmt"
	"time"

	"github.com/dmr-go/dmr/pyjson"
	"github.com/dmr-go/dmr/signing"
)

// SignedCookieSalt is the salt of Django's signed_cookies session backend.
const SignedCookieSalt = "django.contrib.sessions.backends.signed_cookies"

// SignedCookieOptions configures a SignedCookieStore.
type SignedCookieOptions struct {
	// SecretKey is Django's SECRET_KEY (required).
	SecretKey []byte
	// FallbackKeys is SECRET_KEY_FALLBACKS (verify only).
	FallbackKeys [][]byte
	// Salt defaults to SignedCookieSalt.
	Salt string
	// Now returns the current time; default time.Now.
	Now func() time.Time
	// MaxDecompressedSize caps decompressed cookie data; default 64 KiB
	// (a browser keeps at most about 4 KiB per cookie).
	MaxDecompressedSize int
}

// SignedCookieStore is Django's signed_cookies session backend: the cookie
// value is the session data itself, signing.dumps(data, compress=True) with
// the backend's salt, read back with max_age = the cookie age.
//
// Limits, as in Django: there is no server-side state, so there is no
// compare-and-swap (two concurrent requests that both change the session
// each send a whole cookie, and the browser keeps whichever arrives last),
// no revocation (Flush only deletes the cookie in this browser; a copied
// cookie stays valid until its signature is older than the cookie age, or
// the secret key changes), and a custom expiry (SetExpiry) only shortens the
// cookie's lifetime in the browser, not the signature's. Keep the data small:
// browsers drop cookies over about 4 KiB.
type SignedCookieStore struct {
	ts *signing.TimestampSigner
}

var _ CookieStore = (*SignedCookieStore)(nil)

// NewSignedCookieStore validates o and returns a SignedCookieStore.
func NewSignedCookieStore(o SignedCookieOptions) (*SignedCookieStore, error) {
	if o.Salt == "" {
		o.Salt = SignedCookieSalt
	}
	if o.MaxDecompressedSize <= 0 {
		o.MaxDecompressedSize = 64 << 10
	}
	ts, err := signing.NewTimestampSigner(signing.Options{
		Key: o.SecretKey, FallbackKeys: o.FallbackKeys, Salt: o.Salt,
		Now: o.Now, MaxDecompressedSize: o.MaxDecompressedSize,
	})
	if err != nil {
		return nil, fmt.Errorf("sessions: signed cookie store: %w", err)
	}
	return &SignedCookieStore{ts: ts}, nil
}

// DecodeCookie implements CookieStore.
func (c *SignedCookieStore) DecodeCookie(value string, maxAge time.Duration) (*pyjson.Object, error) {
	raw, err := c.ts.UnsignPayload(value, maxAge)
	if err != nil {
		return nil, err
	}
	return pyjson.UnmarshalObject(raw)
}

// EncodeCookie implements CookieStore.
func (c *SignedCookieStore) EncodeCookie(data *pyjson.Object) (string, error) {
	raw, err := pyjson.Marshal(orEmpty(data))
	if err != nil {
		return "", err
	}
	return c.ts.SignPayload(raw, true), nil
}
