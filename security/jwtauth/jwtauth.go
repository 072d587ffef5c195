package jwtauth

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/csrf"
	"github.com/dmr-go/dmr/openapi"
	"github.com/dmr-go/dmr/security"
	"github.com/dmr-go/dmr/security/sessionauth"
)

// SimpleJWT's defaults.
const (
	DefaultAccessLifetime   = 5 * time.Minute
	DefaultRefreshLifetime  = 24 * time.Hour
	DefaultUserIDClaim      = "user_id"
	DefaultRevokeTokenClaim = "hash_password"
	DefaultSchemeName       = "jwt"
	// SchemeDescription documents the bearer scheme.
	SchemeDescription = "A SimpleJWT access token: Authorization: Bearer <token>"
)

// User-id fields (SimpleJWT's USER_ID_FIELD) the user store can look up.
const (
	// FieldID is the primary key ("id", SimpleJWT's default).
	FieldID = "id"
	// FieldUsername is the user model's USERNAME_FIELD (looked up with
	// UserStore.UserByUsername).
	FieldUsername = "username"
)

// Options configures an [Auth]: SimpleJWT's SIMPLE_JWT settings. Zero
// values are SimpleJWT's defaults, except SigningKey (Django's SECRET_KEY
// there), which is required.
type Options struct {
	// Auth supplies the users (its Options.Users, bounded by its
	// StoreTimeout) and, for the obtain endpoint, the backends and password
	// hashers. Required.
	Auth *auth.Auth
	// Algorithm is ALGORITHM; empty means "HS256". See [Algorithms].
	Algorithm string
	// SigningKey is SIGNING_KEY: the HMAC secret (SimpleJWT's default is
	// SECRET_KEY) or a PEM private key. Empty with an asymmetric Algorithm
	// makes a verify-only Auth (no obtain or refresh).
	SigningKey []byte
	// VerifyingKey is VERIFYING_KEY: a PEM public key for the asymmetric
	// algorithms. Empty means the signing key's public half.
	VerifyingKey []byte
	// Audience is AUDIENCE: written as "aud" (a string when there is one
	// value, a list otherwise) and required on tokens when set.
	Audience []string
	// Issuer is ISSUER: written as "iss" and required on tokens when set.
	Issuer string
	// Leeway is LEEWAY: the clock skew allowed on exp, nbf and iat. It must
	// be between 0 and 5 minutes.
	Leeway time.Duration
	// AccessLifetime and RefreshLifetime are ACCESS_TOKEN_LIFETIME (5m) and
	// REFRESH_TOKEN_LIFETIME (1d).
	AccessLifetime, RefreshLifetime time.Duration
	// UserIDClaim is USER_ID_CLAIM ("user_id"); UserIDField is USER_ID_FIELD:
	// FieldID (default) or FieldUsername.
	UserIDClaim, UserIDField string
	// AuthHeaderTypes is AUTH_HEADER_TYPES ("Bearer"); the first one names
	// the WWW-Authenticate challenge. AuthHeaderName is the header
	// (AUTH_HEADER_NAME HTTP_AUTHORIZATION: "Authorization").
	AuthHeaderTypes []string
	AuthHeaderName  string
	// RotateRefreshTokens is ROTATE_REFRESH_TOKENS; BlacklistAfterRotation
	// is BLACKLIST_AFTER_ROTATION (it needs Blacklist).
	RotateRefreshTokens, BlacklistAfterRotation bool
	// Blacklist is SimpleJWT's token_blacklist app: when set (the app is
	// "installed"), obtained refresh tokens are recorded as outstanding,
	// refresh tokens are checked against the blacklist, and rotation
	// blacklists the old one when BlacklistAfterRotation is set.
	Blacklist *Blacklist
	// CheckRevokeToken is CHECK_REVOKE_TOKEN (SimpleJWT 5.3+): tokens carry
	// RevokeTokenClaim ("hash_password"), the MD5 of the user's password
	// hash, and a token whose value no longer matches is refused ("The
	// user's password has been changed.").
	CheckRevokeToken bool
	RevokeTokenClaim string
	// AllowInactive turns CHECK_USER_IS_ACTIVE off.
	AllowInactive bool
	// UpdateLastLogin is UPDATE_LAST_LOGIN: the obtain endpoint updates
	// last_login.
	UpdateLastLogin bool
	// SchemeName names the security scheme in the document ("jwt").
	SchemeName string
	// Cookie, when set, is the name of an HttpOnly cookie that also carries
	// the access token (not a SimpleJWT feature): the obtain and refresh
	// endpoints set it (Max-Age AccessLifetime, Path /, SameSite Lax,
	// Secure with CookieSecure), and Authenticate reads it when the request
	// has no bearer header. A request authenticated by the cookie must
	// then pass CSRF's check on unsafe methods (403 otherwise), as a
	// session does. Empty (the default): bearer header only.
	Cookie       string
	CookieSecure bool
	// CSRF checks the unsafe requests the cookie authenticates; required
	// with Cookie.
	CSRF *csrf.Protector
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Auth is SimpleJWT's JWTAuthentication for endpoints (a security.Auth)
// and its token machinery: pairs for a user, refresh, verify. Create it
// with [New]; it is safe for concurrent use.
type Auth struct {
	o      Options
	keys   *keySet
	names  claimNames
	realm  string
	aud    json.RawMessage // "aud" as written, nil when unset
	iss    json.RawMessage
	header string
}

var _ security.Challenger = (*Auth)(nil)

// New validates o and returns an Auth.
func New(o Options) (*Auth, error) {
	if o.Auth == nil {
		return nil, errors.New("jwtauth: Options.Auth is required")
	}
	k, err := newKeySet(o.Algorithm, o.SigningKey, o.VerifyingKey)
	if err != nil {
		return nil, err
	}
	o.Algorithm = k.alg
	if o.Leeway < 0 || o.Leeway > 5*time.Minute {
		return nil, fmt.Errorf("jwtauth: Leeway %v out of range (0 to 5m)", o.Leeway)
	}
	if o.AccessLifetime == 0 {
		o.AccessLifetime = DefaultAccessLifetime
	}
	if o.RefreshLifetime == 0 {
		o.RefreshLifetime = DefaultRefreshLifetime
	}
	if o.AccessLifetime < 0 || o.RefreshLifetime < 0 {
		return nil, errors.New("jwtauth: negative token lifetime")
	}
	if o.UserIDClaim == "" {
		o.UserIDClaim = DefaultUserIDClaim
	}
	switch o.UserIDClaim {
	case "token_type", "exp", "iat", "jti", "nbf", "aud", "iss":
		return nil, fmt.Errorf("jwtauth: UserIDClaim %q is a reserved claim", o.UserIDClaim)
	}
	switch o.UserIDField {
	case "", "pk":
		o.UserIDField = FieldID
	case FieldID, FieldUsername:
	default:
		return nil, fmt.Errorf("jwtauth: UserIDField %q: only %q (the primary key) and %q (USERNAME_FIELD) can be looked up", o.UserIDField, FieldID, FieldUsername)
	}
	if o.RevokeTokenClaim == "" {
		o.RevokeTokenClaim = DefaultRevokeTokenClaim
	}
	if len(o.AuthHeaderTypes) == 0 {
		o.AuthHeaderTypes = []string{"Bearer"}
	}
	o.AuthHeaderTypes = slices.Clone(o.AuthHeaderTypes)
	for _, t := range o.AuthHeaderTypes {
		if t == "" || strings.ContainsFunc(t, func(r rune) bool { return r <= ' ' || r >= 0x7f || r == '"' }) {
			return nil, fmt.Errorf("jwtauth: invalid auth header type %q", t)
		}
	}
	if o.AuthHeaderName == "" {
		o.AuthHeaderName = "Authorization"
	}
	if o.BlacklistAfterRotation && o.Blacklist == nil {
		return nil, errors.New("jwtauth: BlacklistAfterRotation needs Options.Blacklist (SimpleJWT's token_blacklist app)")
	}
	if o.SchemeName == "" {
		o.SchemeName = DefaultSchemeName
	}
	if o.Cookie != "" {
		if !sessionauth.ValidCookieName(o.Cookie) {
			return nil, fmt.Errorf("jwtauth: invalid cookie name %q", o.Cookie)
		}
		if o.CSRF == nil {
			return nil, errors.New("jwtauth: Options.CSRF is required with Options.Cookie: a cookie-borne token without CSRF checks is not safe")
		}
	}
	if !security.ValidSchemeName(o.SchemeName) {
		return nil, fmt.Errorf("jwtauth: invalid security scheme name %q", o.SchemeName)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	a := &Auth{o: o, keys: k, realm: o.AuthHeaderTypes[0] + ` realm="api"`, header: http.CanonicalHeaderKey(o.AuthHeaderName)}
	a.names = claimNames{userID: o.UserIDClaim}
	if o.CheckRevokeToken {
		a.names.revoke = o.RevokeTokenClaim
	}
	o.Audience = slices.Clone(o.Audience)
	switch len(o.Audience) {
	case 0:
	case 1:
		a.aud, _ = json.Marshal(o.Audience[0])
	default:
		a.aud, _ = json.Marshal(o.Audience)
	}
	if o.Issuer != "" {
		a.iss, _ = json.Marshal(o.Issuer)
	}
	return a, nil
}

// Algorithm returns the configured algorithm.
func (a *Auth) Algorithm() string { return a.o.Algorithm }

// Challenge implements security.Challenger: the WWW-Authenticate value of
// a 401, SimpleJWT's authenticate_header `Bearer realm="api"` (the first of
// AuthHeaderTypes). Its own refusals carry it too.
func (a *Auth) Challenge() string { return a.realm }

// Error is a refused credential: 401 with SimpleJWT's message and the
// WWW-Authenticate challenge. Its Msg is one of the Msg constants.
type Error struct {
	Msg       string
	challenge string
}

func (e *Error) Error() string { return "jwtauth: " + e.Msg }

// APIError implements apierror.Coder: 401
// {"detail":[{"msg":<Msg>,"type":"security"}]} with WWW-Authenticate.
func (e *Error) APIError() *apierror.Error {
	ae := apierror.New(http.StatusUnauthorized, e.Msg, apierror.TypeSecurity)
	if e.challenge != "" {
		ae.WithHeader("WWW-Authenticate", e.challenge)
	}
	return ae
}

func (a *Auth) refuse(msg string) error { return &Error{Msg: msg, challenge: a.realm} }

// refuseToken turns a decode error into the answer.
func (a *Auth) refuseToken(err error) error {
	var te *TokenError
	if errors.As(err, &te) {
		return a.refuse(te.Msg)
	}
	return err
}

func (a *Auth) verifyOptions() verifyOptions {
	return verifyOptions{now: a.o.Now(), leeway: a.o.Leeway, audience: a.o.Audience, issuer: a.o.Issuer}
}

// Decode verifies raw as a token of type typ ("" accepts any type, as
// SimpleJWT's UntypedToken) without touching any store: signature with the
// configured algorithm only, exp/nbf/iat with the leeway, aud and iss when
// configured, jti and token_type present. The error is a *TokenError with
// SimpleJWT's message.
func (a *Auth) Decode(raw, typ string) (*Token, error) {
	return decode(a.keys, raw, typ, a.names, a.verifyOptions(), false)
}

type tokenKey struct{}

// TokenFromContext returns the access token an Auth authenticated the
// request with (DRF's request.auth), or nil.
func TokenFromContext(ctx context.Context) *Token {
	t, _ := ctx.Value(tokenKey{}).(*Token)
	return t
}

// Authenticate implements security.Auth as JWTAuthentication: no header, or
// one of another scheme, is not ours (nil, nil); otherwise the access token
// must verify (access tokens are not checked against the blacklist, as in
// SimpleJWT) and name an existing, active user, who becomes the request's
// current user (auth.CurrentUser).
func (a *Auth) Authenticate(r *http.Request) (*http.Request, error) {
	var raw string
	var ok bool
	if h := r.Header[a.header]; len(h) != 0 {
		var err error
		if raw, ok, err = ParseBearer(h[0], a.o.AuthHeaderTypes); err != nil {
			return nil, a.refuseToken(err)
		}
	}
	fromCookie := false
	if !ok && a.o.Cookie != "" {
		if c, err := r.Cookie(a.o.Cookie); err == nil && c.Value != "" {
			raw, ok, fromCookie = c.Value, true, true
		}
	}
	if !ok {
		return nil, nil
	}
	t, err := decode(a.keys, raw, TypeAccess, a.names, a.verifyOptions(), false)
	if err != nil {
		return nil, a.refuseToken(err)
	}
	ctx := r.Context()
	u, err := a.tokenUser(ctx, t)
	if err != nil {
		return nil, err
	}
	if fromCookie {
		if err := a.o.CSRF.Check(r); err != nil {
			return nil, err
		}
	}
	ctx = a.o.Auth.WithAuthenticatedUser(ctx, u)
	ctx = context.WithValue(ctx, tokenKey{}, t)
	return r.WithContext(ctx), nil
}

// tokenUser is JWTAuthentication.get_user.
func (a *Auth) tokenUser(ctx context.Context, t *Token) (*auth.User, error) {
	if !t.HasUserID {
		return nil, a.refuse(MsgNoUserID)
	}
	u, err := a.lookup(ctx, t.UserID)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, a.refuse(MsgUserNotFound)
	}
	if !a.o.AllowInactive && !u.IsActive {
		return nil, a.refuse(MsgUserInactive)
	}
	if a.o.CheckRevokeToken {
		if h := upperMD5(u.Password); t.Revoke != string(h[:]) {
			return nil, a.refuse(MsgPasswordChanged)
		}
	}
	return u, nil
}

// lookup finds the user a token names; nil when there is none.
func (a *Auth) lookup(ctx context.Context, id string) (*auth.User, error) {
	if id == "" {
		return nil, nil
	}
	var u *auth.User
	var err error
	if a.o.UserIDField == FieldUsername {
		u, err = a.o.Auth.UserByUsername(ctx, id)
	} else {
		u, err = a.o.Auth.UserByID(ctx, id)
	}
	if errors.Is(err, auth.ErrUserNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("jwtauth: loading the token's user: %w", err)
	}
	return u, nil
}

// passwordHash is SimpleJWT's get_md5_hash_password.
func passwordHash(encoded string) string {
	h := upperMD5(encoded)
	return string(h[:])
}

// upperMD5 is passwordHash in an array, so that the per-request revoke
// check compares it without allocating.
func upperMD5(encoded string) (h [2 * md5.Size]byte) {
	const digits = "0123456789ABCDEF"
	for i, b := range md5.Sum([]byte(encoded)) {
		h[2*i], h[2*i+1] = digits[b>>4], digits[b&0x0f]
	}
	return h
}

// Describe implements security.Auth: an HTTP bearer scheme with
// bearerFormat JWT, and the 401 and 503 responses.
func (a *Auth) Describe(op security.Operation) security.Description {
	return a.describeCookie(op, security.Description{
		Schemes: map[string]*openapi.SecurityScheme{
			a.o.SchemeName: {Type: "http", Scheme: "bearer", BearerFormat: "JWT", Description: SchemeDescription},
		},
		Requirement: openapi.SecurityRequirement{a.o.SchemeName: []string{}},
		// The API documents WWW-Authenticate on the 401 from Challenge.
		Responses: []security.Response{security.NotAuthenticatedResponse(), security.UnavailableResponse()},
	})
}

// describeCookie adds the cookie transport to d: the CSRF 403 on unsafe
// methods (the cookie is an alternative to the bearer header, so it is
// described in the scheme's text rather than as a second requirement).
func (a *Auth) describeCookie(op security.Operation, d security.Description) security.Description {
	if a.o.Cookie == "" {
		return d
	}
	s := *d.Schemes[a.o.SchemeName]
	s.Description += "; or the " + a.o.Cookie + " cookie set by the token endpoints (then unsafe methods need the CSRF token)"
	d.Schemes[a.o.SchemeName] = &s
	if !csrf.IsSafeMethod(op.Method) {
		d.Responses = append(d.Responses, security.Response{Status: http.StatusForbidden, Description: sessionauth.CSRFFailedDescription + " (requests authenticated by the " + a.o.Cookie + " cookie)"})
	}
	return d
}

// accessCookie is the cookie carrying an access token.
func (a *Auth) accessCookie(access string) *http.Cookie {
	return &http.Cookie{Name: a.o.Cookie, Value: access, Path: "/", MaxAge: int(a.o.AccessLifetime / time.Second),
		HttpOnly: true, Secure: a.o.CookieSecure, SameSite: http.SameSiteLaxMode}
}

// Pair is an obtained or refreshed pair. Refresh is empty when a refresh
// did not rotate.
type Pair struct {
	Access  string
	Refresh string
	// RefreshJTI is the refresh token's jti.
	RefreshJTI string
}

// userIDClaim is SimpleJWT 5.5's for_user: str(getattr(user, USER_ID_FIELD)).
func (a *Auth) userIDValue(u *auth.User) json.RawMessage {
	id := u.ID
	if a.o.UserIDField == FieldUsername {
		id = u.Username
	}
	b, _ := json.Marshal(id)
	return b
}

// payload writes the claims in SimpleJWT's order, then aud and iss as its
// TokenBackend.encode adds them.
func (a *Auth) sign(typ string, exp, iat int64, jti string, extra []Claim) (string, error) {
	var b bytes.Buffer
	b.WriteString(`{"token_type":`)
	ts, _ := jsonString(typ)
	b.WriteString(ts)
	b.WriteString(`,"exp":`)
	b.WriteString(strconv.FormatInt(exp, 10))
	b.WriteString(`,"iat":`)
	b.WriteString(strconv.FormatInt(iat, 10))
	b.WriteString(`,"jti":"`)
	b.WriteString(jti)
	b.WriteByte('"')
	for _, c := range extra {
		if c.Name == "aud" && a.aud != nil || c.Name == "iss" && a.iss != nil {
			continue
		}
		n, _ := jsonString(c.Name)
		b.WriteByte(',')
		b.WriteString(n)
		b.WriteByte(':')
		b.Write(c.Value)
	}
	if a.aud != nil {
		b.WriteString(`,"aud":`)
		b.Write(a.aud)
	}
	if a.iss != nil {
		b.WriteString(`,"iss":`)
		b.Write(a.iss)
	}
	b.WriteByte('}')
	input := a.keys.header + "." + base64RawURL(b.Bytes())
	sig, err := a.keys.signature(input)
	if err != nil {
		return "", err
	}
	return input + "." + sig, nil
}

// epoch is SimpleJWT's datetime_to_epoch: whole seconds.
func epoch(t time.Time) int64 { return t.Unix() }

// userClaims are the claims for_user adds.
func (a *Auth) userClaims(u *auth.User) []Claim {
	c := []Claim{{Name: a.o.UserIDClaim, Value: a.userIDValue(u)}}
	if a.o.CheckRevokeToken {
		v, _ := json.Marshal(passwordHash(u.Password))
		c = append(c, Claim{Name: a.o.RevokeTokenClaim, Value: v})
	}
	return c
}

// NewPair is RefreshToken.for_user(u) and its access_token, as SimpleJWT's
// obtain view makes them. With a Blacklist the refresh token is recorded as
// outstanding (for_user of the token_blacklist app).
func (a *Auth) NewPair(ctx context.Context, u *auth.User) (*Pair, error) {
	if !a.keys.canSign() {
		return nil, errors.New("jwtauth: no signing key")
	}
	now := a.o.Now()
	claims := a.userClaims(u)
	jti := newJTI()
	exp := epoch(now.Add(a.o.RefreshLifetime))
	refresh, err := a.sign(TypeRefresh, exp, epoch(now), jti, claims)
	if err != nil {
		return nil, err
	}
	if a.o.Blacklist != nil {
		if err := a.o.Blacklist.Outstand(ctx, Outstanding{JTI: jti, Token: refresh, UserID: u.ID, CreatedAt: now, ExpiresAt: time.Unix(exp, 0)}); err != nil {
			return nil, err
		}
	}
	access, err := a.sign(TypeAccess, epoch(now.Add(a.o.AccessLifetime)), epoch(now), newJTI(), claims)
	if err != nil {
		return nil, err
	}
	return &Pair{Access: access, Refresh: refresh, RefreshJTI: jti}, nil
}

// AccessToken returns a new access token for u alone (AccessToken.for_user).
func (a *Auth) AccessToken(u *auth.User) (string, error) {
	now := a.o.Now()
	return a.sign(TypeAccess, epoch(now.Add(a.o.AccessLifetime)), epoch(now), newJTI(), a.userClaims(u))
}

// checkBlacklist is BlacklistMixin.check_blacklist.
func (a *Auth) checkBlacklist(ctx context.Context, jti string) error {
	if a.o.Blacklist == nil {
		return nil
	}
	black, err := a.o.Blacklist.IsBlacklisted(ctx, jti)
	if err != nil {
		return err
	}
	if black {
		return tokenErr(MsgBlacklisted)
	}
	return nil
}

// Refresh is SimpleJWT's TokenRefreshSerializer: the refresh token must
// verify and (with a Blacklist) not be blacklisted; a user it names must be
// active; the answer is a new access token carrying the refresh token's
// claims, and under RotateRefreshTokens a new refresh token (same claims,
// new jti, exp and iat), the old one blacklisted first under
// BlacklistAfterRotation and the new one recorded as outstanding.
// Refusals are *Error (401).
func (a *Auth) Refresh(ctx context.Context, raw string) (*Pair, error) {
	if !a.keys.canSign() {
		return nil, errors.New("jwtauth: no signing key")
	}
	now := a.o.Now()
	o := a.verifyOptions()
	o.now = now
	t, err := decode(a.keys, raw, TypeRefresh, a.names, o, true)
	if err != nil {
		return nil, a.refuseToken(err)
	}
	if err := a.checkBlacklist(ctx, t.JTI); err != nil {
		return nil, a.refuseToken(err)
	}
	var user *auth.User
	if t.HasUserID && t.UserID != "" {
		u, err := a.lookup(ctx, t.UserID)
		if err != nil {
			return nil, err
		}
		if u == nil || (!a.o.AllowInactive && !u.IsActive) {
			return nil, a.refuse(MsgNoActiveForTok)
		}
		user = u
	}
	access, err := a.sign(TypeAccess, epoch(now.Add(a.o.AccessLifetime)), epoch(now), newJTI(), t.Extra)
	if err != nil {
		return nil, err
	}
	p := &Pair{Access: access}
	if !a.o.RotateRefreshTokens {
		return p, nil
	}
	if a.o.BlacklistAfterRotation {
		uid := ""
		if user != nil {
			uid = user.ID
		}
		if err := a.o.Blacklist.Add(ctx, Outstanding{JTI: t.JTI, Token: raw, UserID: uid, CreatedAt: now, ExpiresAt: time.Unix(t.Exp, 0)}, now); err != nil {
			return nil, err
		}
	}
	jti := newJTI()
	exp := epoch(now.Add(a.o.RefreshLifetime))
	refresh, err := a.sign(TypeRefresh, exp, epoch(now), jti, t.Extra)
	if err != nil {
		return nil, err
	}
	if a.o.Blacklist != nil {
		uid := ""
		if user != nil {
			uid = user.ID
		}
		if err := a.o.Blacklist.Outstand(ctx, Outstanding{JTI: jti, Token: refresh, UserID: uid, CreatedAt: now, ExpiresAt: time.Unix(exp, 0)}); err != nil {
			return nil, err
		}
	}
	p.Refresh, p.RefreshJTI = refresh, jti
	return p, nil
}

// Verify is SimpleJWT's TokenVerifySerializer: any type of token that
// verifies (UntypedToken), and, under BlacklistAfterRotation with a
// Blacklist, whose jti is not blacklisted. Refusals are *Error (401).
func (a *Auth) Verify(ctx context.Context, raw string) error {
	t, err := decode(a.keys, raw, "", a.names, a.verifyOptions(), false)
	if err != nil {
		return a.refuseToken(err)
	}
	if a.o.BlacklistAfterRotation {
		if err := a.checkBlacklist(ctx, t.JTI); err != nil {
			return a.refuseToken(err)
		}
	}
	return nil
}

func base64RawURL(b []byte) string {
	return base64.RawURLEncoding.EncodeToString(b)
}
