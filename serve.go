package dmr

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"

	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/commit"
	"github.com/dmr-go/dmr/internal/jsonx"
	"github.com/dmr-go/dmr/security"
)

// serve runs one request through the endpoint: the limiters that run before
// auth (429), Accept check (406), auth, the limiters that run after it,
// parsing (400), the handler, response validation (422), commit hooks, write.
func (ep *endpoint) serve(w http.ResponseWriter, r *http.Request, params []string) {
	orig := r
	written := false
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			ep.api.logger.ErrorContext(orig.Context(), "dmr: handler panicked",
				"method", ep.method, "path", ep.path, "operation_id", ep.operationID,
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if !written {
				ep.api.writeError(w, orig, ep.errModel, errInternal())
			}
		}
	}()
	fail := func(err error) {
		written = true
		ep.writeError(w, orig, err)
	}

	if len(ep.limitPre) > 0 {
		if err := limit(ep.limitPre, w, r); err != nil {
			fail(err)
			return
		}
	}
	if !acceptsJSON(r.Header["Accept"]) {
		fail(errNotAcceptable(r.Header["Accept"]))
		return
	}
	if len(ep.auths) > 0 {
		r2, err := ep.authenticate(r)
		if err != nil {
			fail(err)
			return
		}
		r = r2
	}
	if len(ep.limitPost) > 0 {
		if err := limit(ep.limitPost, w, r); err != nil {
			fail(err)
			return
		}
	}
	in := ep.newInput()
	if ae := ep.in.parse(r, params, in); ae != nil {
		fail(ae)
		return
	}
	out, err := ep.call(withRequest(r), in)
	if err != nil {
		fail(err)
		return
	}
	written = true
	ep.writeOutput(w, orig, out)
}

// limit runs limiters in order; the first refusal stops the request.
func limit(ls []security.Limiter, w http.ResponseWriter, r *http.Request) error {
	for _, l := range ls {
		if err := l.Limit(w, r); err != nil {
			return err
		}
	}
	return nil
}

func (ep *endpoint) authenticate(r *http.Request) (*http.Request, error) {
	for _, au := range ep.auths {
		r2, err := au.Authenticate(r)
		if err != nil {
			return nil, err
		}
		if r2 != nil {
			return r2, nil
		}
	}
	return nil, security.ErrNotAuthenticated
}

// writeError answers with err's API form, validated against the endpoint's
// declared statuses.
func (ep *endpoint) writeError(w http.ResponseWriter, r *http.Request, err error) {
	ae := ep.api.answer(r, "dmr: handler error", err,
		"method", ep.method, "path", ep.path, "operation_id", ep.operationID)
	if ep.validate && !bypassesValidation(ae.Status) && !ep.isDeclared(ae.Status) {
		ae = errUndeclaredStatus(ae.Status, ep.statuses)
	}
	if ae.Status == http.StatusUnauthorized && len(ep.challenges) > 0 && ae.Header.Get("WWW-Authenticate") == "" {
		// RFC 9110 §15.5.2: a 401 carries the challenges of the schemes
		// the endpoint accepts, one field each. The slice is the
		// endpoint's, capped: an append elsewhere copies it.
		w.Header()["Www-Authenticate"] = ep.challenges
	}
	ep.api.writeError(w, r, ep.errModel, ae)
}

// answer is apierror.Answer with logging: err's own API form (not logged);
// for an infrastructure failure (a store down, locked or past its deadline)
// a 503 with Retry-After, logged at most once per interval; else a logged
// 500.
func (a *API) answer(r *http.Request, msg string, err error, attrs ...any) *apierror.Error {
	ae, unavailable := apierror.Answer(err)
	switch {
	case unavailable:
		attrs = append(attrs, "error", err.Error())
		a.failures.Log(r.Context(), a.logger, slog.LevelError, msg+": backing service unavailable", attrs...)
	case ae == nil:
		attrs = append(attrs, "error", err.Error())
		a.logger.ErrorContext(r.Context(), msg, attrs...)
		ae = errInternal()
	}
	return ae
}

// writeError writes e with the error model em, after the commit hooks.
func (a *API) writeError(w http.ResponseWriter, r *http.Request, em *errorModel, e *apierror.Error) {
	h := w.Header()
	for k, v := range e.Header {
		h[k] = append(h[k][:0:0], v...)
	}
	a.finish(w, r, em, e.Status, em.render(e), true)
}

// finish runs the commit hooks and writes the response. When a hook fails,
// its error's API form is written instead (hooks do not run again).
func (a *API) finish(w http.ResponseWriter, r *http.Request, em *errorModel, status int, body []byte, hasBody bool) {
	h := w.Header()
	if hasBody {
		h["Content-Type"] = jsonContentType
	}
	if err := commit.Run(r.Context(), h, status); err != nil {
		ae := a.answer(r, "dmr: commit hook failed", err)
		for k, v := range ae.Header {
			h[k] = append(h[k][:0:0], v...)
		}
		status, body, hasBody = ae.Status, em.render(ae), true
		h["Content-Type"] = jsonContentType
	}
	if hasBody {
		h["Content-Length"] = []string{strconv.Itoa(len(body))}
	}
	w.WriteHeader(status)
	if hasBody && len(body) > 0 {
		_, _ = w.Write(body)
	}
}

var jsonContentType = []string{"application/json"}

var outPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// writeOutput validates and writes the handler's output.
func (ep *endpoint) writeOutput(w http.ResponseWriter, r *http.Request, out any) {
	p := ep.out
	var v reflect.Value
	if out == nil {
		v = reflect.New(p.typ).Elem()
	} else {
		v = reflect.ValueOf(out).Elem()
	}
	status := ep.status
	body := v
	// Headers are staged and applied only once the response is known to be
	// valid, so a 422 never carries the rejected response's cookies.
	var staged []stagedHeader
	var spec *respSpec
	if p.envelope {
		if p.status != nil {
			if s := int(v.FieldByIndex(p.status).Int()); s != 0 {
				status = s
			}
		}
		if p.body != nil {
			body = v.FieldByIndex(p.bodyIdx)
		}
	}
	if ep.validate {
		spec = ep.declared[status]
		if spec == nil {
			ep.writeError(w, r, errUndeclaredStatus(status, ep.statuses))
			return
		}
	} else if status < 100 || status > 599 {
		ep.writeError(w, r, fmt.Errorf("dmr: handler returned invalid status %d", status))
		return
	}
	var issues []apierror.Detail
	if p.envelope {
		for _, oh := range p.headers {
			s, ok := formatHeader(v.FieldByIndex(oh.index), oh.t)
			if !ok {
				if ep.validate && oh.required {
					issues = append(issues, apierror.Detail{Msg: fmt.Sprintf("Response has missing required {'%s'} headers", oh.name), Type: apierror.TypeValueError})
				}
				continue
			}
			staged = append(staged, stagedHeader{oh.canon, s})
		}
		for _, oc := range p.cookies {
			f := v.FieldByIndex(oc.index)
			if oc.slice {
				for i := range f.Len() {
					if c := f.Index(i).Interface().(*http.Cookie); c != nil {
						staged = ep.stageCookie(staged, c, &issues)
					}
				}
				continue
			}
			c, _ := f.Interface().(*http.Cookie)
			if c == nil {
				if ep.validate && oc.required {
					issues = append(issues, apierror.Detail{Msg: fmt.Sprintf("Response has missing required {'%s'} cookie", oc.name), Type: apierror.TypeValueError})
				}
				continue
			}
			if c.Name == "" {
				c.Name = oc.name
			}
			staged = ep.stageCookie(staged, c, &issues)
		}
	}
	if spec != nil && !spec.success {
		// An alternative status declared with its own headers.
		for _, hd := range spec.headers {
			if !hd.Optional && !hd.SetElsewhere && !hasStaged(staged, hd.Name) {
				issues = append(issues, apierror.Detail{Msg: fmt.Sprintf("Response has missing required {'%s'} headers", hd.Name), Type: apierror.TypeValueError})
			}
		}
	}
	hasBody := p.body != nil && !noBodyStatus(status)
	var buf []byte
	var bp *[]byte
	if hasBody {
		bp = outPool.Get().(*[]byte)
		defer func() {
			if cap(*bp) <= 1<<20 {
				outPool.Put(bp)
			}
		}()
		enc := jsonx.Encoder{Validate: ep.validate}
		buf = enc.Append((*bp)[:0], p.body, body, nil)
		*bp = buf
		if err := enc.Err(); err != nil && !ep.validate {
			ep.writeError(w, r, fmt.Errorf("dmr: encoding the response: %w", err))
			return
		}
		for _, is := range enc.Issues {
			issues = append(issues, apierror.Detail{Msg: is.Msg, Loc: is.Loc, Type: apierror.TypeValueError})
		}
	}
	if len(issues) > 0 {
		if ep.validate {
			ep.api.writeError(w, r, ep.errModel, &apierror.Error{Status: http.StatusUnprocessableEntity, Details: issues})
			return
		}
	}
	h := w.Header()
	for _, sh := range staged {
		h[sh.key] = append(h[sh.key], sh.value)
	}
	ep.api.finish(w, r, ep.errModel, status, buf, hasBody)
}

type stagedHeader struct{ key, value string }

func hasStaged(staged []stagedHeader, name string) bool {
	for _, s := range staged {
		if strings.EqualFold(s.key, name) {
			return true
		}
	}
	return false
}

func (ep *endpoint) stageCookie(staged []stagedHeader, c *http.Cookie, issues *[]apierror.Detail) []stagedHeader {
	if err := c.Valid(); err != nil {
		*issues = append(*issues, apierror.Detail{Msg: "Response cookie is invalid: " + err.Error(), Type: apierror.TypeValueError})
		return staged
	}
	return append(staged, stagedHeader{"Set-Cookie", c.String()})
}

// appendErrorBody writes the default error model.
func appendErrorBody(b []byte, details []apierror.Detail) []byte {
	b = append(b, `{"detail":[`...)
	for i, d := range details {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"msg":`...)
		b = jsonx.AppendString(b, d.Msg)
		if len(d.Loc) > 0 {
			b = append(b, `,"loc":[`...)
			for j, l := range d.Loc {
				if j > 0 {
					b = append(b, ',')
				}
				switch x := l.(type) {
				case string:
					b = jsonx.AppendString(b, x)
				case int:
					b = strconv.AppendInt(b, int64(x), 10)
				default:
					bs, err := json.Marshal(x)
					if err != nil {
						bs = []byte(`null`)
					}
					b = append(b, bs...)
				}
			}
			b = append(b, ']')
		}
		if d.Type != "" {
			b = append(b, `,"type":`...)
			b = jsonx.AppendString(b, d.Type)
		}
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

func marshalAny(v any) ([]byte, error) {
	return json.Marshal(v)
}
