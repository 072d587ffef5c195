package dmr

import (
	"cmp"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/internal/lograte"
	"github.com/dmr-go/dmr/internal/reqstate"
	"github.com/dmr-go/dmr/internal/shape"
	"github.com/dmr-go/dmr/openapi"
)

// API is a set of controllers served under one prefix. It is an http.Handler:
// mount it at its prefix (for example mux.Handle("/api/", api)).
//
// Register every endpoint before serving: the first request (or the first
// call to Document) freezes the API, and registering afterwards panics.
// After that, an API is safe for concurrent use.
type API struct {
	cfg      Config
	prefix   string
	logger   *slog.Logger
	reg      *shape.Registry
	errModel *errorModel

	mu          sync.Mutex
	frozen      atomic.Bool
	controllers []*Controller
	static      map[string]*route
	dynamic     []*route
	opIDs       map[string]string
	schemes     map[string][]byte
	checkGen    *openapi.Generator

	docOnce sync.Once
	doc     *documents
	docErr  error

	failures lograte.Limiter // unavailable stores: one record per interval
}

// New returns an empty API. It panics if cfg is invalid (for example a
// custom error model without Format).
func New(cfg Config) *API {
	a := &API{
		cfg:    cfg,
		prefix: strings.TrimSuffix(cfg.Prefix, "/"),
		logger: cfg.Logger,
		reg:    shape.NewRegistry(),
		static: map[string]*route{},
		opIDs:  map[string]string{},
	}
	if a.prefix != "" && !strings.HasPrefix(a.prefix, "/") {
		panic(fmt.Sprintf("dmr: Config.Prefix %q must start with /", cfg.Prefix))
	}
	if a.logger == nil {
		a.logger = slog.Default()
	}
	if a.cfg.Title == "" {
		a.cfg.Title = "API"
	}
	if a.cfg.Version == "" {
		a.cfg.Version = "0.1.0"
	}
	if cfg.BodyLimit == 0 {
		a.cfg.BodyLimit = DefaultBodyLimit
	}
	em, err := a.compileErrorModel(cfg.ErrorModel)
	if err != nil {
		panic("dmr: Config.ErrorModel: " + err.Error())
	}
	a.errModel = em
	return a
}

// Prefix returns the path prefix the API is served under ("" for the root).
func (a *API) Prefix() string { return a.prefix }

// Controller is a named group of endpoints served at one path. Create it with
// [API.Controller] and add endpoints with [Register] (or [Get], [Post]…).
type Controller struct {
	api      *API
	cfg      ControllerConfig
	route    *route
	errModel *errorModel
}

// Controller adds a controller to the API. It panics when the name or path is
// invalid or the path is already served by another controller.
func (a *API) Controller(cfg ControllerConfig) *Controller {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.frozen.Load() {
		panic("dmr: Controller called after the API started serving")
	}
	if cfg.Name == "" {
		panic("dmr: ControllerConfig.Name is required (it feeds the operationIds)")
	}
	full := a.prefix + cfg.Path
	if !strings.HasPrefix(full, "/") {
		panic(fmt.Sprintf("dmr: controller %s: path %q must start with /", cfg.Name, cfg.Path))
	}
	rt, err := parseRoute(full)
	if err != nil {
		panic(fmt.Sprintf("dmr: controller %s: %v", cfg.Name, err))
	}
	if other := a.findRoute(rt); other != nil {
		panic(fmt.Sprintf("dmr: controller %s: path %s is already served by controller %s", cfg.Name, full, other.ctrl.cfg.Name))
	}
	for _, o := range a.dynamic {
		if example, ok := conflicts(rt, o); ok {
			panic(fmt.Sprintf("dmr: controller %s: path %s conflicts with path %s of controller %s: both match %s and neither is more specific",
				cfg.Name, full, o.path, o.ctrl.cfg.Name, example))
		}
	}
	c := &Controller{api: a, cfg: cfg, route: rt, errModel: a.errModel}
	if cfg.ErrorModel != nil {
		em, err := a.compileErrorModel(cfg.ErrorModel)
		if err != nil {
			panic(fmt.Sprintf("dmr: controller %s: ErrorModel: %v", cfg.Name, err))
		}
		c.errModel = em
	}
	rt.ctrl = c
	if len(rt.params) == 0 {
		a.static[full] = rt
	} else {
		a.dynamic = append(a.dynamic, rt)
		// Most specific first: with conflicts refused, of two routes that
		// match one path, the more specific has more literal segments.
		slices.SortStableFunc(a.dynamic, func(x, y *route) int { return cmp.Compare(y.literals, x.literals) })
	}
	a.controllers = append(a.controllers, c)
	return c
}

// Path returns the controller's full path template.
func (c *Controller) Path() string { return c.route.path }

// route is one path template with its endpoints.
type route struct {
	path     string
	segs     []string // literal segments (parameters: "")
	isParam  []bool
	params   []string // parameter names, in order
	literals int      // number of literal segments
	ctrl     *Controller
	methods  map[string]*endpoint
	allowed  []string // sorted methods
}

const maxParams = 16

func parseRoute(path string) (*route, error) {
	rt := &route{path: path, methods: map[string]*endpoint{}}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("path %q must not contain ? or #", path)
	}
	for _, seg := range strings.Split(path, "/")[1:] {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			name := seg[1 : len(seg)-1]
			if name == "" || strings.ContainsAny(name, "{}") {
				return nil, fmt.Errorf("path %q: invalid parameter %q", path, seg)
			}
			if slices.Contains(rt.params, name) {
				return nil, fmt.Errorf("path %q: parameter {%s} appears twice", path, name)
			}
			rt.params = append(rt.params, name)
			rt.segs = append(rt.segs, "")
			rt.isParam = append(rt.isParam, true)
			continue
		}
		if strings.ContainsAny(seg, "{}") {
			return nil, fmt.Errorf("path %q: a parameter must be a whole segment: %q", path, seg)
		}
		rt.segs = append(rt.segs, seg)
		rt.isParam = append(rt.isParam, false)
		rt.literals++
	}
	if len(rt.params) > maxParams {
		return nil, fmt.Errorf("path %q: more than %d parameters", path, maxParams)
	}
	return rt, nil
}

// findRoute returns a registered route whose template is equivalent to rt.
func (a *API) findRoute(rt *route) *route {
	if len(rt.params) == 0 {
		return a.static[rt.path]
	}
	for _, o := range a.dynamic {
		if slices.Equal(o.segs, rt.segs) && slices.Equal(o.isParam, rt.isParam) {
			return o
		}
	}
	return nil
}

// matchPath reports whether path matches rt, filling params with its
// parameter values.
func (rt *route) matchPath(path string, params *[maxParams]string) bool {
	if len(path) == 0 || path[0] != '/' {
		return false
	}
	rest := path[1:]
	n := 0
	for i, seg := range rt.segs {
		var cur string
		j := strings.IndexByte(rest, '/')
		last := i == len(rt.segs)-1
		if j < 0 {
			if !last {
				return false
			}
			cur, rest = rest, ""
		} else {
			if last {
				return false
			}
			cur, rest = rest[:j], rest[j+1:]
		}
		if rt.isParam[i] {
			if cur == "" {
				return false
			}
			params[n] = cur
			n++
		} else if seg != cur {
			return false
		}
	}
	return true
}

// conflicts reports whether two templates of routes match a common path
// while neither is more specific than the other, as net/http's ServeMux
// judges patterns: a literal segment is more specific than a parameter.
// It returns such a path as an example.
func conflicts(x, y *route) (string, bool) {
	if len(x.segs) != len(y.segs) {
		return "", false
	}
	xMore, yMore := false, false
	example := make([]string, len(x.segs))
	xp := 0 // x's parameters before segment i
	for i := range x.segs {
		switch {
		case !x.isParam[i] && !y.isParam[i]:
			if x.segs[i] != y.segs[i] {
				return "", false // disjoint
			}
			example[i] = x.segs[i]
		case !x.isParam[i]:
			xMore = true
			example[i] = x.segs[i]
		case !y.isParam[i]:
			yMore = true
			example[i] = y.segs[i]
		default:
			example[i] = x.params[xp]
		}
		if x.isParam[i] {
			xp++
		}
	}
	if xMore && yMore {
		return "/" + strings.Join(example, "/"), true
	}
	return "", false
}

// ServeHTTP routes the request to its endpoint as net/http's ServeMux
// would: of the routes whose template matches the path and that serve the
// method, the most specific wins (a literal segment beats a parameter; an
// exact path beats every template). A path that matches but whose routes
// do not serve the method gets 405 with Allow listing the methods of every
// matching route; a path that matches nothing gets 404. Both bodies are in
// the error model.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !a.frozen.Load() {
		a.frozen.Store(true)
	}
	var params [maxParams]string
	rt, ep := a.lookup(r.URL.Path, r.Method, &params)
	if rt != nil {
		reqstate.Fill(r.Context(), reqstate.Route, rt) // for Route, after the fact
	}
	switch {
	case ep != nil:
		ep.serve(w, r, params[:len(rt.params)])
	case rt == nil:
		a.writeError(w, r, a.errModel, errNotFound())
	default:
		a.writeError(w, r, rt.ctrl.errModel, errMethodNotAllowed(r.Method, a.allowed(r.URL.Path, rt)))
	}
}

// lookup finds the route serving method on path, as ServeHTTP chooses it:
// the exact path first, then the templates from the most specific. It
// returns that route and its endpoint, with the path parameters in params;
// or, when no matching route serves the method, the most specific matching
// route and a nil endpoint (a 405); or nil, nil (a 404).
func (a *API) lookup(path, method string, params *[maxParams]string) (*route, *endpoint) {
	first := a.static[path]
	if first != nil {
		if ep := first.methods[method]; ep != nil {
			return first, ep
		}
	}
	for _, rt := range a.dynamic {
		if !rt.matchPath(path, params) {
			continue
		}
		if first == nil {
			first = rt
		}
		if ep := rt.methods[method]; ep != nil {
			return rt, ep
		}
	}
	return first, nil
}

// allowed returns the sorted union of the methods of every route matching
// path, starting with first.
func (a *API) allowed(path string, first *route) []string {
	out := slices.Clone(first.allowed)
	var params [maxParams]string
	for _, rt := range a.dynamic {
		if rt != first && rt.matchPath(path, &params) {
			out = append(out, rt.allowed...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// addEndpoint registers ep on its controller's route.
func (a *API) addEndpoint(c *Controller, ep *endpoint) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.frozen.Load() {
		panic(fmt.Sprintf("dmr: %s %s registered after the API started serving", ep.method, c.route.path))
	}
	if _, dup := c.route.methods[ep.method]; dup {
		panic(fmt.Sprintf("dmr: %s %s is registered twice", ep.method, c.route.path))
	}
	if other, dup := a.opIDs[ep.operationID]; dup {
		panic(fmt.Sprintf("dmr: %s %s: operation ID %q is already used by %s; set Operation.OperationID to make it unique",
			ep.method, c.route.path, ep.operationID, other))
	}
	a.opIDs[ep.operationID] = ep.method + " " + c.route.path
	c.route.methods[ep.method] = ep
	c.route.allowed = append(c.route.allowed, ep.method)
	slices.Sort(c.route.allowed)
	ep.index = len(c.route.methods)
}

// errorModel is an ErrorModel ready to render.
type errorModel struct {
	model  *ErrorModel
	typ    reflect.Type
	shape  *shape.Type
	isBody bool // the default ErrorBody: fast path
}

func (a *API) compileErrorModel(m *ErrorModel) (*errorModel, error) {
	if m == nil {
		m = DefaultErrorModel()
		em := &errorModel{model: m, typ: reflect.TypeFor[ErrorBody](), isBody: true}
		s, err := a.reg.Of(em.typ)
		if err != nil {
			return nil, err
		}
		em.shape = s
		return em, nil
	}
	if m.Body == nil || m.Format == nil {
		return nil, fmt.Errorf("both Body and Format are required")
	}
	t := reflect.TypeOf(m.Body)
	s, err := a.reg.Of(t)
	if err != nil {
		return nil, err
	}
	return &errorModel{model: m, typ: t, shape: s}, nil
}

// render turns e into the error body bytes.
func (em *errorModel) render(e *apierror.Error) []byte {
	if em.isBody {
		return appendErrorBody(make([]byte, 0, 128), e.Details)
	}
	v := em.model.Format(e)
	b, err := marshalAny(v)
	if err != nil {
		return appendErrorBody(nil, errInternal().Details)
	}
	return b
}
