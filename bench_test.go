package dmr_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/apierror"
)

// The benchmarked endpoint: PUT /api/items/{id}/?page=&sort= with an
// X-API-Token header and a ~1 KiB JSON body, answering with a JSON body.

type Item struct {
	Name        string            `json:"name" minLength:"1" maxLength:"100"`
	Description string            `json:"description" maxLength:"2000"`
	Price       float64           `json:"price" minimum:"0"`
	Quantity    int               `json:"quantity" minimum:"0" maximum:"1000"`
	Tags        []string          `json:"tags" maxItems:"10" maxLength:"20"`
	Attributes  map[string]string `json:"attributes"`
	Active      bool              `json:"active"`
}

type ItemOut struct {
	ID   int    `json:"id"`
	Page int    `json:"page"`
	Sort string `json:"sort"`
	Item Item   `json:"item"`
}

type itemIn struct {
	ID    int    `path:"id" minimum:"1"`
	Page  int    `query:"page" default:"1" minimum:"1"`
	Sort  string `query:"sort" default:"name" enum:"name,price"`
	Token string `header:"X-API-Token" minLength:"8"`
	Body  Item   `body:""`
}

func benchPayload() []byte {
	it := Item{
		Name:        "Ergonomic keyboard",
		Description: strings.Repeat("A split keyboard with tented halves and hot-swappable switches. ", 11),
		Price:       129.99, Quantity: 12,
		Tags:       []string{"keyboard", "ergonomic", "split", "mechanical"},
		Attributes: map[string]string{"layout": "ISO", "switch": "brown", "colour": "grey"},
		Active:     true,
	}
	b, _ := json.Marshal(it)
	return b
}

func newBenchAPI() http.Handler {
	api := dmr.New(dmr.Config{Prefix: "/api"})
	c := api.Controller(dmr.ControllerConfig{Name: "ItemController", Path: "/items/{id}/"})
	dmr.Put(c, dmr.Operation{}, func(ctx context.Context, in *itemIn) (*ItemOut, error) {
		return &ItemOut{ID: in.ID, Page: in.Page, Sort: in.Sort, Item: in.Body}, nil
	})
	return api
}

// newHandWritten is the same endpoint on net/http with equivalent checks:
// Accept, path/query/header parsing, Content-Type, body limit, the same
// constraints collected into the same error body, output checks, JSON out.
func newHandWritten() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /api/items/{id}/", func(w http.ResponseWriter, r *http.Request) {
		if a := r.Header.Get("Accept"); a != "" && !strings.Contains(a, "application/json") && !strings.Contains(a, "*/*") {
			writeJSONError(w, 406, []apierror.Detail{{Msg: "Not acceptable", Type: "value_error"}})
			return
		}
		var errs []apierror.Detail
		add := func(msg string, loc ...any) {
			errs = append(errs, apierror.Detail{Msg: msg, Loc: loc, Type: "value_error"})
		}
		id, err := strconv.Atoi(r.PathValue("id"))
		if err != nil {
			add("Input should be a valid integer, unable to parse string as an integer", "parsed_path", "id")
		} else if id < 1 {
			add("Input should be greater than or equal to 1", "parsed_path", "id")
		}
		q, _ := url.ParseQuery(r.URL.RawQuery)
		page := 1
		if v := q.Get("page"); v != "" {
			if page, err = strconv.Atoi(v); err != nil {
				add("Input should be a valid integer, unable to parse string as an integer", "parsed_query", "page")
			} else if page < 1 {
				add("Input should be greater than or equal to 1", "parsed_query", "page")
			}
		}
		sort := "name"
		if v := q.Get("sort"); v != "" {
			sort = v
			if v != "name" && v != "price" {
				add("Input should be 'name' or 'price'", "parsed_query", "sort")
			}
		}
		token := r.Header.Get("X-API-Token")
		if token == "" {
			add("Field required", "parsed_headers", "X-API-Token")
		} else if utf8.RuneCountInString(token) < 8 {
			add("String should have at least 8 characters", "parsed_headers", "X-API-Token")
		}
		if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
			add("Cannot parse request body with content type '" + ct + "', expected=['application/json']")
		}
		var it Item
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&it); err != nil {
			add("Invalid JSON: "+err.Error(), "parsed_body")
		} else {
			if n := utf8.RuneCountInString(it.Name); n < 1 || n > 100 {
				add("String should have at most 100 characters", "parsed_body", "name")
			}
			if utf8.RuneCountInString(it.Description) > 2000 {
				add("String should have at most 2000 characters", "parsed_body", "description")
			}
			if it.Price < 0 {
				add("Input should be greater than or equal to 0", "parsed_body", "price")
			}
			if it.Quantity < 0 || it.Quantity > 1000 {
				add("Input should be less than or equal to 1000", "parsed_body", "quantity")
			}
			if len(it.Tags) > 10 {
				add("List should have at most 10 items after validation", "parsed_body", "tags")
			}
			for i, tag := range it.Tags {
				if utf8.RuneCountInString(tag) > 20 {
					add("String should have at most 20 characters", "parsed_body", "tags", i)
				}
			}
		}
		if len(errs) > 0 {
			writeJSONError(w, 400, errs)
			return
		}
		out := ItemOut{ID: id, Page: page, Sort: sort, Item: it}
		// The same checks on the way out.
		if n := utf8.RuneCountInString(out.Item.Name); n < 1 || n > 100 || out.Item.Quantity > 1000 || len(out.Item.Tags) > 10 {
			writeJSONError(w, 422, []apierror.Detail{{Msg: "invalid response", Type: "value_error"}})
			return
		}
		b, err := json.Marshal(out)
		if err != nil {
			writeJSONError(w, 500, []apierror.Detail{{Msg: "Internal server error", Type: "internal_error"}})
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(200)
		_, _ = w.Write(b)
	})
	return mux
}

func writeJSONError(w http.ResponseWriter, status int, d []apierror.Detail) {
	b, _ := json.Marshal(dmr.ErrorBody{Detail: d})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// resettable is a request body that can be replayed without allocating.
type resettable struct{ r bytes.Reader }

func (b *resettable) Read(p []byte) (int, error) { return b.r.Read(p) }
func (b *resettable) Close() error               { return nil }

// sink is a ResponseWriter that keeps only the status and the body size.
type sink struct {
	h      http.Header
	status int
	n      int
}

func (s *sink) Header() http.Header { return s.h }
func (s *sink) WriteHeader(c int)   { s.status = c }
func (s *sink) Write(p []byte) (int, error) {
	s.n += len(p)
	return len(p), nil
}

func benchEndpoint(b *testing.B, h http.Handler) {
	payload := benchPayload()
	body := &resettable{}
	req, _ := http.NewRequest("PUT", "http://example.com/api/items/42/?page=3&sort=price", body)
	req.Header.Set("X-API-Token", "token-1234567")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.ContentLength = int64(len(payload))
	w := &sink{h: http.Header{}}
	run := func() {
		body.r.Reset(payload)
		clear(w.h)
		w.status, w.n = 0, 0
		h.ServeHTTP(w, req)
	}
	run()
	if w.status != 200 {
		b.Fatalf("status %d", w.status)
	}
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	// CPU time of this goroutine's thread: wall time on a shared machine
	// includes waiting for a CPU.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := threadCPU()
	for b.Loop() {
		run()
	}
	if cpu := threadCPU() - start; cpu > 0 {
		b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
	}
}

func BenchmarkEndpointDMR(b *testing.B)         { benchEndpoint(b, newBenchAPI()) }
func BenchmarkEndpointHandWritten(b *testing.B) { benchEndpoint(b, newHandWritten()) }

// TestBenchEndpointsAgree makes sure the two benchmarked handlers answer the
// same body, so the comparison is between equivalent work.
func TestBenchEndpointsAgree(t *testing.T) {
	var outs [2]string
	for i, h := range []http.Handler{newBenchAPI(), newHandWritten()} {
		req, _ := http.NewRequest("PUT", "http://example.com/api/items/42/?page=3&sort=price", bytes.NewReader(benchPayload()))
		req.Header.Set("X-API-Token", "token-1234567")
		req.Header.Set("Content-Type", "application/json")
		w := &sink{h: http.Header{}}
		var buf bytes.Buffer
		h.ServeHTTP(writerTo{w, &buf}, req)
		if w.status != 200 {
			t.Fatalf("handler %d: %d %s", i, w.status, buf.String())
		}
		var v any
		if err := json.Unmarshal(buf.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		c, _ := json.Marshal(v)
		outs[i] = string(c)
	}
	if outs[0] != outs[1] {
		t.Errorf("bodies differ:\n%s\n%s", outs[0], outs[1])
	}
}

type writerTo struct {
	*sink
	buf *bytes.Buffer
}

func (w writerTo) Write(p []byte) (int, error) { return w.buf.Write(p) }

// newMany registers 2n endpoints (n controllers, GET and PUT each).
func newMany(n int) *dmr.API {
	api := dmr.New(dmr.Config{Prefix: "/api"})
	for i := range n {
		c := api.Controller(dmr.ControllerConfig{Name: fmt.Sprintf("Item%dController", i), Path: fmt.Sprintf("/items%d/{id}/", i)})
		dmr.Put(c, dmr.Operation{Summary: "Replace"}, func(ctx context.Context, in *itemIn) (*ItemOut, error) { return nil, nil })
		dmr.Get(c, dmr.Operation{Summary: "Get"}, func(ctx context.Context, in *struct {
			ID int `path:"id"`
		}) (*ItemOut, error) {
			return nil, nil
		})
	}
	return api
}

func BenchmarkDocument1000Endpoints(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		api := newMany(500)
		b.StartTimer()
		doc, err := api.DocumentJSON()
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		var m struct{ Paths map[string]any }
		if err := json.Unmarshal(doc, &m); err != nil || len(m.Paths) != 500 {
			b.Fatalf("%d paths (%v), want 500", len(m.Paths), err)
		}
		b.StartTimer()
	}
}

// TestDocumentManyEndpoints builds and validates the document of 100
// endpoints (BenchmarkDocument1000Endpoints builds the one of 1,000: the
// validator takes most of a minute over it).
func TestDocumentManyEndpoints(t *testing.T) {
	doc := mustDocs(t, newMany(50))
	if n := len(doc["paths"].(map[string]any)); n != 50 {
		t.Errorf("%d paths, want 50", n)
	}
}
