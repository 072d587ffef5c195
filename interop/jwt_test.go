package interop_test

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/userdb"
	"github.com/dmr-go/dmr/internal/djangotest"
	"github.com/dmr-go/dmr/security/jwtauth"
	"github.com/dmr-go/dmr/sqldb"
)

// jwtApps installs DRF and SimpleJWT with its blacklist app.
var jwtApps = []string{"rest_framework", "rest_framework_simplejwt", "rest_framework_simplejwt.token_blacklist"}

// jwtSide is one Django project with SimpleJWT and the Go JWT auth on the
// same database and keys.
type jwtSide struct {
	dj    *djangotest.Django
	j     *jwtauth.Auth
	users *userdb.Store
	db    *sqldb.DB
}

type jwtConfig struct {
	model      string         // "" or "accounts.CustomUser"
	simpleJWT  map[string]any // SIMPLE_JWT on top of rotation + blacklist after rotation
	goOptions  jwtauth.Options
	signingKey []byte // Go's SigningKey; default the SECRET_KEY
}

func newJWTSide(t *testing.T, v string, db database, c jwtConfig) *jwtSide {
	t.Helper()
	ctx := context.Background()
	sj := map[string]any{"ROTATE_REFRESH_TOKENS": true, "BLACKLIST_AFTER_ROTATION": true}
	for k, val := range c.simpleJWT {
		sj[k] = val
	}
	const secret = "interop-jwt-secret-key-0123456789abcdef"
	dj := djangotest.New(t, v, djangotest.Config{
		DB: db.URL, SecretKey: secret, AuthUserModel: c.model, Apps: jwtApps,
		Settings: map[string]any{
			"SIMPLE_JWT": sj,
			"REST_FRAMEWORK": map[string]any{"DEFAULT_AUTHENTICATION_CLASSES": []string{
				"rest_framework_simplejwt.authentication.JWTAuthentication",
			}},
		},
	})
	dj.Migrate(false)
	sqlDB, err := sqldb.Open(ctx, db.URL, sqldb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlDB.Close() })
	m := userdb.Model{}
	if c.model != "" {
		m = userdb.Model{Name: c.model, UsernameField: "email"}
	}
	users, err := userdb.Open(ctx, sqlDB, m)
	if err != nil {
		t.Fatal(err)
	}
	a, err := auth.New(auth.Options{SecretKey: []byte(secret), Users: users})
	if err != nil {
		t.Fatal(err)
	}
	info := users.Info()
	bl, err := jwtauth.NewBlacklist(sqlDB, jwtauth.BlacklistOptions{UserTable: info.Table, UserPKColumn: info.PKColumn, UserPKType: info.PKType, UserPKArg: users.PKArg})
	if err != nil {
		t.Fatal(err)
	}
	// Django first: Go's CreateTables leaves Django's tables alone.
	if err := bl.CreateTables(ctx); err != nil {
		t.Fatalf("CreateTables on Django's token_blacklist tables: %v", err)
	}
	o := c.goOptions
	o.Auth, o.Blacklist = a, bl
	o.RotateRefreshTokens, o.BlacklistAfterRotation = true, true
	if o.SigningKey == nil {
		o.SigningKey = []byte(secret)
	}
	j, err := jwtauth.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return &jwtSide{dj: dj, j: j, users: users, db: sqlDB}
}

type jwtResponse struct {
	Status int            `json:"status"`
	Body   map[string]any `json:"body"`
}

func (s *jwtSide) post(t *testing.T, path string, body map[string]string) jwtResponse {
	t.Helper()
	var r jwtResponse
	s.dj.Run("request", map[string]any{"method": "POST", "path": path, "json": body}, &r)
	return r
}

// djangoWho is DRF's view of a bearer token: the username, or "" with the
// status.
func (s *jwtSide) djangoWho(t *testing.T, token string) (string, int) {
	t.Helper()
	var r struct {
		Status int `json:"status"`
		Body   struct {
			Username      string `json:"username"`
			Authenticator string `json:"authenticator"`
		} `json:"body"`
	}
	s.dj.Run("request", map[string]any{"path": "/drf/whoami/", "headers": map[string]string{"Authorization": "Bearer " + token}}, &r)
	if r.Status == 200 && r.Body.Authenticator != "JWTAuthentication" {
		t.Fatalf("DRF authenticated with %q", r.Body.Authenticator)
	}
	return r.Body.Username, r.Status
}

// goWho is Go's view of a bearer token: the username, or "" and the
// refusal's message.
func (s *jwtSide) goWho(t *testing.T, token string) (string, string) {
	t.Helper()
	r := httptest.NewRequest("GET", "/api/x/", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	r2, err := s.j.Authenticate(r)
	if err != nil {
		if ae, ok := apierror.As(err); ok {
			return "", ae.Details[0].Msg
		}
		t.Fatalf("Authenticate: %v", err)
	}
	if r2 == nil {
		t.Fatal("Authenticate: not mine")
	}
	return auth.UserFromContext(r2.Context()).Username, ""
}

func refusal(err error) string {
	var e *jwtauth.Error
	if errors.As(err, &e) {
		return e.Msg
	}
	if err != nil {
		return "unexpected: " + err.Error()
	}
	return ""
}

func claimsOf(t *testing.T, token string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// jwtRoundTrip is the shared scenario: tokens minted on each side accepted
// by the other for the same user, and refresh rotation with the blacklist
// written by one side honoured by the other.
func jwtRoundTrip(t *testing.T, s *jwtSide, login map[string]string, username string) {
	t.Helper()
	ctx := context.Background()

	// Django mints (SimpleJWT's obtain view) → Go accepts the access token.
	pair := s.post(t, "/api/token/", login)
	if pair.Status != 200 {
		t.Fatalf("SimpleJWT obtain: %+v", pair)
	}
	djAccess, djRefresh := pair.Body["access"].(string), pair.Body["refresh"].(string)
	if who, msg := s.goWho(t, djAccess); who != username {
		t.Fatalf("Go on Django's access token: %q %q", who, msg)
	}
	if _, msg := s.goWho(t, djRefresh); msg != jwtauth.MsgWrongType {
		t.Fatalf("Go on Django's refresh token as access: %q", msg)
	}

	// Go mints → DRF's JWTAuthentication accepts the access token.
	u, err := s.users.UserByUsername(ctx, username)
	if err != nil {
		t.Fatal(err)
	}
	goPair, err := s.j.NewPair(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if who, status := s.djangoWho(t, goPair.Access); status != 200 || who != username {
		t.Fatalf("DRF on Go's access token: %d %q", status, who)
	}
	if _, status := s.djangoWho(t, goPair.Refresh); status != 401 {
		t.Fatalf("DRF on Go's refresh token as access: %d", status)
	}
	if r := s.post(t, "/api/token/verify/", map[string]string{"token": goPair.Refresh}); r.Status != 200 {
		t.Fatalf("SimpleJWT verify of Go's refresh token: %+v", r)
	}
	// The user-id claim is what SimpleJWT writes for this user.
	if got, want := claimsOf(t, goPair.Access)["user_id"], claimsOf(t, djAccess)["user_id"]; got != want && got != u.ID {
		t.Fatalf("user_id claim: Go %v, Django %v", got, want)
	}

	// Go rotates Go's refresh token R1 → R2: Django refuses R1.
	r2, err := s.j.Refresh(ctx, goPair.Refresh)
	if err != nil || r2.Refresh == "" {
		t.Fatalf("Go refresh: %v", err)
	}
	if r := s.post(t, "/api/token/refresh/", map[string]string{"refresh": goPair.Refresh}); r.Status != 401 {
		t.Fatalf("SimpleJWT refresh with the token Go rotated out: %+v", r)
	}
	if r := s.post(t, "/api/token/verify/", map[string]string{"token": goPair.Refresh}); r.Status == 200 {
		t.Fatalf("SimpleJWT verify of the token Go blacklisted: %+v", r)
	}
	// Django rotates R2 → R3: Go refuses R2, accepts R3.
	r := s.post(t, "/api/token/refresh/", map[string]string{"refresh": r2.Refresh})
	if r.Status != 200 || r.Body["refresh"] == nil {
		t.Fatalf("SimpleJWT refresh with Go's rotated token: %+v", r)
	}
	r3 := r.Body["refresh"].(string)
	if who, msg := s.goWho(t, r.Body["access"].(string)); who != username {
		t.Fatalf("Go on the access token of Django's refresh: %q", msg)
	}
	if _, err := s.j.Refresh(ctx, r2.Refresh); refusal(err) != jwtauth.MsgBlacklisted {
		t.Fatalf("Go refresh with the token Django rotated out: %v", err)
	}
	if err := s.j.Verify(ctx, r2.Refresh); refusal(err) != jwtauth.MsgBlacklisted {
		t.Fatalf("Go verify of the token Django blacklisted: %v", err)
	}
	if _, err := s.j.Refresh(ctx, r3); err != nil {
		t.Fatalf("Go refresh with Django's rotated token: %v", err)
	}
	// Django's own obtained refresh token, rotated by Go.
	if _, err := s.j.Refresh(ctx, djRefresh); err != nil {
		t.Fatalf("Go refresh with Django's refresh token: %v", err)
	}
	if r := s.post(t, "/api/token/refresh/", map[string]string{"refresh": djRefresh}); r.Status != 401 {
		t.Fatalf("SimpleJWT refresh with its token Go rotated out: %+v", r)
	}
	// Both sides' rows are in SimpleJWT's tables.
	var outstanding, blacklisted int
	if err := s.db.Read.QueryRow(`SELECT COUNT(*) FROM token_blacklist_outstandingtoken`).Scan(&outstanding); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Read.QueryRow(`SELECT COUNT(*) FROM token_blacklist_blacklistedtoken`).Scan(&blacklisted); err != nil {
		t.Fatal(err)
	}
	if blacklisted != 4 || outstanding < 6 {
		t.Fatalf("token_blacklist rows: %d outstanding, %d blacklisted", outstanding, blacklisted)
	}
}

// SimpleJWT under its default HS256 with SECRET_KEY, on each Django
// version (SQLite), PostgreSQL (4.2) and MariaDB (5.2).
func TestJWTInterop(t *testing.T) {
	cases := []struct{ v, kind string }{{"3.2", "sqlite"}, {"4.2", "sqlite"}, {"5.2", "sqlite"}, {"4.2", "postgres"}, {"5.2", "mariadb"}}
	for _, c := range cases {
		t.Run(c.v+"/"+c.kind, func(t *testing.T) {
			t.Parallel()
			s := newJWTSide(t, c.v, newDatabase(t, c.kind), jwtConfig{})
			s.dj.CreateUser("alice", "pw")
			jwtRoundTrip(t, s, map[string]string{"username": "alice", "password": "pw"}, "alice")

			// Inactive in Django: refused by Go with SimpleJWT's message.
			u, _ := s.users.UserByUsername(context.Background(), "alice")
			tok, _ := s.j.AccessToken(u)
			s.dj.Run("set-active", map[string]any{"username": "alice", "is_active": false}, nil)
			if _, msg := s.goWho(t, tok); msg != jwtauth.MsgUserInactive {
				t.Fatalf("Go on an inactive user's token: %q", msg)
			}
		})
	}
}

// A custom user model with a UUID key: the user_id claim is str(uuid).
func TestJWTCustomUser(t *testing.T) {
	for _, v := range []string{"4.2", "5.2"} {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			s := newJWTSide(t, v, newDatabase(t, "sqlite"), jwtConfig{model: "accounts.CustomUser"})
			ann := s.dj.CreateUser("ann@example.com", "pw")
			pair := s.post(t, "/api/token/", map[string]string{"email": "ann@example.com", "password": "pw"})
			if pair.Status != 200 {
				t.Fatalf("SimpleJWT obtain by email: %+v", pair)
			}
			if got := claimsOf(t, pair.Body["access"].(string))["user_id"]; got != ann.ID {
				t.Fatalf("SimpleJWT's user_id %v, want str(uuid) %q", got, ann.ID)
			}
			jwtRoundTrip(t, s, map[string]string{"email": "ann@example.com", "password": "pw"}, "ann@example.com")
		})
	}
}

// RS256 with a key pair the test generates: SIGNING_KEY/VERIFYING_KEY in
// Django, the same PEM text in Go.
func TestJWTRS256(t *testing.T) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	pubDER, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	priv := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	pub := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	for _, v := range []string{"3.2", "5.2"} {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			s := newJWTSide(t, v, newDatabase(t, "sqlite"), jwtConfig{
				simpleJWT: map[string]any{"ALGORITHM": "RS256", "SIGNING_KEY": string(priv), "VERIFYING_KEY": string(pub),
					"AUDIENCE": "dmr", "ISSUER": "https://issuer.example", "LEEWAY": 5},
				goOptions: jwtauth.Options{Algorithm: "RS256", SigningKey: priv, VerifyingKey: pub, Audience: []string{"dmr"}, Issuer: "https://issuer.example"},
			})
			s.dj.CreateUser("alice", "pw")
			jwtRoundTrip(t, s, map[string]string{"username": "alice", "password": "pw"}, "alice")
			// Algorithm confusion: an HS256 token keyed with the public
			// key's PEM text is refused by both.
			u, _ := s.users.UserByUsername(context.Background(), "alice")
			forged := forgeHS256(`{"token_type":"access","exp":9999999999,"iat":1,"jti":"f","user_id":"`+u.ID+`","aud":"dmr","iss":"https://issuer.example"}`, pub)
			if _, msg := s.goWho(t, forged); msg != jwtauth.MsgInvalid {
				t.Fatalf("Go on an HS256 token keyed with the public key: %q", msg)
			}
			if _, status := s.djangoWho(t, forged); status != 401 {
				t.Fatalf("DRF on an HS256 token keyed with the public key: %d", status)
			}
		})
	}
}

func forgeHS256(payload string, key []byte) string {
	in := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + base64.RawURLEncoding.EncodeToString([]byte(payload))
	m := hmac.New(sha256.New, key)
	m.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CHECK_REVOKE_TOKEN (SimpleJWT 5.3+): the hash_password claim is the same
// on both sides, and a password changed in Django ends Go's acceptance.
func TestJWTRevokeToken(t *testing.T) {
	s := newJWTSide(t, "5.2", newDatabase(t, "sqlite"), jwtConfig{
		simpleJWT: map[string]any{"CHECK_REVOKE_TOKEN": true},
		goOptions: jwtauth.Options{CheckRevokeToken: true},
	})
	s.dj.CreateUser("alice", "pw")
	pair := s.post(t, "/api/token/", map[string]string{"username": "alice", "password": "pw"})
	djAccess := pair.Body["access"].(string)
	u, _ := s.users.UserByUsername(context.Background(), "alice")
	goAccess, err := s.j.AccessToken(u)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := claimsOf(t, goAccess)["hash_password"], claimsOf(t, djAccess)["hash_password"]; got != want || want == nil {
		t.Fatalf("hash_password: Go %v, SimpleJWT %v", got, want)
	}
	if who, msg := s.goWho(t, djAccess); who != "alice" {
		t.Fatalf("Go on SimpleJWT's token: %q", msg)
	}
	if who, status := s.djangoWho(t, goAccess); status != 200 || who != "alice" {
		t.Fatalf("DRF on Go's token: %d", status)
	}
	s.dj.Run("set-password", map[string]any{"username": "alice", "password": "new"}, nil)
	if _, msg := s.goWho(t, djAccess); msg != jwtauth.MsgPasswordChanged {
		t.Fatalf("Go after Django's password change: %q", msg)
	}
	if _, status := s.djangoWho(t, goAccess); status != 401 {
		t.Fatalf("DRF on Go's token after the password change: %d", status)
	}
}
