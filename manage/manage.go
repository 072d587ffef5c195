package manage

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/auth/drftoken"
	"github.com/dmr-go/dmr/auth/loginthrottle"
	"github.com/dmr-go/dmr/metrics"
)

// App describes an application to the command runner: how to build its API
// from the opened environment, its own tables, and its fixed settings.
type App struct {
	// Name is the program name used in messages; default the base name of
	// os.Args[0].
	Name string
	// Options are the application's fixed settings (cookie names, header
	// policy…). Options.Logger is ignored: the runner logs to its stderr.
	Options Options
	// API builds the application's API. It is called once per process, with
	// an Env that is online for serve and offline (no I/O may be done through
	// it) for openapi. Required.
	API func(env *Env) (*dmr.API, error)
	// Routes adds handlers beside the API to mux (a docs page, the document),
	// which already serves the API under its prefix. Optional.
	Routes func(mux *http.ServeMux, env *Env, api *dmr.API) error
	// Migrate creates the application's own tables, after django_session and
	// auth_user; it must be idempotent. Optional.
	Migrate func(ctx context.Context, env *Env) error
	// AutoMigrate creates missing tables (as migrate does) whenever a command
	// opens the database, so a fresh SQLite setup needs no separate step.
	AutoMigrate bool
}

// Invocation is one run of the command line: arguments (without the program
// name), the environment and the standard streams.
type Invocation struct {
	Args      []string
	LookupEnv func(string) (string, bool)
	Stdin     io.Reader
	Stdout    io.Writer
	Stderr    io.Writer
	// Ready, when set, is called by serve with the address it listens on,
	// once it accepts connections.
	Ready func(addr net.Addr)
}

// Main runs the command line of os.Args with the process environment and
// exits with its status. SIGINT and SIGTERM stop serve gracefully.
func (a App) Main() {
	// go-redis reports connection failures through its own process-wide
	// logger, straight to stderr; the error reaches the caller anyway, so
	// keep stderr to the one-line contract.
	redis.SetLogger(quietRedis{})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := a.Run(ctx, Invocation{
		Args: os.Args[1:], LookupEnv: os.LookupEnv,
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
	})
	stop()
	os.Exit(code)
}

// Commands lists the subcommands with their synopsis.
const Commands = `commands:
  serve [--addr HOST:PORT]      serve the API (default 127.0.0.1:8000); the default command
  migrate                       create the django_session, auth_user, dmr_login_failure, authtoken_token, dmr_apikey, token_blacklist (DMR_JWT_BLACKLIST) and application tables
  createuser --username U [--email E] [--staff] [--superuser] [--password-stdin | --no-password]
  changepassword --username U [--password-stdin]
  clearsessions                 delete expired sessions
  createtoken --username U [--reset]  print U's DRF token, creating it if missing (drf_create_token)
  openapi [--version 3.2|3.1]   print the OpenAPI document
  createapikey --username U [--name N] [--expires 720h]   make an API key (printed once)
  revokeapikey PREFIX           revoke an API key
  listapikeys                   list API keys (prefix, user, name, dates, status)
  installtriggers               install the triggers DMR_AUTH_CACHE=notify|changelog needs (idempotent)
  removetriggers                remove them (idempotent)
environment: DMR_DATABASE_URL DMR_SECRET_KEY DMR_SECRET_KEY_FALLBACKS DMR_SESSION_STORE
             DMR_REDIS_URL DMR_REDIS_BACKEND DMR_REDIS_COMPRESSOR
             DMR_CSRF_USE_SESSIONS DMR_CSRF_TRUSTED_ORIGINS DMR_AUTH_CACHE_TTL
             DMR_AUTH_CACHE DMR_AUTH_CACHE_POLL
             DMR_DJANGO_VERSION DMR_DOCS_ASSETS
             DMR_AUTH_USER_MODEL DMR_AUTH_USER_TABLE DMR_AUTH_USERNAME_FIELD
             DMR_AUTHENTICATION_BACKENDS
             DMR_LOGIN_FAILURE_LIMIT DMR_LOGIN_IP_FAILURE_LIMIT DMR_LOGIN_COOLOFF
             DMR_DB_TIMEOUT DMR_BODY_TIMEOUT DMR_METRICS_ADDR DMR_PPROF
             DMR_DRF_TOKEN_KEYWORD
             DMR_THROTTLE_RATES DMR_THROTTLE_STORE
             DMR_JWT_ALGORITHM DMR_JWT_SIGNING_KEY DMR_JWT_VERIFYING_KEY DMR_JWT_ACCESS_LIFETIME
             DMR_JWT_REFRESH_LIFETIME DMR_JWT_ROTATE_REFRESH DMR_JWT_BLACKLIST
             DMR_JWT_BLACKLIST_AFTER_ROTATION DMR_JWT_LEEWAY DMR_JWT_USER_ID_CLAIM
             DMR_JWT_USER_ID_FIELD DMR_JWT_AUDIENCE DMR_JWT_ISSUER DMR_JWT_AUTH_HEADER_TYPES
             DMR_JWT_CHECK_REVOKE_TOKEN`

// Run executes one command line and returns the exit status: 0 on success
// (and for help: "help", -h or --help print the usage on Stdout), 1 after
// writing one line "<name>: <error>" to Stderr on any failure. No arguments
// means serve. Serve stops gracefully when ctx is done.
func (a App) Run(ctx context.Context, inv Invocation) int {
	name := a.Name
	if name == "" {
		name = filepath.Base(os.Args[0])
	}
	if inv.LookupEnv == nil {
		inv.LookupEnv = func(string) (string, bool) { return "", false }
	}
	if inv.Stdin == nil {
		inv.Stdin = strings.NewReader("")
	}
	if inv.Stdout == nil {
		inv.Stdout = io.Discard
	}
	if inv.Stderr == nil {
		inv.Stderr = io.Discard
	}
	err := a.run(ctx, name, inv)
	if errors.Is(err, errHelp) {
		fmt.Fprintf(inv.Stdout, "usage: %s [command] [flags]\n%s\n", name, Commands)
		return 0
	}
	if err != nil {
		msg := strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", " ")), " ")
		fmt.Fprintf(inv.Stderr, "%s: %s\n", name, msg)
		return 1
	}
	return 0
}

var errHelp = errors.New("help")

type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

// cli is the state of one run.
type cli struct {
	app  App
	inv  Invocation
	log  *slog.Logger
	cfg  Config
	args []string
}

func (a App) run(ctx context.Context, name string, inv Invocation) error {
	args := inv.Args
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	if cmd == "help" {
		return errHelp
	}
	level := slog.LevelWarn
	if cmd == "serve" {
		level = slog.LevelInfo
	}
	c := &cli{app: a, inv: inv, log: slog.New(slog.NewTextHandler(inv.Stderr, &slog.HandlerOptions{Level: level}))}
	var run func(context.Context) error
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	switch cmd {
	case "serve":
		addr := fs.String("addr", DefaultAddr, "")
		run = func(ctx context.Context) error { return c.serve(ctx, *addr) }
	case "migrate":
		run = c.migrate
	case "createuser":
		o := createUserFlags{}
		fs.StringVar(&o.username, "username", "", "")
		fs.StringVar(&o.email, "email", "", "")
		fs.BoolVar(&o.staff, "staff", false, "")
		fs.BoolVar(&o.superuser, "superuser", false, "")
		fs.BoolVar(&o.passwordStdin, "password-stdin", false, "")
		fs.BoolVar(&o.noPassword, "no-password", false, "")
		run = func(ctx context.Context) error { return c.createUser(ctx, o) }
	case "changepassword":
		o := createUserFlags{}
		fs.StringVar(&o.username, "username", "", "")
		fs.BoolVar(&o.passwordStdin, "password-stdin", false, "")
		run = func(ctx context.Context) error { return c.changePassword(ctx, o) }
	case "clearsessions":
		run = c.clearSessions
	case "createtoken":
		o := createTokenFlags{}
		fs.StringVar(&o.username, "username", "", "")
		fs.BoolVar(&o.reset, "reset", false, "")
		fs.BoolVar(&o.reset, "r", false, "")
		run = func(ctx context.Context) error { return c.createToken(ctx, o) }
	case "installtriggers":
		run = c.installTriggers
	case "removetriggers":
		run = c.removeTriggers
	case "openapi":
		version := fs.String("version", "3.2", "")
		run = func(ctx context.Context) error { return c.openAPI(*version) }
	default:
		var ok bool
		if run, ok = c.apiKeyCommand(cmd, fs); !ok {
			return fmt.Errorf("unknown command %q (commands: serve, migrate, createuser, changepassword, clearsessions, createtoken, openapi, createapikey, revokeapikey, listapikeys, installtriggers, removetriggers)", cmd)
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return fmt.Errorf("%s: %w", cmd, err)
	}
	if fs.NArg() > 0 && cmd != "revokeapikey" {
		return fmt.Errorf("%s: unexpected argument %q", cmd, fs.Arg(0))
	}
	cfg, err := ConfigFromEnv(inv.LookupEnv)
	if err != nil {
		return err
	}
	c.cfg = cfg
	return run(ctx)
}

func (c *cli) options() Options {
	o := c.app.Options
	o.Logger = c.log
	return o
}

// open opens the environment and, with App.AutoMigrate, creates missing
// tables, so that a fresh SQLite setup needs no separate migrate step.
func (c *cli) open(ctx context.Context) (*Env, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	env, err := open(ctx, c.cfg, c.options(), onlineNoFeed)
	if err != nil {
		return nil, err
	}
	if c.app.AutoMigrate {
		if err := c.app.MigrateAll(ctx, env); err != nil {
			env.Close()
			return nil, err
		}
	}
	return env, nil
}

// Handler builds the application's whole handler on env: a mux serving the
// API under its prefix plus the application's Routes, inside env's middleware
// stack. Tests use it to run the application in process.
func (a App) Handler(env *Env) (http.Handler, *dmr.API, error) {
	if a.API == nil {
		return nil, nil, errors.New("manage: App.API is not set")
	}
	api, err := a.API(env)
	if err != nil {
		return nil, nil, err
	}
	mux := http.NewServeMux()
	prefix := api.Prefix()
	mux.Handle(prefix+"/", api)
	if a.Routes != nil {
		if err := a.Routes(mux, env, api); err != nil {
			if env.Config.DocsAssetsDir != "" && errors.Is(err, dmr.ErrDocsAssets) {
				return nil, nil, fmt.Errorf("%s=%q: %w (scripts/docs-assets.sh installs swagger-ui-dist@%s into $HOME/.cache/dmr/npm/node_modules/swagger-ui-dist)",
					EnvDocsAssets, env.Config.DocsAssetsDir, err, dmr.SwaggerUIVersion)
			}
			return nil, nil, err
		}
	}
	// Building the document here reports registration problems at start-up.
	if _, err := api.DocumentJSON(); err != nil {
		return nil, nil, fmt.Errorf("openapi document: %w", err)
	}
	return env.wrap(env.Middleware(mux), api, mux), api, nil
}

func (c *cli) serve(ctx context.Context, addr string) error {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("serve: --addr %q: want HOST:PORT", addr)
	}
	env, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer env.Close()
	if err := env.StartAuthCacheFeed(ctx); err != nil {
		return err
	}
	gogc := "GOGC from the environment" // the runtime read it itself
	if v, ok := c.inv.LookupEnv("GOGC"); !ok || v == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(DefaultGCPercent))
		gogc = strconv.Itoa(DefaultGCPercent) + " (default; set GOGC to change)"
	}
	h, _, err := c.app.Handler(env)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		WriteTimeout:      c.cfg.writeTimeout(),
		IdleTimeout:       IdleTimeout,
		ErrorLog:          slog.NewLogLogger(c.log.Handler(), slog.LevelWarn),
	}
	servers := []*http.Server{srv}
	errc := make(chan error, 2)
	if env.Metrics != nil {
		mln, err := net.Listen("tcp", c.cfg.MetricsAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("serve: metrics: %w", err)
		}
		msrv := &http.Server{
			Handler:           env.Metrics.Mux(metrics.MuxOptions{PProf: c.cfg.PProf}),
			ReadHeaderTimeout: ReadHeaderTimeout,
			IdleTimeout:       IdleTimeout,
			ErrorLog:          srv.ErrorLog,
			// No WriteTimeout: a CPU profile streams for up to 300 s.
		}
		servers = append(servers, msrv)
		c.log.Info("metrics", "url", "http://"+mln.Addr().String()+"/metrics", "pprof", c.cfg.PProf)
		go func() { errc <- msrv.Serve(mln) }()
	}
	c.log.Info("serving", "url", "http://"+ln.Addr().String()+"/", "database", env.SQL.Dialect.String(), "sessions", string(env.Config.SessionStore),
		"gogc", gogc)
	go func() { errc <- srv.Serve(ln) }()
	if c.inv.Ready != nil {
		c.inv.Ready(ln.Addr())
	}
	var serveErr error
	select {
	case err := <-errc:
		serveErr = fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
		c.log.Info("shutting down: finishing requests in flight", "timeout", ShutdownTimeout.String())
	}
	if err := shutdown(servers, ShutdownTimeout); err != nil && serveErr == nil {
		serveErr = fmt.Errorf("serve: shutdown: %w", err)
	}
	return serveErr
}

// shutdown stops the servers gracefully: they stop accepting, close idle
// connections and wait for requests in flight, for at most timeout; then
// the connections still busy are closed.
func shutdown(servers []*http.Server, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	errs := make(chan error, len(servers))
	for _, s := range servers {
		go func() {
			err := s.Shutdown(ctx)
			if err != nil {
				s.Close()
				err = fmt.Errorf("requests still in flight after %v were cut off: %w", timeout, err)
			}
			errs <- err
		}()
	}
	var all []error
	for range servers {
		all = append(all, <-errs)
	}
	return errors.Join(all...)
}

func (c *cli) migrate(ctx context.Context) error {
	env, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer env.Close()
	if err := c.app.MigrateAll(ctx, env); err != nil {
		return err
	}
	fmt.Fprintf(c.inv.Stdout, "Tables are up to date (%s).\n", env.SQL.Dialect)
	return nil
}

// MigrateAll creates the django_session and auth_user tables where they are
// missing, then dmr_login_failure and DRF's authtoken_token, then the
// application's own tables. It is idempotent and accepts a database Django
// has already migrated.
//
// With a custom user model (DMR_AUTH_USER_MODEL) Django's migrations own the
// user tables and django_session: they are not created (authtoken_token is,
// next to the model's table, when Django's migrate has not made it).
func (a App) MigrateAll(ctx context.Context, env *Env) error {
	if !env.customUserModel() {
		if err := env.SessionTable.CreateTables(ctx); err != nil {
			return fmt.Errorf("migrate django_session: %w", err)
		}
		if err := env.createUserTables(ctx); err != nil {
			return fmt.Errorf("migrate auth_user: %w", err)
		}
	}
	if err := env.LoginFailures.CreateTable(ctx); err != nil {
		return fmt.Errorf("migrate %s: %w", loginthrottle.Table, err)
	}
	if err := env.DRFTokens.CreateTables(ctx); err != nil {
		return fmt.Errorf("migrate %s: %w", drftoken.Table, err)
	}
	if err := env.migrateAPIKeys(ctx); err != nil {
		return fmt.Errorf("migrate dmr_apikey: %w", err)
	}
	if err := env.migrateJWT(ctx); err != nil {
		return fmt.Errorf("migrate token_blacklist: %w", err)
	}
	if a.Migrate != nil {
		if err := a.Migrate(ctx, env); err != nil {
			return fmt.Errorf("migrate application tables: %w", err)
		}
	}
	return nil
}

func (c *cli) clearSessions(ctx context.Context) error {
	env, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer env.Close()
	if env.Store == nil {
		// Signed cookies have nothing stored; Django's clear_expired does
		// nothing either.
		return nil
	}
	if err := env.Store.ClearExpired(ctx); err != nil {
		return fmt.Errorf("clearsessions: %w", err)
	}
	return nil
}

func (c *cli) openAPI(version string) error {
	if version != "3.2" && version != "3.2.0" && version != "3.1" && version != "3.1.0" {
		return fmt.Errorf("openapi: --version %q: want 3.2 or 3.1", version)
	}
	env, err := OpenOffline(c.cfg, c.options())
	if err != nil {
		return err
	}
	defer env.Close()
	_, api, err := c.app.Handler(env)
	if err != nil {
		return err
	}
	var b []byte
	if strings.HasPrefix(version, "3.1") {
		b, err = api.DocumentJSON31()
	} else {
		b, err = api.DocumentJSON()
	}
	if err != nil {
		return fmt.Errorf("openapi: %w", err)
	}
	if _, err := c.inv.Stdout.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("openapi: %w", err)
	}
	return nil
}
