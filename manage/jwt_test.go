package manage

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/hashers"
	"github.com/dmr-go/dmr/security/jwtauth"
)

func TestJWTFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want func(c JWTConfig) bool
		err  string // substring naming the variable
	}{
		{"defaults", nil, func(c JWTConfig) bool { return c.Algorithm == "" && !c.blacklistOn() && c.AccessLifetime == 0 }, ""},
		{"full", map[string]string{
			EnvJWTAlgorithm: "RS256", EnvJWTSigningKey: "/keys/private.pem", EnvJWTVerifyingKey: "/keys/public.pem",
			EnvJWTAccessLifetime: "10m", EnvJWTRefreshLifetime: "48h", EnvJWTRotateRefresh: "1",
			EnvJWTBlacklistAfterRotation: "true", EnvJWTLeeway: "10s", EnvJWTUserIDClaim: "uid",
			EnvJWTUserIDField: "username", EnvJWTAudience: "a, b", EnvJWTIssuer: "iss",
			EnvJWTAuthHeaderTypes: "Bearer,JWT", EnvJWTCheckRevokeToken: "1",
		}, func(c JWTConfig) bool {
			return c.Algorithm == "RS256" && c.AccessLifetime == 10*time.Minute && c.RefreshLifetime == 48*time.Hour &&
				c.RotateRefresh && c.blacklistOn() && c.Leeway == 10*time.Second && c.UserIDClaim == "uid" &&
				c.UserIDField == "username" && len(c.Audience) == 2 && c.Audience[1] == "b" && c.Issuer == "iss" &&
				len(c.AuthHeaderTypes) == 2 && c.CheckRevokeToken
		}, ""},
		{"unknown algorithm", map[string]string{EnvJWTAlgorithm: "none"}, nil, EnvJWTAlgorithm},
		{"bad bool", map[string]string{EnvJWTRotateRefresh: "yes please"}, nil, EnvJWTRotateRefresh},
		{"bad lifetime", map[string]string{EnvJWTAccessLifetime: "1d"}, nil, EnvJWTAccessLifetime},
		{"tiny lifetime", map[string]string{EnvJWTRefreshLifetime: "10ms"}, nil, EnvJWTRefreshLifetime},
		{"leeway too big", map[string]string{EnvJWTLeeway: "1h"}, nil, EnvJWTLeeway},
		{"negative leeway", map[string]string{EnvJWTLeeway: "-1s"}, nil, EnvJWTLeeway},
		{"verifying key with HS256", map[string]string{EnvJWTVerifyingKey: "/k.pem"}, nil, EnvJWTVerifyingKey},
		{"PEM as HMAC secret", map[string]string{EnvJWTSigningKey: "-----BEGIN PUBLIC KEY-----"}, nil, EnvJWTSigningKey},
		{"RS256 without keys", map[string]string{EnvJWTAlgorithm: "RS256"}, nil, EnvJWTSigningKey},
		{"user id field", map[string]string{EnvJWTUserIDField: "email"}, nil, EnvJWTUserIDField},
		{"user id claim", map[string]string{EnvJWTUserIDClaim: "user id"}, nil, EnvJWTUserIDClaim},
		{"header type", map[string]string{EnvJWTAuthHeaderTypes: `Be"arer`}, nil, EnvJWTAuthHeaderTypes},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{EnvSecretKey: "k"}
			for k, v := range tc.env {
				env[k] = v
			}
			c, err := ConfigFromEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("err = %v, want one line naming %s", err, tc.err)
				}
				return
			}
			if err != nil || !tc.want(c.JWT) {
				t.Fatalf("%+v %v", c.JWT, err)
			}
		})
	}
}

func TestJWTEnv(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	cfg, err := ConfigFromEnv(func(k string) (string, bool) {
		v, ok := map[string]string{
			EnvDatabaseURL: "sqlite:" + filepath.Join(dir, "db.sqlite3"), EnvSecretKey: "k",
			EnvJWTRotateRefresh: "1", EnvJWTBlacklistAfterRotation: "1",
		}[k]
		return v, ok
	})
	if err != nil {
		t.Fatal(err)
	}
	env, err := Open(ctx, cfg, Options{Hashers: &hashers.Hashers{List: []hashers.Hasher{&hashers.PBKDF2{Iterations: 10}}},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	if err := (App{}).MigrateAll(ctx, env); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := env.SQL.Read.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name IN ('token_blacklist_outstandingtoken', 'token_blacklist_blacklistedtoken')`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("blacklist tables after migrate: %d %v", n, err)
	}
	j, err := env.JWTAuth(jwtauth.Options{})
	if err != nil {
		t.Fatal(err)
	}
	u, err := env.Auth.CreateUser(ctx, auth.NewUser{Username: "alice", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := j.NewPair(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Refresh(ctx, p.Refresh); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Refresh(ctx, p.Refresh); err == nil || !strings.Contains(err.Error(), jwtauth.MsgBlacklisted) {
		t.Fatalf("second refresh with the rotated token: %v", err)
	}
	// HS256 signs with SECRET_KEY by default: SimpleJWT's default.
	k, err := jwtauth.New(jwtauth.Options{Auth: env.Auth, SigningKey: []byte("k")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Decode(p.Access, jwtauth.TypeAccess); err != nil {
		t.Fatalf("SECRET_KEY as signing key: %v", err)
	}
}

// Asymmetric keys come from PEM files named by the variables; a missing
// file is an error naming the variable.
func TestJWTKeyFiles(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	pubDER, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	priv, pub := filepath.Join(dir, "private.pem"), filepath.Join(dir, "public.pem")
	os.WriteFile(priv, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	os.WriteFile(pub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644)
	open := func(vars map[string]string) (*jwtauth.Auth, error) {
		vars[EnvDatabaseURL] = "sqlite:" + filepath.Join(dir, "db.sqlite3")
		vars[EnvSecretKey] = "k"
		cfg, err := ConfigFromEnv(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
		if err != nil {
			return nil, err
		}
		env, err := Open(ctx, cfg, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			return nil, err
		}
		t.Cleanup(func() { env.Close() })
		return env.JWTAuth(jwtauth.Options{})
	}
	signer, err := open(map[string]string{EnvJWTAlgorithm: "RS256", EnvJWTSigningKey: priv, EnvJWTVerifyingKey: pub})
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := open(map[string]string{EnvJWTAlgorithm: "RS256", EnvJWTVerifyingKey: pub})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := signer.AccessToken(&auth.User{ID: "1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verifier.Decode(tok, jwtauth.TypeAccess); err != nil {
		t.Fatalf("verify-only service: %v", err)
	}
	if _, err := open(map[string]string{EnvJWTAlgorithm: "RS256", EnvJWTVerifyingKey: filepath.Join(dir, "missing.pem")}); err == nil || !strings.Contains(err.Error(), EnvJWTVerifyingKey) {
		t.Fatalf("missing key file: %v", err)
	}
	if _, err := open(map[string]string{EnvJWTAlgorithm: "ES256", EnvJWTVerifyingKey: pub}); err == nil {
		t.Fatal("an RSA key accepted for ES256")
	}
}
