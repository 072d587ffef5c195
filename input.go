package dmr

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/textproto"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/bodytimeout"
	"github.com/dmr-go/dmr/internal/jsonx"
	"github.com/dmr-go/dmr/internal/shape"
)

// Locations of request components in error details, as Django Modern Rest
// names them.
const (
	locPath    = "parsed_path"
	locQuery   = "parsed_query"
	locHeaders = "parsed_headers"
	locCookies = "parsed_cookies"
	locBody    = "parsed_body"
)

type paramIn uint8

const (
	inPath paramIn = iota
	inQuery
	inHeader
	inCookie
)

var inNames = [...]string{"path", "query", "header", "cookie"}
var inLocs = [...]string{locPath, locQuery, locHeaders, locCookies}

// param is one input field read from the path, query, headers or cookies.
type param struct {
	in       paramIn
	name     string // as on the wire (and in loc)
	canon    string // canonical header key
	index    []int
	offset   uintptr // offset of the field when index has one element
	t        *shape.Type
	item     *shape.Type // scalar type values are parsed into
	slice    bool
	ptr      bool
	required bool
	c        *shape.Constraints
	pathIdx  int
}

// inputPlan is the precomputed reading of an input type.
type inputPlan struct {
	params     []param
	hasQuery   bool
	body       *shape.Type
	bodyIndex  []int
	bodyReq    bool
	bodyPtr    bool
	unknown    jsonx.Unknown
	limit      int64
	hasInput   bool
	pathParams int
}

func (a *API) planInput(t reflect.Type, rt *route, method string, unknown UnknownFields) (*inputPlan, error) {
	p := &inputPlan{limit: a.cfg.BodyLimit}
	if unknown == RejectUnknownFields {
		p.unknown = jsonx.RejectUnknown
	}
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("input type %s must be a struct (use struct{} for no input)", t)
	}
	seenPath := map[string]bool{}
	for i := range t.NumField() {
		sf := t.Field(i)
		var (
			in   paramIn
			name string
			ok   bool
		)
		if _, isBody := sf.Tag.Lookup("body"); isBody {
			if p.body != nil {
				return nil, fmt.Errorf("input %s: two body fields", t)
			}
			switch method {
			case http.MethodGet, http.MethodHead, http.MethodDelete, http.MethodOptions, http.MethodTrace, http.MethodConnect:
				return nil, fmt.Errorf("input %s: a %s request cannot have a body (field %s)", t, method, sf.Name)
			}
			s, err := a.reg.Of(sf.Type)
			if err != nil {
				return nil, fmt.Errorf("input %s: body: %w", t, err)
			}
			p.body, p.bodyIndex = s, sf.Index
			p.bodyPtr = s.Kind == shape.Pointer
			p.bodyReq = !p.bodyPtr
			if v, ok := sf.Tag.Lookup("required"); ok {
				p.bodyReq = v == "true"
			}
			p.hasInput = true
			continue
		}
		for k, tag := range []string{"path", "query", "header", "cookie"} {
			if v, has := sf.Tag.Lookup(tag); has {
				if ok {
					return nil, fmt.Errorf("input %s: field %s has two location tags", t, sf.Name)
				}
				in, name, ok = paramIn(k), v, true
			}
		}
		if !ok {
			if !sf.IsExported() {
				continue
			}
			return nil, fmt.Errorf("input %s: field %s needs a path, query, header, cookie or body tag", t, sf.Name)
		}
		if !sf.IsExported() {
			return nil, fmt.Errorf("input %s: field %s must be exported", t, sf.Name)
		}
		if name == "" {
			name = sf.Name
		}
		s, err := a.reg.Of(sf.Type)
		if err != nil {
			return nil, fmt.Errorf("input %s: %s: %w", t, sf.Name, err)
		}
		pr := param{in: in, name: name, index: sf.Index, offset: sf.Offset, t: s}
		item := s
		if item.Kind == shape.Pointer {
			pr.ptr = true
			item = item.Elem
		}
		if item.Kind == shape.Slice {
			if in == inPath {
				return nil, fmt.Errorf("input %s: path parameter %s cannot be a slice", t, name)
			}
			pr.slice = true
			item = item.Elem
		}
		switch item.Kind {
		case shape.Bool, shape.Int, shape.Uint, shape.Float, shape.String, shape.Text:
		default:
			return nil, fmt.Errorf("input %s: %s parameter %s has unsupported type %s", t, inNames[in], name, sf.Type)
		}
		pr.item = item
		c, err := shape.ParseConstraints(sf.Tag, s)
		if err != nil {
			return nil, fmt.Errorf("input %s: %s: %w", t, sf.Name, err)
		}
		pr.c = c
		pr.required = !pr.ptr && !pr.slice && !c.HasDefault
		if c.Required != nil {
			pr.required = *c.Required
		}
		switch in {
		case inPath:
			pr.pathIdx = -1
			for j, n := range rt.params {
				if n == name {
					pr.pathIdx = j
				}
			}
			if pr.pathIdx < 0 {
				return nil, fmt.Errorf("input %s: path parameter %q is not in the path %s", t, name, rt.path)
			}
			pr.required = true
			seenPath[name] = true
		case inHeader:
			pr.canon = textproto.CanonicalMIMEHeaderKey(name)
		case inQuery:
			p.hasQuery = true
		}
		p.params = append(p.params, pr)
		p.hasInput = true
	}
	for _, n := range rt.params {
		if !seenPath[n] {
			return nil, fmt.Errorf("input %s: the path %s has parameter {%s} but no field has the tag path:%q", t, rt.path, n, n)
		}
	}
	return p, nil
}

// issues collects request validation problems.
type issues struct {
	list []apierror.Detail
}

func (is *issues) add(msg string, loc ...any) {
	is.list = append(is.list, apierror.Detail{Msg: msg, Loc: loc, Type: apierror.TypeValueError})
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// parse reads every component of r into in and validates them together. It
// returns nil or an error to answer with (400 with every problem, or 413).
func (p *inputPlan) parse(r *http.Request, params []string, in any) *apierror.Error {
	if !p.hasInput {
		return nil
	}
	v := reflect.ValueOf(in).Elem()
	var is issues
	if len(p.params) > 0 {
		p.parseParams(r, params, v, &is)
	}
	if p.body != nil {
		if ae := p.parseBody(r, v, &is); ae != nil {
			return ae
		}
	}
	if len(is.list) > 0 {
		return &apierror.Error{Status: http.StatusBadRequest, Details: is.list}
	}
	return nil
}

func (p *inputPlan) parseParams(r *http.Request, params []string, v reflect.Value, is *issues) {
	var query []queryPair
	if p.hasQuery && r.URL.RawQuery != "" {
		query = splitQuery(r.URL.RawQuery)
	}
	for i := range p.params {
		pr := &p.params[i]
		var (
			one    string
			has    bool
			values []string
		)
		switch pr.in {
		case inPath:
			one, has = params[pr.pathIdx], true
		case inQuery:
			for _, q := range query {
				if q.key == pr.name {
					if !has {
						one, has = q.value, true
					}
					if pr.slice {
						values = append(values, q.value)
					} else {
						break
					}
				}
			}
		case inHeader:
			hv := r.Header[pr.canon]
			if len(hv) > 0 {
				one, has = hv[0], true
				values = hv
			}
		case inCookie:
			if c, err := r.Cookie(pr.name); err == nil {
				one, has = c.Value, true
				values = []string{one}
			}
		}
		if !has && pr.c.HasDefault {
			one, has = pr.c.Default, true
			values = []string{one}
		}
		if !has {
			if pr.required {
				is.add(shapeMsgRequired, inLocs[pr.in], pr.name)
			}
			continue
		}
		f := fieldByIndex(v, pr.index)
		if pr.slice {
			if pr.ptr {
				f.Set(reflect.New(pr.t.Elem.T))
				f = f.Elem()
			}
			if m := pr.c.CheckLen(len(values)); m != "" {
				is.add(m, inLocs[pr.in], pr.name)
				continue
			}
			sl := reflect.MakeSlice(f.Type(), len(values), len(values))
			for j, s := range values {
				if m := setScalar(sl.Index(j), pr.item, s, pr.c); m != "" {
					is.add(m, inLocs[pr.in], pr.name, j)
				}
			}
			f.Set(sl)
			continue
		}
		if pr.ptr {
			f.Set(reflect.New(pr.item.T))
			f = f.Elem()
		}
		if m := setScalar(f, pr.item, one, pr.c); m != "" {
			is.add(m, inLocs[pr.in], pr.name)
		}
	}
}

const shapeMsgRequired = shape.MsgRequired

func fieldByIndex(v reflect.Value, index []int) reflect.Value {
	if len(index) == 1 {
		return v.Field(index[0])
	}
	return v.FieldByIndex(index)
}

type queryPair struct{ key, value string }

// splitQuery splits a raw query into unescaped pairs. Malformed escapes keep
// the raw text, as browsers send it.
func splitQuery(raw string) []queryPair {
	out := make([]queryPair, 0, 4)
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		if part == "" {
			continue
		}
		k, val, _ := strings.Cut(part, "=")
		out = append(out, queryPair{unescapeQuery(k), unescapeQuery(val)})
	}
	return out
}

func unescapeQuery(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	u, err := url.QueryUnescape(s)
	if err != nil {
		return s
	}
	return u
}

// setScalar parses s into f (of scalar type t) and validates it.
func setScalar(f reflect.Value, t *shape.Type, s string, c *shape.Constraints) string {
	switch t.Kind {
	case shape.String:
		f.SetString(s)
		return c.CheckString(s)
	case shape.Text:
		if m := c.CheckString(s); m != "" {
			return m
		}
		if err := f.Addr().Interface().(interface{ UnmarshalText([]byte) error }).UnmarshalText([]byte(s)); err != nil {
			return textMsg(t, err)
		}
		return ""
	case shape.Bool:
		b, ok := parseBool(s)
		if !ok {
			return shape.MsgBoolParse
		}
		f.SetBool(b)
		return c.CheckBool(b)
	case shape.Int:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return rangeMsg(t)
			}
			return shape.MsgIntParse
		}
		if f.OverflowInt(n) {
			return rangeMsg(t)
		}
		f.SetInt(n)
		return c.CheckNumber(float64(n))
	case shape.Uint:
		n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
		if err != nil {
			if strings.HasPrefix(strings.TrimSpace(s), "-") {
				if _, err2 := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err2 == nil {
					return "Input should be greater than or equal to 0"
				}
			}
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return rangeMsg(t)
			}
			return shape.MsgIntParse
		}
		if f.OverflowUint(n) {
			return rangeMsg(t)
		}
		f.SetUint(n)
		return c.CheckNumber(float64(n))
	case shape.Float:
		x, err := strconv.ParseFloat(strings.TrimSpace(s), t.Bits)
		if err != nil || x != x {
			return shape.MsgFloatParse
		}
		f.SetFloat(x)
		return c.CheckNumber(x)
	}
	return shape.MsgString
}

func textMsg(t *shape.Type, err error) string {
	if t.Format == "date-time" {
		return "Input should be a valid datetime"
	}
	return "Value error, " + err.Error()
}

func rangeMsg(t *shape.Type) string {
	lo, hi := jsonx.IntRange(t)
	if t.Kind == shape.Uint {
		return fmt.Sprintf("Input should be less than or equal to %d", uint64(hi))
	}
	return fmt.Sprintf("Input should be between %d and %d", lo, int64(hi))
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "t", "yes", "y", "on":
		return true, true
	case "0", "false", "f", "no", "n", "off":
		return false, true
	}
	return false, false
}

func (p *inputPlan) parseBody(r *http.Request, v reflect.Value, is *issues) *apierror.Error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !isJSONContentType(ct) {
		mt := ct
		if m, _, err := mime.ParseMediaType(ct); err == nil {
			mt = m
		}
		is.list = append(is.list, apierror.Detail{
			Msg:  fmt.Sprintf("Cannot parse request body with content type '%s', expected=['application/json']", mt),
			Type: apierror.TypeValueError,
		})
		return nil
	}
	if p.limit > 0 && r.ContentLength > p.limit {
		return errTooLarge(p.limit)
	}
	bp := bufPool.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= 1<<20 {
			*bp = (*bp)[:0]
			bufPool.Put(bp)
		}
	}()
	data, tooLarge, err := readBody(r.Body, (*bp)[:0], p.limit)
	*bp = data
	if tooLarge {
		return errTooLarge(p.limit)
	}
	if err != nil {
		if bodytimeout.IsTimeout(err) {
			return errBodyTimeout()
		}
		is.list = append(is.list, apierror.Detail{Msg: "Cannot read the request body", Loc: []any{locBody}, Type: apierror.TypeValueError})
		return nil
	}
	if len(bytes.TrimSpace(data)) == 0 {
		if p.bodyReq {
			is.add(shape.MsgRequired, locBody)
		}
		return nil
	}
	f := fieldByIndex(v, p.bodyIndex)
	for _, d := range jsonx.Decode(data, p.body, f, p.unknown) {
		loc := make([]any, 0, 1+len(d.Loc))
		loc = append(loc, locBody)
		loc = append(loc, d.Loc...)
		is.list = append(is.list, apierror.Detail{Msg: d.Msg, Loc: loc, Type: apierror.TypeValueError})
	}
	return nil
}

// readBody reads at most limit bytes (no limit when limit <= 0).
func readBody(body io.Reader, buf []byte, limit int64) (data []byte, tooLarge bool, err error) {
	if body == nil || body == http.NoBody {
		return buf, false, nil
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if limit > 0 && int64(len(buf)) > limit {
			return buf, true, nil
		}
		if err == io.EOF {
			return buf, false, nil
		}
		if err != nil {
			return buf, false, err
		}
	}
}

// isJSONContentType accepts application/json and the +json suffix types,
// with any parameters.
func isJSONContentType(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.TrimSpace(mt)
	return strings.EqualFold(mt, "application/json") ||
		(len(mt) > 17 && strings.EqualFold(mt[:12], "application/") && strings.HasSuffix(strings.ToLower(mt), "+json"))
}
