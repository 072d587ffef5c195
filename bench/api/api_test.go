package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/dmr-go/dmr"
)

// The endpoint of the root package's benchmark: PUT /api/items/{id}/ with
// two query parameters, a header and a ~1 KiB JSON body, answering JSON.

type Item struct {
	Name        string            `json:"name" minLength:"1" maxLength:"100"`
	Description string            `json:"description" maxLength:"2000"`
	Price       float64           `json:"price" minimum:"0"`
	Quantity    int               `json:"quantity" minimum:"0" maximum:"1000"`
	Tags        []string          `json:"tags" maxItems:"10"`
	Attributes  map[string]string `json:"attributes"`
	Active      bool              `json:"active"`
}

type ItemOut struct {
	ID   int    `json:"id"`
	Page int    `json:"page"`
	Sort string `json:"sort"`
	Item Item   `json:"item"`
}

func payload() []byte {
	b, _ := json.Marshal(Item{
		Name:        "Ergonomic keyboard",
		Description: strings.Repeat("A split keyboard with tented halves and hot-swappable switches. ", 11),
		Price:       129.99, Quantity: 12,
		Tags:       []string{"keyboard", "ergonomic", "split", "mechanical"},
		Attributes: map[string]string{"layout": "ISO", "switch": "brown", "colour": "grey"},
		Active:     true,
	})
	return b
}

func newDMR() http.Handler {
	api := dmr.New(dmr.Config{Prefix: "/api"})
	c := api.Controller(dmr.ControllerConfig{Name: "ItemController", Path: "/items/{id}/"})
	dmr.Put(c, dmr.Operation{}, func(ctx context.Context, in *struct {
		ID    int    `path:"id" minimum:"1"`
		Page  int    `query:"page" default:"1" minimum:"1"`
		Sort  string `query:"sort" default:"name" enum:"name,price"`
		Token string `header:"X-API-Token" minLength:"8"`
		Body  Item   `body:""`
	}) (*ItemOut, error) {
		return &ItemOut{ID: in.ID, Page: in.Page, Sort: in.Sort, Item: in.Body}, nil
	})
	return api
}

type humaIn struct {
	ID    int    `path:"id" minimum:"1"`
	Page  int    `query:"page" default:"1" minimum:"1"`
	Sort  string `query:"sort" default:"name" enum:"name,price"`
	Token string `header:"X-API-Token" minLength:"8" required:"true"`
	Body  Item
}

type humaOut struct {
	Body ItemOut
}

func newHuma() http.Handler {
	mux := http.NewServeMux()
	cfg := huma.DefaultConfig("bench", "1.0.0")
	cfg.OpenAPIPath, cfg.DocsPath, cfg.SchemasPath = "", "", ""
	cfg.CreateHooks = nil // no $schema link injection
	api := humago.New(mux, cfg)
	huma.Register(api, huma.Operation{Method: http.MethodPut, Path: "/api/items/{id}/"},
		func(ctx context.Context, in *humaIn) (*humaOut, error) {
			return &humaOut{Body: ItemOut{ID: in.ID, Page: in.Page, Sort: in.Sort, Item: in.Body}}, nil
		})
	return mux
}

type body struct{ r bytes.Reader }

func (b *body) Read(p []byte) (int, error) { return b.r.Read(p) }
func (b *body) Close() error               { return nil }

type sink struct {
	h      http.Header
	status int
	out    bytes.Buffer
}

func (s *sink) Header() http.Header { return s.h }
func (s *sink) WriteHeader(c int)   { s.status = c }
func (s *sink) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = 200
	}
	return s.out.Write(p)
}

func threadCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func run(tb testing.TB, h http.Handler) (func(), *sink) {
	p := payload()
	b := &body{}
	req, _ := http.NewRequest("PUT", "http://example.com/api/items/42/?page=3&sort=price", b)
	req.Header.Set("X-API-Token", "token-1234567")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.ContentLength = int64(len(p))
	w := &sink{h: http.Header{}}
	return func() {
		b.r.Reset(p)
		clear(w.h)
		w.status = 0
		w.out.Reset()
		h.ServeHTTP(w, req)
	}, w
}

func TestSameAnswer(t *testing.T) {
	var got [2]any
	for i, h := range []http.Handler{newDMR(), newHuma()} {
		do, w := run(t, h)
		do()
		if w.status != 200 {
			t.Fatalf("handler %d: %d %s", i, w.status, w.out.String())
		}
		if err := json.Unmarshal(w.out.Bytes(), &got[i]); err != nil {
			t.Fatal(err)
		}
	}
	a, _ := json.Marshal(got[0])
	b, _ := json.Marshal(got[1])
	if !bytes.Equal(a, b) {
		t.Errorf("answers differ:\n%s\n%s", a, b)
	}
}

func bench(b *testing.B, h http.Handler) {
	do, w := run(b, h)
	do()
	if w.status != 200 {
		b.Fatalf("%d %s", w.status, w.out.String())
	}
	b.ReportAllocs()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := threadCPU()
	for b.Loop() {
		do()
	}
	b.ReportMetric(float64(threadCPU()-start)/float64(b.N), "cpu-ns/op")
}

func BenchmarkDMR(b *testing.B)  { bench(b, newDMR()) }
func BenchmarkHuma(b *testing.B) { bench(b, newHuma()) }
