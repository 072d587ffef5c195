package main

import (
	"context"
	"net/http"
	"time"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/health"
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
		Migrate:     func(ctx context.Context, env *manage.Env) error { return newNotes(env.SQL, env.UserTable).migrate(ctx) },
		AutoMigrate: true,
		// Sessions and users loaded by a request are kept in memory for
		// 1 s (DMR_AUTH_CACHE_TTL overrides, 0 disables): a logout, password
		// change or deactivation made by Django or another replica takes
		// effect here within 1 s; those made through this server at once.
		Options: manage.Options{
			AuthCacheTTL: time.Second,
			// Go backends by Django path, for DMR_AUTHENTICATION_BACKENDS.
			Backends: map[string]manage.BackendFunc{EmailBackendPath: emailBackend},
		},
	}
}

func buildAPI(env *manage.Env) (*dmr.API, error) {
	api := dmr.New(dmr.Config{
		Title:   "Django Modern Rest",
		Version: "0.1.0",
		Prefix:  "/api",
		Logger:  env.Logger,
		// DMR_THROTTLE_RATES (anon=N/min,user=M/hour): DRF's anon and user
		// rate limits on every /api/ endpoint; none when unset.
		Throttle: env.Throttle,
	})
	sa, err := sessionauth.New(sessionauth.Options{
		Auth:              env.Auth,
		CSRF:              env.CSRF,
		SessionCookieName: env.Sessions.CookieName(),
	})
	if err != nil {
		return nil, err
	}
	clients, err := clientAuths(api, env, sa)
	if err != nil {
		return nil, err
	}

	// POST /api/auth/: the reusable login controller (SessionSyncController),
	// with the failed-login throttle (DMR_LOGIN_FAILURE_LIMIT…) unless off,
	// and login outcomes counted in the metrics (DMR_METRICS_ADDR).
	lo := sessionauth.DefaultLoginOptions{Observe: func(_ context.Context, outcome string) { env.Metrics.ObserveLogin(outcome) }}
	if env.LoginThrottle != nil {
		lo.Throttle = env.LoginThrottle
	}
	sa.RegisterLogin(api, lo)
	// POST /api/auth/logout/ and GET /api/csrf/.
	sa.RegisterLogout(api, sessionauth.LogoutOptions{})
	sa.RegisterCSRF(api, sessionauth.CSRFOptions{})

	// GET /api/apicontroller/: the seed's protected endpoint, answering the
	// current user's username.
	// It also takes DRF tokens, SimpleJWT access tokens and API keys (see
	// clientAuths).
	c := api.Controller(dmr.ControllerConfig{Name: "APIController", Path: "/apicontroller/", Auth: clients})
	dmr.Get(c, dmr.Operation{}, func(ctx context.Context, _ *struct{}) (*string, error) {
		name := auth.UserFromContext(ctx).Username
		return &name, nil
	})

	// GET and POST /api/notes/: the caller's own notes.
	store := newNotes(env.SQL, env.UserTable)
	// The session (CSRF on POST) or a token or API key (no CSRF).
	nc := api.Controller(dmr.ControllerConfig{Name: "NotesController", Path: "/notes/", Auth: clients})
	dmr.Get(nc, dmr.Operation{Summary: "List your notes."}, func(ctx context.Context, _ *struct{}) (*[]Note, error) {
		list, err := store.listFor(ctx, auth.UserFromContext(ctx).ID)
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
	// GET /api/users/: the users, for callers with the user model's "view"
	// permission (auth.view_user for Django's User; granted directly or
	// through a group, or by being a superuser). 403 without it.
	view := env.UserModel.ViewPermission()
	uc := api.Controller(dmr.ControllerConfig{Name: "UsersController", Path: "/users/",
		Auth: []security.Auth{sa.With(sessionauth.PermissionRequired(view))}})
	dmr.Get(uc, dmr.Operation{Summary: "List the users (requires " + view + ")."}, func(ctx context.Context, _ *struct{}) (*[]UserItem, error) {
		list, err := env.UserTable.ListUsers(ctx, maxUsersListed)
		if err != nil {
			return nil, err
		}
		out := make([]UserItem, 0, len(list))
		for _, u := range list {
			out = append(out, UserItem{ID: u.ID, Username: u.Username})
		}
		return &out, nil
	})
	return api, nil
}

// maxUsersListed bounds GET /api/users/ (an example, not a paginated API).
const maxUsersListed = 1000

// UserItem is one user in GET /api/users/.
type UserItem struct {
	// ID is Django's str(pk).
	ID string `json:"id"`
	// Username is the USERNAME_FIELD's value.
	Username string `json:"username"`
}

// SchemaDescription documents the schema.
func (UserItem) SchemaDescription() string {
	return "A user: its primary key as Django writes it, and its USERNAME_FIELD."
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
	// Probes for a load balancer or orchestrator, outside /api/: /healthz
	// (the process answers) and /readyz (the database, and Redis when used,
	// answer within 2 s; else 503 naming them).
	ready, err := health.Ready(health.ReadyOptions{Checks: env.HealthChecks(), Logger: env.Logger})
	if err != nil {
		return err
	}
	mux.Handle("GET /healthz", health.Live())
	mux.Handle("GET /readyz", ready)
	return nil
}
