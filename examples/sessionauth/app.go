package main

import (
	"context"
	"net/http"
	"time"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/manage"
	"github.com/dmr-go/dmr/security"
	"github.com/dmr-go/dmr/security/sessionauth"
)

// Staff is the answer of GET /api/staff/.
type Staff struct {
	Username    string `json:"username"`
	IsSuperuser bool   `json:"is_superuser"`
}

// SchemaDescription documents the schema.
func (Staff) SchemaDescription() string { return "The signed-in staff member." }

// App is the example application: the seed's API plus a small notes API,
// with Django's session authentication, on the manage command runner.
func App() manage.App {
	return manage.App{
		Name:        "sessionauth",
		API:         buildAPI,
		Routes:      routes,
		Migrate:     func(ctx context.Context, env *manage.Env) error { return notes{env.DB}.migrate(ctx, env.Dialect) },
		AutoMigrate: true,
		// Sessions and users loaded by a request are kept in memory for
		// 1 s (DMR_AUTH_CACHE_TTL overrides, 0 disables): a logout, password
		// change or deactivation made by Django or another replica takes
		// effect here within 1 s; those made through this server at once.
		Options: manage.Options{AuthCacheTTL: time.Second},
	}
}

func buildAPI(env *manage.Env) (*dmr.API, error) {
	api := dmr.New(dmr.Config{
		Title:   "Django Modern Rest",
		Version: "0.1.0",
		Prefix:  "/api",
		Logger:  env.Logger,
	})
	sa, err := sessionauth.New(sessionauth.Options{
		Auth:              env.Auth,
		CSRF:              env.CSRF,
		SessionCookieName: env.Sessions.CookieName(),
	})
	if err != nil {
		return nil, err
	}
	session := []security.Auth{sa}

	// POST /api/auth/: the reusable login controller (SessionSyncController).
	sa.RegisterLogin(api, sessionauth.DefaultLoginOptions{})
	// POST /api/auth/logout/ and GET /api/csrf/.
	sa.RegisterLogout(api, sessionauth.LogoutOptions{})
	sa.RegisterCSRF(api, sessionauth.CSRFOptions{})

	// GET /api/apicontroller/: the seed's protected endpoint, answering the
	// current user's username.
	c := api.Controller(dmr.ControllerConfig{Name: "APIController", Path: "/apicontroller/", Auth: session})
	dmr.Get(c, dmr.Operation{}, func(ctx context.Context, _ *struct{}) (*string, error) {
		name := auth.UserFromContext(ctx).Username
		return &name, nil
	})

	// GET and POST /api/notes/: the caller's own notes.
	store := notes{env.DB}
	nc := api.Controller(dmr.ControllerConfig{Name: "NotesController", Path: "/notes/", Auth: session})
	dmr.Get(nc, dmr.Operation{Summary: "List your notes."}, func(ctx context.Context, _ *struct{}) (*[]Note, error) {
		list, err := store.list(ctx, auth.UserFromContext(ctx).ID)
		return &list, err
	})
	dmr.Post(nc, dmr.Operation{Summary: "Keep a note."}, func(ctx context.Context, in *struct {
		Body NewNote `body:""`
	}) (*Note, error) {
		return store.add(ctx, auth.UserFromContext(ctx).ID, in.Body.Text)
	})

	// GET /api/staff/: staff only (403 Permission denied for other users).
	sc := api.Controller(dmr.ControllerConfig{Name: "StaffController", Path: "/staff/", Auth: []security.Auth{sa.With(sessionauth.StaffOnly())}})
	dmr.Get(sc, dmr.Operation{Summary: "Staff only."}, func(ctx context.Context, _ *struct{}) (*Staff, error) {
		u := auth.UserFromContext(ctx)
		return &Staff{Username: u.Username, IsSuperuser: u.IsSuperuser}, nil
	})
	return api, nil
}

// routes serves the document at /api/openapi.json and the docs page at
// /docs/, which sends the X-CSRFToken header (read from the CSRF cookie) on
// unsafe requests, so a user can log in and try every endpoint from it.
func routes(mux *http.ServeMux, env *manage.Env, api *dmr.API) error {
	mux.Handle("GET /api/openapi.json", api.OpenAPIHandler())
	docs, err := dmr.DocsHandler(dmr.DocsOptions{
		SpecURL:        "/api/openapi.json",
		Title:          "Session auth example",
		CSRFCookieName: env.CSRF.CookieName(),
		CSRFHeaderName: env.CSRF.HeaderName(),
		AssetsDir:      env.Config.DocsAssetsDir, // DMR_DOCS_ASSETS; empty: the pinned CDN files
	})
	if err != nil {
		return err
	}
	mux.Handle("/docs/", docs)
	return nil
}
