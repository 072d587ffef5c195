package manage

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/dmr-go/dmr/security/jwtauth"
)

// Environment variables of the JWT auth (SimpleJWT's SIMPLE_JWT settings).
const (
	EnvJWTAlgorithm              = "DMR_JWT_ALGORITHM"
	EnvJWTSigningKey             = "DMR_JWT_SIGNING_KEY"
	EnvJWTVerifyingKey           = "DMR_JWT_VERIFYING_KEY"
	EnvJWTAccessLifetime         = "DMR_JWT_ACCESS_LIFETIME"
	EnvJWTRefreshLifetime        = "DMR_JWT_REFRESH_LIFETIME"
	EnvJWTRotateRefresh          = "DMR_JWT_ROTATE_REFRESH"
	EnvJWTBlacklist              = "DMR_JWT_BLACKLIST"
	EnvJWTBlacklistAfterRotation = "DMR_JWT_BLACKLIST_AFTER_ROTATION"
	EnvJWTLeeway                 = "DMR_JWT_LEEWAY"
	EnvJWTUserIDClaim            = "DMR_JWT_USER_ID_CLAIM"
	EnvJWTUserIDField            = "DMR_JWT_USER_ID_FIELD"
	EnvJWTAudience               = "DMR_JWT_AUDIENCE"
	EnvJWTIssuer                 = "DMR_JWT_ISSUER"
	EnvJWTAuthHeaderTypes        = "DMR_JWT_AUTH_HEADER_TYPES"
	EnvJWTCheckRevokeToken       = "DMR_JWT_CHECK_REVOKE_TOKEN"
)

// JWTEnvHelp documents the JWT variables (ConfigFromEnv reads them).
const JWTEnvHelp = `DMR_JWT_ALGORITHM         ALGORITHM: HS256 (default) HS384 HS512 RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA
DMR_JWT_SIGNING_KEY       SIGNING_KEY: the HMAC secret (default DMR_SECRET_KEY); for the other algorithms
                          the path of a PEM private key file (or the PEM text); unset there: verify only
DMR_JWT_VERIFYING_KEY     VERIFYING_KEY: the path of a PEM public key file (or the PEM text), asymmetric only
                          (default: the signing key's public half)
DMR_JWT_ACCESS_LIFETIME   Go duration (default 5m); DMR_JWT_REFRESH_LIFETIME likewise (default 24h)
DMR_JWT_ROTATE_REFRESH    1: refresh answers a new refresh token too (ROTATE_REFRESH_TOKENS)
DMR_JWT_BLACKLIST         1: SimpleJWT's token_blacklist app is installed (outstanding tokens recorded,
                          refresh tokens checked; migrate creates its two tables)
DMR_JWT_BLACKLIST_AFTER_ROTATION  1: rotation blacklists the old refresh token (implies DMR_JWT_BLACKLIST)
DMR_JWT_LEEWAY            Go duration of clock skew allowed on exp/nbf/iat (default 0, at most 5m)
DMR_JWT_USER_ID_CLAIM     USER_ID_CLAIM (default user_id); DMR_JWT_USER_ID_FIELD USER_ID_FIELD: id (default) or
                          username (the USERNAME_FIELD)
DMR_JWT_AUDIENCE          comma-separated AUDIENCE; DMR_JWT_ISSUER ISSUER (both unset by default)
DMR_JWT_AUTH_HEADER_TYPES comma-separated AUTH_HEADER_TYPES (default Bearer)
DMR_JWT_CHECK_REVOKE_TOKEN 1: CHECK_REVOKE_TOKEN (tokens die with a password change)`

// JWTConfig is the JWT auth's configuration (package security/jwtauth),
// read from the DMR_JWT_* variables. Zero values are SimpleJWT's defaults.
type JWTConfig struct {
	Algorithm string
	// SigningKey is the HMAC secret (empty: the SECRET_KEY) or, for an
	// asymmetric algorithm, a PEM private key's file path or text;
	// VerifyingKey a PEM public key's file path or text.
	SigningKey, VerifyingKey        string
	AccessLifetime, RefreshLifetime time.Duration
	RotateRefresh                   bool
	// Blacklist installs SimpleJWT's token_blacklist; BlacklistAfterRotation
	// implies it.
	Blacklist, BlacklistAfterRotation bool
	Leeway                            time.Duration
	UserIDClaim, UserIDField          string
	Audience                          []string
	Issuer                            string
	AuthHeaderTypes                   []string
	CheckRevokeToken                  bool
}

// jwtFromEnv reads the DMR_JWT_* variables; get returns a trimmed value.
func jwtFromEnv(get func(string) string) (JWTConfig, error) {
	c := JWTConfig{
		Algorithm:       get(EnvJWTAlgorithm),
		SigningKey:      get(EnvJWTSigningKey),
		VerifyingKey:    get(EnvJWTVerifyingKey),
		UserIDClaim:     get(EnvJWTUserIDClaim),
		UserIDField:     get(EnvJWTUserIDField),
		Audience:        splitList(get(EnvJWTAudience)),
		Issuer:          get(EnvJWTIssuer),
		AuthHeaderTypes: splitList(get(EnvJWTAuthHeaderTypes)),
	}
	r := envReader{get: get}
	r.boolean(EnvJWTRotateRefresh, &c.RotateRefresh)
	r.boolean(EnvJWTBlacklist, &c.Blacklist)
	r.boolean(EnvJWTBlacklistAfterRotation, &c.BlacklistAfterRotation)
	r.boolean(EnvJWTCheckRevokeToken, &c.CheckRevokeToken)
	if d, ok := r.duration(EnvJWTAccessLifetime, time.Second, "a duration of at least 1s, such as 5m"); ok {
		c.AccessLifetime = d
	}
	if d, ok := r.duration(EnvJWTRefreshLifetime, time.Second, "a duration of at least 1s, such as 24h"); ok {
		c.RefreshLifetime = d
	}
	if d, ok := r.duration(EnvJWTLeeway, 0, "a duration between 0 and 5m, such as 10s"); ok {
		c.Leeway = d
	}
	if r.err != nil {
		return JWTConfig{}, r.err
	}
	return c, c.Validate()
}

// Validate checks the JWT configuration without reading key files.
func (c JWTConfig) Validate() error {
	alg := c.Algorithm
	if alg == "" {
		alg = "HS256"
	}
	if !slices.Contains(jwtauth.Algorithms, alg) {
		return fmt.Errorf("%s=%q: want one of %s", EnvJWTAlgorithm, c.Algorithm, strings.Join(jwtauth.Algorithms, ", "))
	}
	hmac := strings.HasPrefix(alg, "HS")
	if hmac && c.VerifyingKey != "" {
		return fmt.Errorf("%s is for asymmetric algorithms; %s verifies with the signing key", EnvJWTVerifyingKey, alg)
	}
	if hmac && strings.Contains(c.SigningKey, "-----BEGIN") {
		return fmt.Errorf("%s: a PEM key must not be used as an %s secret", EnvJWTSigningKey, alg)
	}
	if !hmac && c.SigningKey == "" && c.VerifyingKey == "" {
		return fmt.Errorf("%s needs %s (a PEM private key) or %s (a PEM public key, verify only)", alg, EnvJWTSigningKey, EnvJWTVerifyingKey)
	}
	if c.Leeway < 0 || c.Leeway > 5*time.Minute {
		return fmt.Errorf("%s=%v: want a duration between 0 and 5m", EnvJWTLeeway, c.Leeway)
	}
	if c.AccessLifetime < 0 || c.RefreshLifetime < 0 {
		return fmt.Errorf("%s/%s: negative duration", EnvJWTAccessLifetime, EnvJWTRefreshLifetime)
	}
	switch c.UserIDField {
	case "", jwtauth.FieldID, jwtauth.FieldUsername:
	default:
		return fmt.Errorf("%s=%q: want id or username", EnvJWTUserIDField, c.UserIDField)
	}
	if c.UserIDClaim != "" && !isIdentifier(c.UserIDClaim) {
		return fmt.Errorf("%s=%q: want a claim name such as user_id", EnvJWTUserIDClaim, c.UserIDClaim)
	}
	for _, t := range c.AuthHeaderTypes {
		if strings.ContainsAny(t, " \t\"") {
			return fmt.Errorf("%s: %q is not a header type", EnvJWTAuthHeaderTypes, t)
		}
	}
	return nil
}

// blacklistOn reports whether SimpleJWT's token_blacklist is installed.
func (c JWTConfig) blacklistOn() bool { return c.Blacklist || c.BlacklistAfterRotation }

// readKey returns a key setting's PEM: the text itself when it is PEM, else
// the file it names.
func readKey(name, v string) ([]byte, error) {
	if v == "" || strings.Contains(v, "-----BEGIN") {
		return []byte(v), nil
	}
	b, err := os.ReadFile(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return bytes.TrimSpace(b), nil
}

// JWTBlacklist returns SimpleJWT's token_blacklist tables on the
// application's database, for the configured user model; nil when
// DMR_JWT_BLACKLIST (or DMR_JWT_BLACKLIST_AFTER_ROTATION) is off.
func (e *Env) JWTBlacklist() (*jwtauth.Blacklist, error) {
	if !e.Config.JWT.blacklistOn() {
		return nil, nil
	}
	o := jwtauth.BlacklistOptions{UserTable: e.UserModel.Table, UserPKColumn: e.UserModel.PKColumn, UserPKType: e.UserModel.PKType, Timeout: e.Config.StoreTimeout()}
	if e.UserTable != nil {
		o.UserPKArg = e.UserTable.PKArg
	}
	return jwtauth.NewBlacklist(e.SQL, o)
}

// JWTAuth builds the JWT auth from the DMR_JWT_* configuration, on the
// environment's users (e.Auth) and, when the blacklist is on, its
// database. o supplies what the environment does not configure (Now,
// SchemeName, AllowInactive, UpdateLastLogin); its other fields are
// overwritten. Register its endpoints with Auth.Register(api,
// jwtauth.EndpointOptions{Obtain: jwtauth.ObtainOptions[…]{Throttle:
// e.LoginThrottle}}) and protect controllers with it like any
// security.Auth.
func (e *Env) JWTAuth(o jwtauth.Options) (*jwtauth.Auth, error) {
	c := e.Config.JWT
	var err error
	o.Auth = e.Auth
	o.Algorithm = c.Algorithm
	if o.SigningKey, err = readKey(EnvJWTSigningKey, c.SigningKey); err != nil {
		return nil, err
	}
	if o.VerifyingKey, err = readKey(EnvJWTVerifyingKey, c.VerifyingKey); err != nil {
		return nil, err
	}
	if c.SigningKey == "" && (c.Algorithm == "" || strings.HasPrefix(c.Algorithm, "HS")) {
		o.SigningKey = e.SecretKey
	}
	o.AccessLifetime, o.RefreshLifetime, o.Leeway = c.AccessLifetime, c.RefreshLifetime, c.Leeway
	o.RotateRefreshTokens, o.BlacklistAfterRotation = c.RotateRefresh, c.BlacklistAfterRotation
	o.UserIDClaim, o.UserIDField = c.UserIDClaim, c.UserIDField
	o.Audience, o.Issuer, o.AuthHeaderTypes = c.Audience, c.Issuer, c.AuthHeaderTypes
	o.CheckRevokeToken = c.CheckRevokeToken
	if o.Blacklist, err = e.JWTBlacklist(); err != nil {
		return nil, err
	}
	a, err := jwtauth.New(o)
	if err != nil {
		return nil, fmt.Errorf("DMR_JWT_*: %s", strings.TrimPrefix(err.Error(), "jwtauth: "))
	}
	return a, nil
}

// migrateJWT creates the token_blacklist tables when the blacklist is on.
func (e *Env) migrateJWT(ctx context.Context) error {
	bl, err := e.JWTBlacklist()
	if err != nil || bl == nil {
		return err
	}
	return bl.CreateTables(ctx)
}
