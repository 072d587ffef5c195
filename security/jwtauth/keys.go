package jwtauth

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"sync"

	"github.com/golang-jwt/jwt/v5"
)

// Algorithms lists the values Options.Algorithm accepts: SimpleJWT's
// ALLOWED_ALGORITHMS that golang-jwt implements. "none" is not one.
var Algorithms = []string{
	"HS256", "HS384", "HS512",
	"RS256", "RS384", "RS512",
	"PS256", "PS384", "PS512",
	"ES256", "ES384", "ES512",
	"EdDSA",
}

// keySet is the one algorithm and its keys an Auth signs and verifies with.
// The algorithm comes from the configuration, never from a token: a token
// whose header names another algorithm is refused before any key is used.
type keySet struct {
	alg    string
	header string // base64url of the header Go writes and PyJWT writes: {"alg":…,"typ":"JWT"}

	// HMAC
	secret []byte
	pool   *sync.Pool // of hash.Hash keyed with secret
	size   int        // HMAC output size

	// asymmetric (golang-jwt)
	method jwt.SigningMethod
	sign   crypto.PrivateKey // nil: verify only
	verify crypto.PublicKey
}

// hmacState is a keyed HMAC with its scratch buffers, pooled so that a
// verification allocates nothing.
type hmacState struct {
	h        hash.Hash
	in       []byte
	sum, got [64]byte
}

func isHMAC(alg string) bool { return alg == "HS256" || alg == "HS384" || alg == "HS512" }

// looksAsymmetric is PyJWT's check that refuses a PEM or SSH public key as
// an HMAC secret (the classic algorithm-confusion setup).
func looksAsymmetric(k []byte) bool {
	for _, p := range [][]byte{[]byte("-----BEGIN"), []byte("ssh-rsa"), []byte("ssh-ed25519"), []byte("ecdsa-sha2-"), []byte("ssh-dss")} {
		if bytes.Contains(k, p) {
			return true
		}
	}
	return false
}

func newKeySet(alg string, signing, verifying []byte) (*keySet, error) {
	if alg == "" {
		alg = "HS256"
	}
	known := false
	for _, a := range Algorithms {
		known = known || a == alg
	}
	if !known {
		return nil, fmt.Errorf("jwtauth: unsupported algorithm %q (one of %v)", alg, Algorithms)
	}
	hdr, _ := jsonString(alg)
	k := &keySet{alg: alg, header: base64.RawURLEncoding.EncodeToString([]byte(`{"alg":` + hdr + `,"typ":"JWT"}`))}
	if isHMAC(alg) {
		if len(signing) == 0 {
			return nil, fmt.Errorf("jwtauth: %s needs a signing key (the secret)", alg)
		}
		if looksAsymmetric(signing) {
			return nil, errors.New("jwtauth: the HMAC signing key is a PEM or SSH key: an asymmetric key must not be used as an HMAC secret")
		}
		if len(verifying) != 0 && !bytes.Equal(verifying, signing) {
			return nil, fmt.Errorf("jwtauth: %s uses the signing key to verify; a different verifying key makes no sense", alg)
		}
		k.secret = bytes.Clone(signing)
		var h func() hash.Hash
		switch alg {
		case "HS256":
			h = sha256.New
		case "HS384":
			h = sha512.New384
		default:
			h = sha512.New
		}
		k.size = h().Size()
		k.pool = &sync.Pool{New: func() any { return &hmacState{h: hmac.New(h, k.secret)} }}
		return k, nil
	}
	k.method = jwt.GetSigningMethod(alg)
	if k.method == nil {
		return nil, fmt.Errorf("jwtauth: unsupported algorithm %q", alg)
	}
	var err error
	if len(signing) != 0 {
		if k.sign, k.verify, err = parsePrivate(alg, signing); err != nil {
			return nil, fmt.Errorf("jwtauth: %s signing key: %w", alg, err)
		}
	}
	if len(verifying) != 0 {
		pub, err := parsePublic(alg, verifying)
		if err != nil {
			return nil, fmt.Errorf("jwtauth: %s verifying key: %w", alg, err)
		}
		if k.verify != nil && !publicEqual(k.verify, pub) {
			return nil, fmt.Errorf("jwtauth: %s: the verifying key is not the signing key's public key", alg)
		}
		k.verify = pub
	}
	if k.verify == nil {
		return nil, fmt.Errorf("jwtauth: %s needs a verifying key (PEM public key) or a signing key (PEM private key)", alg)
	}
	return k, nil
}

func parsePrivate(alg string, pem []byte) (crypto.PrivateKey, crypto.PublicKey, error) {
	switch alg[:2] {
	case "RS", "PS":
		k, err := jwt.ParseRSAPrivateKeyFromPEM(pem)
		if err != nil {
			return nil, nil, err
		}
		if k.N.BitLen() < 2048 {
			return nil, nil, fmt.Errorf("RSA key of %d bits; at least 2048 are required", k.N.BitLen())
		}
		return k, &k.PublicKey, nil
	case "ES":
		k, err := jwt.ParseECPrivateKeyFromPEM(pem)
		if err != nil {
			return nil, nil, err
		}
		if err := checkCurve(alg, &k.PublicKey); err != nil {
			return nil, nil, err
		}
		return k, &k.PublicKey, nil
	default: // EdDSA
		k, err := jwt.ParseEdPrivateKeyFromPEM(pem)
		if err != nil {
			return nil, nil, err
		}
		ek, ok := k.(ed25519.PrivateKey)
		if !ok {
			return nil, nil, errors.New("not an Ed25519 key")
		}
		return ek, ek.Public(), nil
	}
}

func parsePublic(alg string, pem []byte) (crypto.PublicKey, error) {
	switch alg[:2] {
	case "RS", "PS":
		k, err := jwt.ParseRSAPublicKeyFromPEM(pem)
		if err != nil {
			return nil, err
		}
		if k.N.BitLen() < 2048 {
			return nil, fmt.Errorf("RSA key of %d bits; at least 2048 are required", k.N.BitLen())
		}
		return k, nil
	case "ES":
		k, err := jwt.ParseECPublicKeyFromPEM(pem)
		if err != nil {
			return nil, err
		}
		return k, checkCurve(alg, k)
	default:
		k, err := jwt.ParseEdPublicKeyFromPEM(pem)
		if err != nil {
			return nil, err
		}
		ek, ok := k.(ed25519.PublicKey)
		if !ok {
			return nil, errors.New("not an Ed25519 key")
		}
		return ek, nil
	}
}

func checkCurve(alg string, k *ecdsa.PublicKey) error {
	want := map[string]int{"ES256": 256, "ES384": 384, "ES512": 521}[alg]
	if k.Curve.Params().BitSize != want {
		return fmt.Errorf("%s needs a P-%d key, got P-%d", alg, want, k.Curve.Params().BitSize)
	}
	return nil
}

func publicEqual(a, b crypto.PublicKey) bool {
	type eq interface{ Equal(crypto.PublicKey) bool }
	e, ok := a.(eq)
	return ok && e.Equal(b)
}

// canSign reports whether the set holds a key to sign with.
func (k *keySet) canSign() bool { return k.secret != nil || k.sign != nil }

// signature signs signingInput (header.payload) and returns the base64url
// signature.
func (k *keySet) signature(signingInput string) (string, error) {
	if k.secret != nil {
		st := k.pool.Get().(*hmacState)
		sig := base64.RawURLEncoding.EncodeToString(st.mac(signingInput))
		k.pool.Put(st)
		return sig, nil
	}
	if k.sign == nil {
		return "", errors.New("jwtauth: no signing key (only a verifying key was configured)")
	}
	sig, err := k.method.Sign(signingInput, k.sign)
	if err != nil {
		return "", fmt.Errorf("jwtauth: sign: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(sig), nil
}

// verifySignature checks sig (base64url, unpadded) over signingInput.
func (k *keySet) verifySignature(signingInput, sig string) bool {
	if k.secret != nil {
		if base64.RawURLEncoding.DecodedLen(len(sig)) != k.size {
			return false
		}
		st := k.pool.Get().(*hmacState)
		defer k.pool.Put(st)
		st.in = append(st.in[:0], sig...)
		n, err := base64.RawURLEncoding.Strict().Decode(st.got[:], st.in)
		if err != nil || n != k.size {
			return false
		}
		return hmac.Equal(st.mac(signingInput), st.got[:n])
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(sig)
	if err != nil {
		return false
	}
	return k.method.Verify(signingInput, raw, k.verify) == nil
}

// mac returns the HMAC of s in st.sum.
func (st *hmacState) mac(s string) []byte {
	st.h.Reset()
	st.in = append(st.in[:0], s...)
	st.h.Write(st.in)
	if cap(st.in) > 16<<10 {
		st.in = nil // do not keep a huge buffer in the pool
	}
	return st.h.Sum(st.sum[:0])
}
