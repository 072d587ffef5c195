package main

import (
	"context"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/manage"
	"github.com/dmr-go/dmr/security"
	"github.com/dmr-go/dmr/security/apikey"
	"github.com/dmr-go/dmr/security/jwtauth"
	"github.com/dmr-go/dmr/security/sessionauth"
	"github.com/dmr-go/dmr/security/tokenauth"
)

// clientAuths returns the auths of the endpoints that scripts, mobile apps
// and other services call as well as browsers, in the order they are tried:
//
//   - the Django session (cookie; CSRF on unsafe methods);
//   - Django REST framework's tokens: "Authorization: Token <key>" against
//     authtoken_token (made by DRF or by the createtoken command;
//     DMR_DRF_TOKEN_KEYWORD changes the word);
//   - SimpleJWT access tokens: "Authorization: Bearer <access>", from
//     POST /api/token/ here or from the Django site's SimpleJWT
//     (DMR_JWT_*: the signing key defaults to the secret key);
//   - API keys: "X-API-Key: dmr_<prefix>.<secret>" (createapikey).
//
// Only the session checks CSRF, as in DRF. It also registers SimpleJWT's
// obtain, refresh and verify endpoints (POST /api/token/, /api/token/refresh/,
// /api/token/verify/), which authenticate as the login endpoint does (the
// hashing pool, the failed-login throttle, the login metrics).
func clientAuths(api *dmr.API, env *manage.Env, sa *sessionauth.Auth) ([]security.Auth, error) {
	ta, err := env.TokenAuth(tokenauth.Options{})
	if err != nil {
		return nil, err
	}
	ja, err := env.JWTAuth(jwtauth.Options{})
	if err != nil {
		return nil, err
	}
	obtain := jwtauth.EndpointOptions{Obtain: obtainOptions[jwtauth.TokenObtainPayload](env)}
	if env.UserModel.UsernameField == "email" {
		// SimpleJWT names the obtain field after USERNAME_FIELD.
		obtain.Obtain = obtainOptions[jwtauth.EmailObtainPayload](env)
	}
	ja.Register(api, obtain)
	keys, err := env.APIKeys()
	if err != nil {
		return nil, err
	}
	ak, err := apikey.New(apikey.Options{Store: keys, Auth: env.Auth})
	if err != nil {
		return nil, err
	}
	return []security.Auth{sa, ta, ja, ak}, nil
}

// obtainOptions are the obtain endpoint's options for payload P: the login's
// failed-login throttle (unless off) and its metrics.
func obtainOptions[P any](env *manage.Env) jwtauth.ObtainOptions[P] {
	o := jwtauth.ObtainOptions[P]{Observe: func(_ context.Context, outcome string) { env.Metrics.ObserveLogin(outcome) }}
	if env.LoginThrottle != nil {
		o.Throttle = env.LoginThrottle
	}
	return o
}
