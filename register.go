package dmr

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/dmr-go/dmr/internal/shape"
	"github.com/dmr-go/dmr/openapi"
	"github.com/dmr-go/dmr/security"
)

// Handler is a typed endpoint function. in is never nil. Returning a nil
// output with a nil error answers with the zero value of O.
//
// ctx derives from the request's context (middleware values such as the
// session or the current user are visible) and [Request] returns the
// request from it.
type Handler[I, O any] func(ctx context.Context, in *I) (*O, error)

// Register adds an endpoint for method to controller c.
//
// I describes the request: a struct whose fields carry `path`, `query`,
// `header`, `cookie` or `body` tags (struct{} for none). O describes the
// response: any type (the body) or an envelope struct (see the package doc).
// All reflection happens here; Register panics with a descriptive message on
// any registration error (unsupported types, a body on GET, a path parameter
// without a field, a duplicate operationId, an undeclarable status…).
func Register[I, O any](c *Controller, method string, op Operation, h Handler[I, O]) {
	if h == nil {
		panic("dmr: Register: nil handler")
	}
	// The endpoint holds the handler behind any: storing and asserting a
	// pointer in an interface allocates nothing.
	call := func(ctx context.Context, in any) (any, error) {
		out, err := h(ctx, in.(*I))
		if out == nil {
			return nil, err
		}
		return out, err
	}
	newIn := func() any { return new(I) }
	ep, err := c.api.newEndpoint(c, method, op, reflect.TypeFor[I](), reflect.TypeFor[O](), newIn, call)
	if err != nil {
		panic("dmr: " + err.Error())
	}
	c.api.addEndpoint(c, ep)
}

// Get registers a GET endpoint. See [Register].
func Get[I, O any](c *Controller, op Operation, h Handler[I, O]) {
	Register(c, http.MethodGet, op, h)
}

// Post registers a POST endpoint (default status 201). See [Register].
func Post[I, O any](c *Controller, op Operation, h Handler[I, O]) {
	Register(c, http.MethodPost, op, h)
}

// Put registers a PUT endpoint. See [Register].
func Put[I, O any](c *Controller, op Operation, h Handler[I, O]) {
	Register(c, http.MethodPut, op, h)
}

// Patch registers a PATCH endpoint. See [Register].
func Patch[I, O any](c *Controller, op Operation, h Handler[I, O]) {
	Register(c, http.MethodPatch, op, h)
}

// Delete registers a DELETE endpoint. See [Register].
func Delete[I, O any](c *Controller, op Operation, h Handler[I, O]) {
	Register(c, http.MethodDelete, op, h)
}

// MethodQuery is the HTTP QUERY method (a safe request with a body),
// documented under the "query" key of an OpenAPI 3.2 path item.
const MethodQuery = "QUERY"

// endpoint is one registered method of a controller.
type endpoint struct {
	api         *API
	ctrl        *Controller
	method      string
	path        string
	operationID string
	op          Operation
	in          *inputPlan
	out         *outputPlan
	status      int
	validate    bool
	auths       []security.Auth
	limitPre    []security.Limiter // before the Accept check and the auths
	limitPost   []security.Limiter // after the auths
	errModel    *errorModel
	responses   []*respSpec // declared responses in declaration order
	statuses    []int       // their statuses, same order
	declared    map[int]*respSpec
	index       int
	newInput    func() any                              // a new *I
	call        func(context.Context, any) (any, error) // *I in, *O or nil out
	authDescs   []security.Description
	hasBodyOut  bool
	// challenges are the WWW-Authenticate values of the auths that are
	// security.Challengers, computed once; a 401 of the endpoint sends them
	// (the slice is shared by every request, capped so no append writes
	// into it).
	challenges []string
}

// respSpec is a declared response.
type respSpec struct {
	status      int
	description string
	body        *shape.Type // nil: no content unless errBody
	errBody     bool        // the endpoint's error model
	headers     []Header
	cookies     []Cookie
	success     bool // the endpoint's own success response
	envHeaders  []outHeader
	envCookies  []outCookie
}

func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for _, c := range m {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

func (a *API) newEndpoint(c *Controller, method string, op Operation, inT, outT reflect.Type,
	newIn func() any, call func(context.Context, any) (any, error)) (*endpoint, error) {
	path := c.route.path
	where := fmt.Sprintf("%s %s (controller %s)", method, path, c.cfg.Name)
	if !validMethod(method) {
		return nil, fmt.Errorf("%s: method must be an upper-case HTTP method", where)
	}
	ep := &endpoint{api: a, ctrl: c, method: method, path: path, op: op, newInput: newIn, call: call, errModel: c.errModel}
	ep.operationID = op.OperationID
	if ep.operationID == "" {
		ep.operationID = OperationID(method, c.cfg.Name, path)
	}
	unknown := a.cfg.UnknownFields
	for _, u := range []UnknownFields{c.cfg.UnknownFields, op.UnknownFields} {
		if u != InheritUnknownFields {
			unknown = u
		}
	}
	var err error
	if ep.in, err = a.planInput(inT, c.route, method, unknown); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	if ep.out, err = a.planOutput(outT); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	ep.hasBodyOut = ep.out.body != nil
	ep.validate = a.cfg.ValidateResponses.resolve(c.cfg.ValidateResponses, op.ValidateResponses)

	ep.status = op.Status
	if ep.status == 0 {
		ep.status = http.StatusOK
		if method == http.MethodPost {
			ep.status = http.StatusCreated
		}
	}
	if ep.status < 100 || ep.status > 599 {
		return nil, fmt.Errorf("%s: invalid status %d", where, ep.status)
	}
	if noBodyStatus(ep.status) && ep.hasBodyOut {
		return nil, fmt.Errorf("%s: status %d cannot have a body, but the output type %s has one", where, ep.status, outT)
	}

	if !op.NoAuth && !c.cfg.NoAuth {
		ep.auths = append(append(append([]security.Auth(nil), op.Auth...), c.cfg.Auth...), a.cfg.Auth...)
	}
	for i, au := range ep.auths {
		if au == nil {
			return nil, fmt.Errorf("%s: auth %d is nil", where, i)
		}
		ep.authDescs = append(ep.authDescs, au.Describe(security.Operation{Method: method, Path: path, OperationID: ep.operationID}))
		if ch, ok := au.(security.Challenger); ok {
			if c := ch.Challenge(); c != "" && !slices.Contains(ep.challenges, c) {
				ep.challenges = append(ep.challenges, c)
			}
		}
	}
	ep.challenges = slices.Clip(ep.challenges)

	var limitDescs []security.LimitDescription
	if !op.NoThrottle && !c.cfg.NoThrottle {
		for i, l := range slices.Concat(op.Throttle, c.cfg.Throttle, a.cfg.Throttle) {
			if l == nil {
				return nil, fmt.Errorf("%s: limiter %d is nil", where, i)
			}
			d := l.Describe(security.Operation{Method: method, Path: path, OperationID: ep.operationID})
			if d.AfterAuth {
				ep.limitPost = append(ep.limitPost, l)
			} else {
				ep.limitPre = append(ep.limitPre, l)
			}
			limitDescs = append(limitDescs, d)
		}
	}

	// Declared responses, in Django Modern Rest's order: API, controller and
	// endpoint responses, the default response, then the semantic ones.
	ep.declared = map[int]*respSpec{}
	add := func(r *respSpec, semantic bool) error {
		if _, dup := ep.declared[r.status]; dup {
			if semantic {
				return nil
			}
			return fmt.Errorf("%s: status %d is declared twice", where, r.status)
		}
		ep.declared[r.status] = r
		ep.responses = append(ep.responses, r)
		ep.statuses = append(ep.statuses, r.status)
		return nil
	}
	for _, list := range [][]Response{a.cfg.Responses, c.cfg.Responses, op.Responses} {
		for _, r := range list {
			rs, err := a.compileResponse(r)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			if err := add(rs, false); err != nil {
				return nil, err
			}
		}
	}
	desc := op.ResponseDescription
	if desc == "" {
		desc = http.StatusText(ep.status)
	}
	success := &respSpec{status: ep.status, description: desc, body: ep.out.body, headers: op.Headers, cookies: op.Cookies,
		success: true, envHeaders: ep.out.headers, envCookies: ep.out.cookies}
	if err := add(success, false); err != nil {
		return nil, err
	}
	if ep.in.hasInput {
		_ = add(&respSpec{status: http.StatusBadRequest, description: descBadRequest, errBody: true}, true)
	}
	if ep.validate {
		_ = add(&respSpec{status: http.StatusUnprocessableEntity, description: descValidation, errBody: true}, true)
	}
	_ = add(&respSpec{status: http.StatusNotAcceptable, description: descNotAcceptable, errBody: true}, true)
	for _, d := range ep.authDescs {
		for _, r := range d.Responses {
			_ = add(semanticResponse(r), true)
		}
	}
	// A limiter's status already declared (a handler's own 429, say) gains
	// the limiter's headers, optional: that status may come without them.
	for _, d := range limitDescs {
		for _, r := range d.Responses {
			old, dup := ep.declared[r.Status]
			if !dup {
				_ = add(semanticResponse(r), true)
				continue
			}
			for _, h := range r.Headers {
				if !slices.ContainsFunc(old.headers, func(o Header) bool { return strings.EqualFold(o.Name, h.Name) }) {
					old.headers = append(slices.Clip(old.headers), Header{Name: h.Name, Description: h.Description, Optional: true, SetElsewhere: true})
				}
			}
		}
	}
	if rs := ep.declared[http.StatusUnauthorized]; rs != nil && len(ep.challenges) > 0 && !rs.success {
		// Whichever auth (or declaration) contributed the 401, the answer
		// carries the endpoint's challenges.
		has := false
		for _, h := range rs.headers {
			has = has || strings.EqualFold(h.Name, "WWW-Authenticate")
		}
		if !has {
			rs.headers = append(slices.Clip(rs.headers), Header{Name: "WWW-Authenticate", Description: security.WWWAuthenticateDescription, SetElsewhere: true})
		}
	}
	for _, h := range op.Headers {
		if h.Name == "" {
			return nil, fmt.Errorf("%s: a header without a name", where)
		}
		if strings.EqualFold(h.Name, "Set-Cookie") {
			return nil, fmt.Errorf("%s: document cookies with Operation.Cookies, not a Set-Cookie header", where)
		}
	}
	for _, ck := range op.Cookies {
		if ck.Name == "" {
			return nil, fmt.Errorf("%s: a cookie without a name", where)
		}
	}
	if err := a.checkSchemes(ep); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	if err := a.checkDocument(ep); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	return ep, nil
}

// semanticResponse is the declaration of a response an auth or a limiter
// causes: the error model, headers set elsewhere.
func semanticResponse(r security.Response) *respSpec {
	rs := &respSpec{status: r.Status, description: r.Description, errBody: true}
	if rs.description == "" {
		rs.description = http.StatusText(r.Status)
	}
	for _, h := range r.Headers {
		rs.headers = append(rs.headers, Header{Name: h.Name, Description: h.Description, Optional: h.Optional, SetElsewhere: true})
	}
	return rs
}

func noBodyStatus(s int) bool {
	return s < 200 || s == http.StatusNoContent || s == http.StatusNotModified
}

func (a *API) compileResponse(r Response) (*respSpec, error) {
	if r.Status < 100 || r.Status > 599 {
		return nil, fmt.Errorf("response: invalid status %d", r.Status)
	}
	rs := &respSpec{status: r.Status, description: r.Description, headers: r.Headers, cookies: r.Cookies}
	if rs.description == "" {
		rs.description = http.StatusText(r.Status)
	}
	switch {
	case r.NoContent:
	case r.Body != nil:
		if noBodyStatus(r.Status) {
			return nil, fmt.Errorf("response %d cannot have a body", r.Status)
		}
		s, err := a.reg.Of(reflect.TypeOf(r.Body))
		if err != nil {
			return nil, fmt.Errorf("response %d: %w", r.Status, err)
		}
		rs.body = s
	case r.Status >= 400:
		rs.errBody = true
	}
	return rs, nil
}

// checkSchemes makes sure two auths never define one scheme name differently.
func (a *API) checkSchemes(ep *endpoint) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.schemes == nil {
		a.schemes = map[string][]byte{}
	}
	for _, d := range ep.authDescs {
		for name, s := range d.Schemes {
			b, err := (&openapi.Components{SecuritySchemes: map[string]*openapi.SecurityScheme{name: s}}).MarshalJSON()
			if err != nil {
				return err
			}
			if old, ok := a.schemes[name]; ok && string(old) != string(b) {
				return fmt.Errorf("security scheme %q is defined differently by two auths", name)
			}
			a.schemes[name] = b
		}
	}
	return nil
}

func (ep *endpoint) isDeclared(status int) bool {
	_, ok := ep.declared[status]
	return ok
}
