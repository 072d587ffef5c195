// Package jwtauth is JSON web token authentication compatible with
// djangorestframework-simplejwt (SimpleJWT) under its settings: the same
// tokens, claims, header, messages and token_blacklist tables, so that a Go
// service and a Django project with SimpleJWT accept each other's tokens and
// honour each other's revocations.
//
//	j, _ := jwtauth.New(jwtauth.Options{Auth: a, SigningKey: secretKey}) // HS256 with SECRET_KEY
//	j.Register(api, jwtauth.EndpointOptions{})                          // POST /token/, /token/refresh/, /token/verify/
//	c := api.Controller(dmr.ControllerConfig{Name: "Notes", Path: "/notes/", Auth: []security.Auth{j}})
//
// With package manage, Env.JWTAuth builds it from the DMR_JWT_* variables.
//
// # Tokens
//
// Tokens are SimpleJWT's: a compact JWS whose header is
// {"alg":"HS256","typ":"JWT"} (PyJWT's, byte for byte) and whose claims are
// token_type ("access" or "refresh"), exp, iat (whole seconds), jti (a
// uuid4 hex), the user-id claim (USER_ID_CLAIM, "user_id") holding
// str(getattr(user, USER_ID_FIELD)) — a string, as SimpleJWT 5.3+ writes
// it; integers from SimpleJWT 5.2 are read too — then "aud" and "iss" when
// AUDIENCE and ISSUER are set, and the revoke claim (REVOKE_TOKEN_CLAIM,
// the upper-case MD5 of the password hash) under CHECK_REVOKE_TOKEN. A
// refresh token's access token copies its claims but token_type, exp, iat
// and jti, as RefreshToken.access_token does. USER_ID_FIELD can be the
// primary key (default) or the model's USERNAME_FIELD (FieldUsername):
// those are the lookups a user store has.
//
// Authenticate is JWTAuthentication: the header (AUTH_HEADER_NAME,
// "Authorization") is split on whitespace like Python's bytes.split; no
// header or another scheme (AUTH_HEADER_TYPES, "Bearer", case-sensitive) is
// "not mine", so other auths are tried; "Bearer" with anything but one more
// part is refused. The token must be an access token (a refresh token is
// "Token has wrong type"); the user must exist ("User not found") and be
// active ("User is inactive"); it becomes the request's current user
// (auth.CurrentUser, auth.HasPerm…) through auth.Auth.WithAuthenticatedUser,
// and the token is TokenFromContext. As in SimpleJWT, access tokens are not
// checked against the blacklist: they live ACCESS_TOKEN_LIFETIME (5
// minutes) and revocation works on refresh tokens.
//
// Errors use the project's error model, {"detail":[{"msg","type"}]}, with
// SimpleJWT's messages as msg (MsgExpired, MsgWrongType, MsgUserNotFound…)
// instead of DRF's {"detail","code","messages"}; every refusal is 401 with
// WWW-Authenticate: Bearer realm="api" (Challenge), as SimpleJWT's
// authenticate_header.
//
// # Endpoints
//
// Register adds SimpleJWT's three views, typed like sessionauth's login:
// obtain ({USERNAME_FIELD, password} → {refresh, access}; the field is
// "username" for Django's User, "email" with EmailObtainPayload, as
// SimpleJWT names it after USERNAME_FIELD) authenticates through the same
// path as the session login — the auth.Auth's backends, the bounded
// password-hashing pool (503 with Retry-After when saturated), the optional
// failed-login throttle (429) — and refuses a missing or inactive user with
// "No active account found with the given credentials"; refresh answers a
// new access token, plus a new refresh token under ROTATE_REFRESH_TOKENS
// (the old one blacklisted first under BLACKLIST_AFTER_ROTATION); verify
// answers {} for any valid token (UntypedToken), refusing a blacklisted jti
// under BLACKLIST_AFTER_ROTATION, as TokenVerifySerializer does.
//
// # The blacklist
//
// Blacklist is SimpleJWT's token_blacklist app on its own tables,
// token_blacklist_outstandingtoken and token_blacklist_blacklistedtoken, on
// SQLite, PostgreSQL and MySQL/MariaDB. Setting Options.Blacklist is
// "installing the app": obtained refresh tokens are recorded as
// outstanding (RefreshToken.for_user), rotated ones too (outstand(), 5.5),
// refresh tokens are checked by jti (BlacklistedToken join
// OutstandingToken, check_blacklist), and blacklisting is get_or_create of
// both rows with the user NULL when it no longer exists. A refresh token
// blacklisted by Django is refused here and the other way round.
// CreateTables creates the tables exactly as SimpleJWT's migrations leave
// them per database (column order on SQLite, the identity keys and the
// migration history's constraint names on PostgreSQL and MySQL; the
// interop suite compares the catalogues), or leaves Django's alone.
// Django first is the plain order; when Go created them first, run
// `manage.py migrate token_blacklist --fake` before Django's migrate.
//
// # Keys and the library
//
// HS256/384/512 use the signing key (SimpleJWT's default: SECRET_KEY) as
// the HMAC secret; RS*, PS*, ES256/384/512 and EdDSA use PEM keys (PKCS#1,
// PKCS#8, SEC 1 private keys; PKIX public keys or certificates), the
// verifying key defaulting to the signing key's public half. Key parsing
// and the asymmetric signatures are github.com/golang-jwt/jwt/v5's
// (ParseRSAPrivateKeyFromPEM…, SigningMethod.Sign/Verify): a small,
// dependency-free library with the PEM helpers PyJWT's key formats need.
// The compact serialization, header check and claims are this package's
// own: the token is split, the header must name exactly the configured
// algorithm, the signature is checked with the configured key, then the
// payload is scanned once for the claims it needs. That keeps the hot path
// of an HS256 check at a few microseconds and 8 allocations (pooled HMAC
// state, no map of claims; see docs/benchmarks.md), which golang-jwt's
// Parser with MapClaims does not, and it puts algorithm selection entirely
// in the configuration. lestrrat-go/jwx was not chosen: it brings JWK, JWE
// and much more that SimpleJWT does not use.
//
// # Threat model
//
//   - Algorithm confusion: the algorithm and key type come from Options,
//     never from the token. A token whose header names any other algorithm
//     ("none", "None", HS256 for an RS256 configuration…) is refused before
//     the signature is looked at, so an RSA public key can never serve as
//     an HMAC secret; New also refuses a PEM or SSH key as HMAC secret (as
//     PyJWT does), an RSA key under 2048 bits, an EC key of the wrong
//     curve, and a verifying key that is not the signing key's pair.
//   - "none" and unsigned tokens: not an algorithm here; a missing or
//     malformed signature is "Token is invalid". A crit header is refused
//     (no extension is understood).
//   - Encoding: base64url without padding, strict (PyJWT is more lenient
//     and accepts padding and stray characters; no issuer writes those);
//     tokens over 8 KiB are refused unread.
//   - Time: exp is required; exp, nbf and iat are checked against the
//     clock with Options.Leeway (LEEWAY, 0 by default, at most 5 minutes)
//     exactly as PyJWT: expired when exp <= now - leeway ("Token is
//     expired"), not yet valid when nbf or iat > now + leeway.
//   - Key handling: HMAC secrets and private keys stay in memory in the
//     Auth; the secret is compared in constant time (hmac.Equal). Rotating
//     SECRET_KEY invalidates every HS256 token, as in Django (SimpleJWT has
//     no fallback keys); use a dedicated DMR_JWT_SIGNING_KEY to rotate
//     independently. Asymmetric verifying-only services need no secret.
//   - Revocation: refresh tokens through the shared blacklist; access
//     tokens only by expiry, or by a password change under
//     CHECK_REVOKE_TOKEN ("The user's password has been changed.").
//
// # Differences from SimpleJWT
//
//   - Errors are the project's model with SimpleJWT's texts (5.4+: "Token is
//     invalid", "Token is expired"); SimpleJWT 5.2 says "Token is invalid or
//     expired" for both. JWTAuthentication's wrapper "Given token not valid
//     for any token type" is not added: the token-level message is the msg.
//   - Verify of a blacklisted token answers 401 "Token is blacklisted";
//     SimpleJWT raises a ValidationError there (400).
//   - Refresh with a token whose user was deleted answers 401 "No active
//     account found for the given token."; SimpleJWT 5.5 lets
//     DoesNotExist escape (500) and 5.2 does not look the user up.
//   - Only AUTH_TOKEN_CLASSES = (AccessToken,) (the default), no sliding
//     tokens, no JWK_URL, no TOKEN_USER_CLASS (stateless users).
//   - USER_ID_FIELD is the primary key or USERNAME_FIELD only.
//   - Options.Cookie adds what SimpleJWT does not have: the access token also
//     in an HttpOnly, SameSite=Lax cookie set by the obtain and refresh
//     endpoints, read when there is no bearer header; a request it
//     authenticates must pass the CSRF check on unsafe methods (403), as a
//     session must. Bearer requests never need CSRF. (Not in manage's
//     DMR_JWT_* settings: set it in the Options given to Env.JWTAuth,
//     with CSRF: env.CSRF.)
package jwtauth
