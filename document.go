package dmr

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/internal/shape"
	"github.com/dmr-go/dmr/openapi"
	"github.com/dmr-go/dmr/security"
)

// documents holds the built document and its pre-rendered forms.
type documents struct {
	doc    *openapi.Document
	json32 []byte

	once31 sync.Once
	json31 []byte
	err31  error
}

// Document returns the API's OpenAPI 3.2 document. It is built once, on the
// first call (which freezes the API); callers must not modify it.
func (a *API) Document() (*openapi.Document, error) {
	d, err := a.documents()
	if err != nil {
		return nil, err
	}
	return d.doc, nil
}

// DocumentJSON returns the rendered OpenAPI 3.2 document.
func (a *API) DocumentJSON() ([]byte, error) {
	d, err := a.documents()
	if err != nil {
		return nil, err
	}
	return d.json32, nil
}

// DocumentJSON31 returns the document downgraded to OpenAPI 3.1.0, for tools
// that cannot read 3.2 yet (see openapi.Downgrade31).
func (a *API) DocumentJSON31() ([]byte, error) {
	d, err := a.documents()
	if err != nil {
		return nil, err
	}
	return d.render31()
}

// render31 renders the 3.1 downgrade on first use.
func (d *documents) render31() ([]byte, error) {
	d.once31.Do(func() {
		d.json31, d.err31 = openapi.Downgrade31(d.doc).MarshalJSON()
	})
	return d.json31, d.err31
}

// OpenAPIHandler serves the 3.2 document (application/json) from
// pre-rendered bytes. Mount it wherever you like, for example
// mux.Handle("GET /docs/openapi.json", api.OpenAPIHandler()).
func (a *API) OpenAPIHandler() http.Handler { return a.docHandler(false) }

// OpenAPI31Handler serves the document downgraded to 3.1.0.
func (a *API) OpenAPI31Handler() http.Handler { return a.docHandler(true) }

func (a *API) docHandler(v31 bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, err := a.documents()
		if err != nil {
			a.logger.ErrorContext(r.Context(), "dmr: building the OpenAPI document", "error", err.Error())
			a.writeError(w, r, a.errModel, errInternal())
			return
		}
		b := d.json32
		if v31 {
			if b, err = d.render31(); err != nil {
				a.logger.ErrorContext(r.Context(), "dmr: rendering the OpenAPI 3.1 document", "error", err.Error())
				a.writeError(w, r, a.errModel, errInternal())
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = w.Write(b)
		}
	})
}

func (a *API) documents() (*documents, error) {
	a.docOnce.Do(func() {
		a.frozen.Store(true)
		a.doc, a.docErr = a.buildDocuments()
	})
	return a.doc, a.docErr
}

func (a *API) buildDocuments() (*documents, error) {
	doc, err := a.build()
	if err != nil {
		return nil, err
	}
	b32, err := doc.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return &documents{doc: doc, json32: b32}, nil
}

// detailSchema is the ErrorDetail schema, as Django Modern Rest publishes it.
func detailSchema() *openapi.Schema {
	return &openapi.Schema{
		Title:       "ErrorDetail",
		Description: "One problem: a message, where it was found and its kind.",
		Type:        "object",
		Properties: []openapi.Property{
			{Name: "msg", Schema: &openapi.Schema{Title: "Msg", Type: "string"}},
			{Name: "loc", Schema: &openapi.Schema{Title: "Loc", Type: "array", Items: &openapi.Schema{
				AnyOf: []*openapi.Schema{{Type: "integer"}, {Type: "string"}}}}},
			{Name: "type", Schema: &openapi.Schema{Title: "Type", Type: "string"}},
		},
		Required: []string{"msg"},
	}
}

func (a *API) newGenerator() *openapi.Generator {
	g := openapi.NewGenerator()
	g.NoAdditionalProperties = a.cfg.UnknownFields == RejectUnknownFields
	g.Override(reflect.TypeFor[apierror.Detail](), "ErrorDetail", detailSchema())
	return g
}

// checkDocument builds ep's operation with the API's registration-time
// generator, so that document errors (two types with one schema name…)
// surface at registration rather than when the document is first served.
func (a *API) checkDocument(ep *endpoint) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.checkGen == nil {
		a.checkGen = a.newGenerator()
	}
	_, err := ep.operation(a.checkGen, &openapi.Components{SecuritySchemes: map[string]*openapi.SecurityScheme{}})
	return err
}

func (a *API) build() (*openapi.Document, error) {
	g := a.newGenerator()
	doc := &openapi.Document{
		OpenAPI: openapi.Version,
		Info:    openapi.Info{Title: a.cfg.Title, Version: a.cfg.Version, Description: a.cfg.Description},
		Servers: a.cfg.Servers,
		Paths:   map[string]*openapi.PathItem{},
		Tags:    a.cfg.Tags,
	}
	comps := &openapi.Components{SecuritySchemes: map[string]*openapi.SecurityScheme{}}
	for _, c := range a.controllers {
		item := &openapi.PathItem{Summary: c.cfg.Summary, Description: c.cfg.Description}
		n := 0
		for _, m := range c.route.allowed {
			ep := c.route.methods[m]
			if ep.op.Hidden {
				continue
			}
			op, err := ep.operation(g, comps)
			if err != nil {
				return nil, fmt.Errorf("dmr: document: %s %s: %w", ep.method, ep.path, err)
			}
			setOperation(item, ep.method, op)
			n++
		}
		if n > 0 {
			doc.Paths[c.route.path] = item
		}
	}
	comps.Schemas = g.Components()
	doc.Components = comps
	return doc, nil
}

func setOperation(item *openapi.PathItem, method string, op *openapi.Operation) {
	switch method {
	case http.MethodGet:
		item.Get = op
	case http.MethodPut:
		item.Put = op
	case http.MethodPost:
		item.Post = op
	case http.MethodDelete:
		item.Delete = op
	case http.MethodOptions:
		item.Options = op
	case http.MethodHead:
		item.Head = op
	case http.MethodPatch:
		item.Patch = op
	case http.MethodTrace:
		item.Trace = op
	case MethodQuery:
		item.Query = op
	default:
		if item.AdditionalOperations == nil {
			item.AdditionalOperations = map[string]*openapi.Operation{}
		}
		item.AdditionalOperations[method] = op
	}
}

func (ep *endpoint) operation(g *openapi.Generator, comps *openapi.Components) (*openapi.Operation, error) {
	c := ep.ctrl
	op := &openapi.Operation{
		Summary:     ep.op.Summary,
		Description: ep.op.Description,
		OperationID: ep.operationID,
		Deprecated:  ep.op.Deprecated,
		Responses:   map[string]*openapi.Response{},
	}
	op.Tags = append(append(op.Tags, c.cfg.Tags...), ep.op.Tags...)
	for _, p := range ep.in.params {
		ps, err := g.FieldSchema(p.t, p.c, "")
		if err != nil {
			return nil, err
		}
		if !p.slice && p.ptr && len(ps.AnyOf) == 2 {
			ps = ps.AnyOf[0] // an absent parameter, not a null one
		}
		ps.Title = openapi.PyTitle(p.name)
		param := &openapi.Parameter{
			Name:        p.name,
			In:          inNames[p.in],
			Description: p.c.Description,
			Required:    p.required,
			Deprecated:  p.c.Deprecated,
			Schema:      ps,
		}
		ps.Description, ps.Deprecated = "", false
		op.Parameters = append(op.Parameters, param)
	}
	for _, d := range ep.authDescs {
		for _, p := range d.Parameters {
			if !hasParameter(op.Parameters, p) {
				op.Parameters = append(op.Parameters, ep.authParameter(d, p))
			}
		}
	}
	if ep.in.body != nil {
		bs, err := g.Schema(ep.in.body.T)
		if err != nil {
			return nil, err
		}
		op.RequestBody = &openapi.RequestBody{
			Description: ep.in.body.Deref().Description,
			Content:     map[string]*openapi.MediaType{"application/json": {Schema: bs}},
			Required:    ep.in.bodyReq,
		}
	}
	errRef, err := g.Schema(ep.errModel.typ)
	if err != nil {
		return nil, err
	}
	for _, rs := range ep.responses {
		r := &openapi.Response{Description: rs.description}
		switch {
		case rs.errBody:
			r.Content = map[string]*openapi.MediaType{"application/json": {Schema: errRef}}
		case rs.body != nil:
			s, err := g.Schema(rs.body.T)
			if err != nil {
				return nil, err
			}
			r.Content = map[string]*openapi.MediaType{"application/json": {Schema: s}}
		}
		headers := map[string]*openapi.Header{}
		for _, h := range rs.envHeaders {
			hs, err := g.FieldSchema(h.t, nil, "")
			if err != nil {
				return nil, err
			}
			if h.t.Kind == shape.Pointer && len(hs.AnyOf) == 2 {
				hs = hs.AnyOf[0]
			}
			headers[h.name] = &openapi.Header{Description: h.desc, Required: h.required, Schema: hs}
		}
		for _, h := range rs.headers {
			headers[h.Name] = &openapi.Header{Description: h.Description, Required: !h.Optional, Schema: &openapi.Schema{Type: "string"}}
		}
		var cookies []docCookie
		for _, ck := range rs.envCookies {
			if ck.name != "" {
				cookies = append(cookies, docCookie{ck.name, ck.desc, ck.required})
			}
		}
		for _, ck := range rs.cookies {
			cookies = append(cookies, docCookie{ck.Name, ck.Description, !ck.Optional})
		}
		ep.api.documentCookies(headers, cookies)
		if len(headers) > 0 {
			r.Headers = headers
		}
		op.Responses[strconv.Itoa(rs.status)] = r
	}
	for _, d := range ep.authDescs {
		for name, s := range d.Schemes {
			comps.SecuritySchemes[name] = s
		}
		if d.Requirement != nil {
			op.Security = append(op.Security, d.Requirement)
		}
	}
	return op, nil
}

// authParameter is parameter p of auth description d as the operation
// documents it. The auths are alternatives (the security list is an OR), so
// a parameter one of them requires is required by the operation only when
// every alternative requires it: the CSRF header of a session-authenticated
// POST is optional on an operation that also takes a bearer token (a client
// using the token never sends it), and its description says which scheme
// needs it.
func (ep *endpoint) authParameter(d security.Description, p *openapi.Parameter) *openapi.Parameter {
	if !p.Required {
		return p
	}
	var needs []string
	for _, o := range ep.authDescs {
		if o.Requirement == nil {
			continue
		}
		required := slices.ContainsFunc(o.Parameters, func(q *openapi.Parameter) bool { return q.Required && sameParameter(q, p) })
		if !required {
			cp := *p
			cp.Required = false
			for name := range d.Requirement {
				needs = append(needs, name)
			}
			slices.Sort(needs)
			cp.Description = strings.TrimSpace(cp.Description + " Required with " + strings.Join(needs, " + ") + "; not sent with the operation's other security schemes.")
			return &cp
		}
	}
	return p
}

// hasParameter reports whether ps has a parameter with p's name and location.
func hasParameter(ps []*openapi.Parameter, p *openapi.Parameter) bool {
	return slices.ContainsFunc(ps, func(q *openapi.Parameter) bool { return sameParameter(q, p) })
}

// sameParameter reports whether q and p have one name and location (header
// names compare without case).
func sameParameter(q, p *openapi.Parameter) bool {
	return q.In == p.In && (q.Name == p.Name || p.In == "header" && strings.EqualFold(q.Name, p.Name))
}

// docCookie is a cookie a response sets, as the document shows it.
type docCookie struct {
	name, desc string
	required   bool
}

// documentCookies adds the response headers that document cookies: one
// "Set-Cookie" header naming them all, or with Config.NamedSetCookieKeys one
// "Set-Cookie: <name>" key per cookie as Django Modern Rest writes them.
func (a *API) documentCookies(headers map[string]*openapi.Header, cookies []docCookie) {
	if len(cookies) == 0 {
		return
	}
	if a.cfg.NamedSetCookieKeys {
		for _, ck := range cookies {
			headers["Set-Cookie: "+ck.name] = &openapi.Header{
				Description: ck.desc,
				Required:    ck.required,
				Schema:      &openapi.Schema{Type: "string", Example: ck.name + "=123"},
			}
		}
		return
	}
	var b strings.Builder
	b.WriteString("Sets the cookies:")
	required := false
	for i, ck := range cookies {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(" " + ck.name)
		if !ck.required {
			b.WriteString(" (optional)")
		}
		if ck.desc != "" {
			b.WriteString(" (" + strings.TrimSuffix(ck.desc, ".") + ")")
		}
		required = required || ck.required
	}
	b.WriteByte('.')
	headers["Set-Cookie"] = &openapi.Header{
		Description: b.String(),
		Required:    required,
		Schema:      &openapi.Schema{Type: "string", Example: cookies[0].name + "=123"},
	}
}
