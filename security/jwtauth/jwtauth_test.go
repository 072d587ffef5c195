package jwtauth_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/hashers"
	"github.com/dmr-go/dmr/security/jwtauth"
)

var secret = []byte("django-insecure-test-secret-key-of-some-length")

var fixedNow = time.Unix(1_800_000_000, 0)

type fixture struct {
	auth  *auth.Auth
	users *auth.MemoryUsers
	alice *auth.User
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	users := &auth.MemoryUsers{}
	a, err := auth.New(auth.Options{SecretKey: secret, Users: users,
		Hashers: &hashers.Hashers{List: []hashers.Hasher{&hashers.PBKDF2{Iterations: 10}}}})
	if err != nil {
		t.Fatal(err)
	}
	alice, err := a.CreateUser(t.Context(), auth.NewUser{Username: "alice", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateUser(t.Context(), auth.NewUser{Username: "bob", Password: "pw", Inactive: true}); err != nil {
		t.Fatal(err)
	}
	return &fixture{auth: a, users: users, alice: alice}
}

func (f *fixture) jwt(t testing.TB, o jwtauth.Options) *jwtauth.Auth {
	t.Helper()
	o.Auth = f.auth
	if o.SigningKey == nil && o.VerifyingKey == nil {
		o.SigningKey = secret
	}
	if o.Now == nil {
		o.Now = func() time.Time { return fixedNow }
	}
	j, err := jwtauth.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// hs256 signs header.payload with key, whatever they say.
func hs256(header, payload string, key []byte) string {
	in := b64(header) + "." + b64(payload)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

const hdr = `{"alg":"HS256","typ":"JWT"}`

func claims(typ string, exp, iat int64, extra string) string {
	s := `{"token_type":"` + typ + `","exp":` + itoa(exp) + `,"iat":` + itoa(iat) + `,"jti":"abc"`
	if extra != "" {
		s += "," + extra
	}
	return s + "}"
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func tokenMsg(err error) string {
	var te *jwtauth.TokenError
	if errors.As(err, &te) {
		return te.Msg
	}
	if err != nil {
		return "other: " + err.Error()
	}
	return ""
}

func TestDecode(t *testing.T) {
	f := newFixture(t)
	j := f.jwt(t, jwtauth.Options{Leeway: 10 * time.Second})
	now := fixedNow.Unix()
	ok := claims("access", now+60, now, `"user_id":"1"`)
	for _, tc := range []struct {
		name, token, typ, want string
	}{
		{"valid", hs256(hdr, ok, secret), "access", ""},
		{"valid any type", hs256(hdr, ok, secret), "", ""},
		{"header with kid", hs256(`{"typ":"JWT","alg":"HS256","kid":"x"}`, ok, secret), "access", ""},
		{"int user id", hs256(hdr, claims("access", now+60, now, `"user_id":1`), secret), "access", ""},
		{"float exp", hs256(hdr, claims("access", now+60, now, "")[:0]+`{"token_type":"access","exp":`+itoa(now+60)+`.5,"jti":"x"}`, secret), "access", ""},
		{"alg none", b64(`{"alg":"none","typ":"JWT"}`) + "." + b64(ok) + ".", "access", jwtauth.MsgInvalid},
		{"alg None", b64(`{"alg":"None"}`) + "." + b64(ok) + ".", "access", jwtauth.MsgInvalid},
		{"other alg", hs256(`{"alg":"HS512","typ":"JWT"}`, ok, secret), "access", jwtauth.MsgInvalid},
		{"no alg", hs256(`{"typ":"JWT"}`, ok, secret), "access", jwtauth.MsgInvalid},
		{"kid not a string", hs256(`{"alg":"HS256","kid":1}`, ok, secret), "access", jwtauth.MsgInvalid},
		{"crit", hs256(`{"alg":"HS256","crit":["b64"],"b64":false}`, ok, secret), "access", jwtauth.MsgInvalid},
		{"header not object", hs256(`["HS256"]`, ok, secret), "access", jwtauth.MsgInvalid},
		{"wrong key", hs256(hdr, ok, []byte("another key")), "access", jwtauth.MsgInvalid},
		{"truncated signature", hs256(hdr, ok, secret)[:60], "access", jwtauth.MsgInvalid},
		{"two parts", b64(hdr) + "." + b64(ok), "access", jwtauth.MsgInvalid},
		{"four parts", hs256(hdr, ok, secret) + ".x", "access", jwtauth.MsgInvalid},
		{"padded payload", strings.Replace(hs256(hdr, ok, secret), ".", "==.", 1), "access", jwtauth.MsgInvalid},
		{"payload not JSON", hs256(hdr, `{"exp":`, secret), "access", jwtauth.MsgInvalid},
		{"payload array", hs256(hdr, `[1]`, secret), "access", jwtauth.MsgInvalid},
		{"expired", hs256(hdr, claims("access", now-11, now-100, ""), secret), "access", jwtauth.MsgExpired},
		{"expired at leeway", hs256(hdr, claims("access", now-10, now-100, ""), secret), "access", jwtauth.MsgExpired},
		{"expired within leeway", hs256(hdr, claims("access", now-9, now-100, ""), secret), "access", ""},
		{"exp string", hs256(hdr, `{"token_type":"access","exp":"9999999999","jti":"x"}`, secret), "access", jwtauth.MsgInvalid},
		{"iat in the future", hs256(hdr, claims("access", now+60, now+11, ""), secret), "access", jwtauth.MsgInvalid},
		{"iat within leeway", hs256(hdr, claims("access", now+60, now+10, ""), secret), "access", ""},
		{"nbf in the future", hs256(hdr, claims("access", now+60, now, `"nbf":`+itoa(now+11)), secret), "access", jwtauth.MsgInvalid},
		{"no exp", hs256(hdr, `{"token_type":"access","jti":"x"}`, secret), "access", jwtauth.MsgNoExp},
		{"jti not a string", hs256(hdr, `{"token_type":"access","exp":`+itoa(now+60)+`,"jti":1}`, secret), "access", jwtauth.MsgInvalid},
		{"sub not a string", hs256(hdr, claims("access", now+60, now, `"sub":1`), secret), "access", jwtauth.MsgInvalid},
		{"sub string", hs256(hdr, claims("access", now+60, now, `"sub":"1"`), secret), "access", ""},
		{"no jti", hs256(hdr, `{"token_type":"access","exp":`+itoa(now+60)+`}`, secret), "access", jwtauth.MsgNoID},
		{"no type", hs256(hdr, `{"exp":`+itoa(now+60)+`,"jti":"x"}`, secret), "access", jwtauth.MsgNoType},
		{"no type untyped", hs256(hdr, `{"exp":`+itoa(now+60)+`,"jti":"x"}`, secret), "", ""},
		{"refresh as access", hs256(hdr, claims("refresh", now+60, now, ""), secret), "access", jwtauth.MsgWrongType},
		{"access as refresh", hs256(hdr, ok, secret), "refresh", jwtauth.MsgWrongType},
		{"duplicate type, last wins", hs256(hdr, `{"token_type":"access","token_type":"refresh","exp":`+itoa(now+60)+`,"jti":"x"}`, secret), "access", jwtauth.MsgWrongType},
		{"too long", hs256(hdr, claims("access", now+60, now, `"x":"`+strings.Repeat("a", 9000)+`"`), secret), "access", jwtauth.MsgInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := j.Decode(tc.token, tc.typ)
			if got := tokenMsg(err); got != tc.want {
				t.Fatalf("Decode: %q, want %q", got, tc.want)
			}
		})
	}
}

func TestAudienceIssuer(t *testing.T) {
	f := newFixture(t)
	j := f.jwt(t, jwtauth.Options{Audience: []string{"svc"}, Issuer: "https://issuer"})
	now := fixedNow.Unix()
	for _, tc := range []struct{ name, extra, want string }{
		{"both", `"aud":"svc","iss":"https://issuer"`, ""},
		{"aud list", `"aud":["x","svc"],"iss":"https://issuer"`, ""},
		{"no aud", `"iss":"https://issuer"`, jwtauth.MsgInvalid},
		{"wrong aud", `"aud":"other","iss":"https://issuer"`, jwtauth.MsgInvalid},
		{"no iss", `"aud":"svc"`, jwtauth.MsgInvalid},
		{"wrong iss", `"aud":"svc","iss":"https://evil"`, jwtauth.MsgInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := j.Decode(hs256(hdr, claims("access", now+60, now, tc.extra), secret), "access")
			if got := tokenMsg(err); got != tc.want {
				t.Fatalf("%q, want %q", got, tc.want)
			}
		})
	}
	p, err := j.NewPair(t.Context(), f.alice)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Decode(p.Access, "access"); err != nil {
		t.Fatalf("own token with aud/iss: %v", err)
	}
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(p.Access, ".")[1])
	if !strings.Contains(string(payload), `"aud":"svc","iss":"https://issuer"}`) {
		t.Fatalf("payload %s", payload)
	}
}

func pemKey(t testing.TB, typ string, der []byte, err error) []byte {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// KeyPair returns PEM (PKCS#8 private, PKIX public) keys for alg.
func keyPair(t testing.TB, alg string) (priv, pub []byte) {
	t.Helper()
	var k any
	var p any
	switch alg[:2] {
	case "RS", "PS":
		r, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		k, p = r, &r.PublicKey
	case "ES":
		e, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		k, p = e, &e.PublicKey
	default:
		pu, pr, _ := ed25519.GenerateKey(rand.Reader)
		k, p = pr, pu
	}
	d1, err1 := x509.MarshalPKCS8PrivateKey(k)
	d2, err2 := x509.MarshalPKIXPublicKey(p)
	return pemKey(t, "PRIVATE KEY", d1, err1), pemKey(t, "PUBLIC KEY", d2, err2)
}

func TestAsymmetric(t *testing.T) {
	f := newFixture(t)
	for _, alg := range []string{"RS256", "PS256", "ES256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			priv, pub := keyPair(t, alg)
			signer := f.jwt(t, jwtauth.Options{Algorithm: alg, SigningKey: priv, VerifyingKey: pub})
			verifier := f.jwt(t, jwtauth.Options{Algorithm: alg, VerifyingKey: pub})
			p, err := signer.NewPair(t.Context(), f.alice)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := verifier.Decode(p.Access, "access")
			if err != nil || tok.UserID != f.alice.ID {
				t.Fatalf("verify: %v %+v", err, tok)
			}
			if _, err := verifier.NewPair(t.Context(), f.alice); err == nil {
				t.Fatal("a verify-only Auth minted a pair")
			}
			// Algorithm confusion: an HS256 token keyed with the public
			// key's PEM text.
			forged := hs256(`{"alg":"HS256","typ":"JWT"}`, claims("access", fixedNow.Unix()+60, fixedNow.Unix(), `"user_id":"`+f.alice.ID+`"`), pub)
			if got := tokenMsg(func() error { _, err := verifier.Decode(forged, "access"); return err }()); got != jwtauth.MsgInvalid {
				t.Fatalf("HS256 forged with the public key: %q", got)
			}
			// Another key pair of the same algorithm.
			_, pub2 := keyPair(t, alg)
			other := f.jwt(t, jwtauth.Options{Algorithm: alg, VerifyingKey: pub2})
			if _, err := other.Decode(p.Access, "access"); tokenMsg(err) != jwtauth.MsgInvalid {
				t.Fatalf("wrong public key: %v", err)
			}
			// The wrong half given as verifying key.
			if _, err := jwtauth.New(jwtauth.Options{Auth: f.auth, Algorithm: alg, SigningKey: priv, VerifyingKey: pub2}); err == nil {
				t.Fatal("mismatched key pair accepted")
			}
		})
	}
}

func TestNewRefuses(t *testing.T) {
	f := newFixture(t)
	_, pub := keyPair(t, "RS256")
	for name, o := range map[string]jwtauth.Options{
		"no auth":             {SigningKey: secret},
		"no key":              {Auth: f.auth},
		"none":                {Auth: f.auth, Algorithm: "none", SigningKey: secret},
		"unknown alg":         {Auth: f.auth, Algorithm: "HS1", SigningKey: secret},
		"pem as hmac secret":  {Auth: f.auth, SigningKey: pub},
		"rsa without keys":    {Auth: f.auth, Algorithm: "RS256"},
		"rsa with a secret":   {Auth: f.auth, Algorithm: "RS256", SigningKey: secret},
		"leeway":              {Auth: f.auth, SigningKey: secret, Leeway: time.Hour},
		"user id field":       {Auth: f.auth, SigningKey: secret, UserIDField: "email"},
		"blacklist rotation":  {Auth: f.auth, SigningKey: secret, RotateRefreshTokens: true, BlacklistAfterRotation: true},
		"reserved user claim": {Auth: f.auth, SigningKey: secret, UserIDClaim: "exp"},
		"header type":         {Auth: f.auth, SigningKey: secret, AuthHeaderTypes: []string{"Bear er"}},
	} {
		if _, err := jwtauth.New(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestParseBearer(t *testing.T) {
	types := []string{"Bearer", "JWT"}
	for _, tc := range []struct {
		header, token string
		ok, err       bool
	}{
		{"", "", false, false},
		{"   ", "", false, false},
		{"Bearer abc", "abc", true, false},
		{"JWT abc", "abc", true, false},
		{"  Bearer\tabc \r\n", "abc", true, false},
		{"bearer abc", "", false, false},
		{"Basic abc", "", false, false},
		{"Bearer", "", false, true},
		{"Bearer a b", "", false, true},
		{"Bearerabc", "", false, false},
	} {
		tok, ok, err := jwtauth.ParseBearer(tc.header, types)
		if tok != tc.token || ok != tc.ok || (err != nil) != tc.err {
			t.Errorf("ParseBearer(%q) = %q, %v, %v", tc.header, tok, ok, err)
		}
	}
}

func request(token string) *http.Request {
	r := httptest.NewRequest("GET", "/api/x/", nil)
	if token != "" {
		r.Header.Set("Authorization", token)
	}
	return r
}

func TestAuthenticate(t *testing.T) {
	f := newFixture(t)
	j := f.jwt(t, jwtauth.Options{})
	p, err := j.NewPair(t.Context(), f.alice)
	if err != nil {
		t.Fatal(err)
	}
	bob, _ := f.users.UserByUsername(t.Context(), "bob")
	bobTok, _ := j.AccessToken(bob)
	now := fixedNow.Unix()
	for _, tc := range []struct {
		name, header, want string // want "": authenticated; "-": not mine
	}{
		{"valid", "Bearer " + p.Access, ""},
		{"no header", "", "-"},
		{"basic", "Basic YWxpY2U6cHc=", "-"},
		{"lower-case scheme", "bearer " + p.Access, "-"},
		{"bearer alone", "Bearer", jwtauth.MsgBadHeader},
		{"three parts", "Bearer " + p.Access + " x", jwtauth.MsgBadHeader},
		{"refresh as access", "Bearer " + p.Refresh, jwtauth.MsgWrongType},
		{"garbage", "Bearer abc", jwtauth.MsgInvalid},
		{"no user id", "Bearer " + hs256(hdr, claims("access", now+60, now, ""), secret), jwtauth.MsgNoUserID},
		{"unknown user", "Bearer " + hs256(hdr, claims("access", now+60, now, `"user_id":"999"`), secret), jwtauth.MsgUserNotFound},
		{"inactive user", "Bearer " + bobTok, jwtauth.MsgUserInactive},
		{"int user id", "Bearer " + hs256(hdr, claims("access", now+60, now, `"user_id":`+f.alice.ID), secret), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r2, err := j.Authenticate(request(tc.header))
			switch tc.want {
			case "":
				if err != nil || r2 == nil {
					t.Fatalf("Authenticate: %v", err)
				}
				u, err := auth.CurrentUser(r2.Context())
				if err != nil || u.Username != "alice" {
					t.Fatalf("current user %v %v", u, err)
				}
				if jwtauth.TokenFromContext(r2.Context()) == nil {
					t.Fatal("no token in the context")
				}
			case "-":
				if err != nil || r2 != nil {
					t.Fatalf("Authenticate: %v %v, want not mine", r2, err)
				}
			default:
				ae, ok := apierror.As(err)
				if !ok || ae.Status != 401 || ae.Details[0].Msg != tc.want || ae.Header.Get("WWW-Authenticate") != `Bearer realm="api"` {
					t.Fatalf("Authenticate: %v, want 401 %q", err, tc.want)
				}
			}
		})
	}
}

func TestRevokeClaim(t *testing.T) {
	f := newFixture(t)
	j := f.jwt(t, jwtauth.Options{CheckRevokeToken: true})
	tok, err := j.AccessToken(f.alice)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Authenticate(request("Bearer " + tok)); err != nil {
		t.Fatal(err)
	}
	if err := f.auth.SetPassword(t.Context(), f.alice, "new"); err != nil {
		t.Fatal(err)
	}
	_, err = j.Authenticate(request("Bearer " + tok))
	if ae, ok := apierror.As(err); !ok || ae.Details[0].Msg != jwtauth.MsgPasswordChanged {
		t.Fatalf("after a password change: %v", err)
	}
}

func TestExpiry(t *testing.T) {
	f := newFixture(t)
	now := fixedNow
	j := f.jwt(t, jwtauth.Options{Leeway: 5 * time.Second, Now: func() time.Time { return now }})
	tok, _ := j.AccessToken(f.alice)
	now = now.Add(jwtauth.DefaultAccessLifetime + 4*time.Second)
	if _, err := j.Authenticate(request("Bearer " + tok)); err != nil {
		t.Fatalf("within leeway: %v", err)
	}
	now = now.Add(time.Second)
	if _, err := j.Authenticate(request("Bearer " + tok)); err == nil || !strings.HasSuffix(err.Error(), jwtauth.MsgExpired) {
		t.Fatalf("after leeway: %v", err)
	}
}

func TestUsernameField(t *testing.T) {
	f := newFixture(t)
	j := f.jwt(t, jwtauth.Options{UserIDField: jwtauth.FieldUsername, UserIDClaim: "sub"})
	tok, _ := j.AccessToken(f.alice)
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	if !strings.Contains(string(payload), `"sub":"alice"`) {
		t.Fatalf("payload %s", payload)
	}
	r2, err := j.Authenticate(request("Bearer " + tok))
	if err != nil || auth.UserFromContext(r2.Context()).Username != "alice" {
		t.Fatalf("%v", err)
	}
}

func TestClaimsShape(t *testing.T) {
	f := newFixture(t)
	j := f.jwt(t, jwtauth.Options{})
	p, _ := j.NewPair(t.Context(), f.alice)
	parts := strings.Split(p.Refresh, ".")
	h, _ := base64.RawURLEncoding.DecodeString(parts[0])
	if string(h) != `{"alg":"HS256","typ":"JWT"}` {
		t.Fatalf("header %s", h)
	}
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatal(err)
	}
	exp := fixedNow.Add(jwtauth.DefaultRefreshLifetime).Unix()
	if m["token_type"] != "refresh" || m["exp"] != float64(exp) || m["iat"] != float64(fixedNow.Unix()) || m["user_id"] != f.alice.ID || len(m["jti"].(string)) != 32 {
		t.Fatalf("refresh payload %s", payload)
	}
	if !strings.HasPrefix(string(payload), `{"token_type":"refresh","exp":`) {
		t.Fatalf("claim order %s", payload)
	}
}
