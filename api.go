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
	}
	a.controllers = append(a.controllers, c)
	return c
}

// Path returns the controller's full path template.
func (c *Controller) Path() string { return c.route.path }

// route is one path template with its endpoints.
type route struct {
	path    string
	segs    []string // literal segments (parameters: "")
	isParam []bool
	params  []string // parameter names, in order
	ctrl    *Controller
	methods map[string]*endpoint
	allowed []string // sorted methods
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

// match finds the route of path and fills params with its parameter values.
func (a *API) match(path string, params *[maxParams]string) *route {
	if rt, ok := a.static[path]; ok {
		return rt
	}
	if len(a.dynamic) == 0 || len(path) == 0 || path[0] != '/' {
		return nil
	}
outer:
	for _, rt := range a.dynamic {
		rest := path[1:]
		n := 0
		for i, seg := range rt.segs {
			var cur string
			j := strings.IndexByte(rest, '/')
			last := i == len(rt.segs)-1
			if j < 0 {
				if !last {
					continue outer
				}
				cur, rest = rest, ""
			} else {
				if last {
					continue outer
				}
				cur, rest = rest[:j], rest[j+1:]
			}
			if rt.isParam[i] {
				if cur == "" {
					continue outer
				}
				params[n] = cur
				n++
			} else if seg != cur {
				continue outer
			}
		}
		return rt
	}
	return nil
}

// ServeHTTP routes the request to its endpoint: exact path match, method
// dispatch, 404 and 405 (with Allow) in the error model.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !a.frozen.Load() {
		a.frozen.Store(true)
	}
	var params [maxParams]string
	rt := a.match(r.URL.Path, &params)
	if rt == nil {
		a.writeBare(w, r, a.errModel, errNotFound())
		return
	}
	ep := rt.methods[r.Method]
	if ep == nil {
		a.writeBare(w, r, rt.ctrl.errModel, errMethodNotAllowed(r.Method, rt.allowed))
		return
	}
	ep.serve(w, r, params[:len(rt.params)])
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

func sortedStatuses(m map[int]bool) []int {
	out := make([]int, 0, len(m))
	for s := range m {
		out = append(out, s)
	}
	slices.SortFunc(out, cmp.Compare)
	return out
}
