package bodytimeout_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/bodytimeout"
)

const timeout = 300 * time.Millisecond

// bound is how long a test waits for the server before failing: the
// deadline under test plus generous slack for a loaded machine.
const bound = 10 * time.Second

type note struct {
	Text string `json:"text"`
}

// newServer serves a dmr API (POST /api/notes/ echoing the body) and two
// plain handlers: /plain reads its body and reports what the read returned;
// /slow reads its body, then works for 3× the timeout and reports whether
// its context was cancelled meanwhile.
func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	api := dmr.New(dmr.Config{Prefix: "/api"})
	c := api.Controller(dmr.ControllerConfig{Name: "Notes", Path: "/notes/"})
	dmr.Post(c, dmr.Operation{}, func(ctx context.Context, in *struct {
		Body note `body:""`
	}) (*note, error) {
		return &in.Body, nil
	})
	mux := http.NewServeMux()
	mux.Handle("/api/", api)
	mux.HandleFunc("/plain", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		fmt.Fprintf(w, "read %d bytes, timeout=%v", len(b), bodytimeout.IsTimeout(err))
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		time.Sleep(3 * timeout)
		fmt.Fprintf(w, "read %d bytes, ctx=%v", len(b), r.Context().Err())
	})
	srv := httptest.NewServer(bodytimeout.Handler(mux, bodytimeout.Options{Timeout: timeout}))
	t.Cleanup(srv.Close)
	return srv
}

func dial(t *testing.T, srv *httptest.Server) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(bound))
	return conn, bufio.NewReader(conn)
}

func readResponse(t *testing.T, br *bufio.Reader) (int, string) {
	t.Helper()
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no response within %v: %v", bound, err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

const want408 = `{"detail":[{"msg":"Request body was not received in time","type":"value_error"}]}`

func TestStalledBody(t *testing.T) {
	srv := newServer(t)
	for _, tt := range []struct{ name, head, part string }{
		{"content-length", "Content-Length: 100\r\n", `{"text":"he`},
		{"chunked", "Transfer-Encoding: chunked\r\n", "b\r\n{\"text\":\"he\r\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			conn, br := dial(t, srv)
			fmt.Fprintf(conn, "POST /api/notes/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n%s\r\n%s", tt.head, tt.part)
			// Then nothing more: the server must answer by itself.
			status, body := readResponse(t, br)
			if status != http.StatusRequestTimeout || body != want408 {
				t.Errorf("got %d %s, want 408 %s", status, body, want408)
			}
			// And close the connection.
			if _, err := br.ReadByte(); err != io.EOF {
				t.Errorf("connection still open after 408: %v", err)
			}
		})
	}
}

func TestDribbledBody(t *testing.T) {
	srv := newServer(t)
	for _, path := range []string{"/api/notes/", "/plain"} {
		t.Run(path, func(t *testing.T) {
			conn, br := dial(t, srv)
			// 1,000 bytes at one per 20 ms would take 20 s.
			fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n", path)
			stop := make(chan struct{})
			defer close(stop)
			go func() {
				tick := time.NewTicker(20 * time.Millisecond)
				defer tick.Stop()
				for {
					select {
					case <-stop:
						return
					case <-tick.C:
						if _, err := conn.Write([]byte(" ")); err != nil {
							return
						}
					}
				}
			}()
			status, body := readResponse(t, br)
			switch path {
			case "/plain":
				if status != 200 || !strings.HasSuffix(body, "timeout=true") || strings.HasPrefix(body, "read 1000 ") {
					t.Errorf("got %d %s, want a read cut off by the deadline", status, body)
				}
			default:
				if status != http.StatusRequestTimeout || body != want408 {
					t.Errorf("got %d %s, want 408", status, body)
				}
			}
		})
	}
}

func TestPromptBodiesAndSlowHandlers(t *testing.T) {
	srv := newServer(t)
	conn, br := dial(t, srv)
	post := func(path, body string) {
		fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", path, len(body), body)
	}
	post("/api/notes/", `{"text":"hello"}`)
	if status, body := readResponse(t, br); status != 201 || body != `{"text":"hello"}` {
		t.Fatalf("prompt body: %d %s", status, body)
	}
	// The deadline of the first request must not outlive it on a kept-alive
	// connection, and a handler still working after the timeout (its body
	// read) keeps its context.
	time.Sleep(2 * timeout)
	post("/slow", `{"text":"x"}`)
	if status, body := readResponse(t, br); status != 200 || body != "read 12 bytes, ctx=<nil>" {
		t.Fatalf("slow handler after its body: %d %s", status, body)
	}
	// No body: no deadline at all.
	fmt.Fprintf(conn, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
	if status, body := readResponse(t, br); status != 200 || body != "read 0 bytes, ctx=<nil>" {
		t.Fatalf("slow handler without a body: %d %s", status, body)
	}
}

func TestDisabledAndUnsupported(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %v", b, err)
	})
	// A recorder supports no deadlines: the handler forwards untouched.
	for _, o := range []bodytimeout.Options{{}, {Timeout: -1}} {
		rec := httptest.NewRecorder()
		bodytimeout.Handler(h, o).ServeHTTP(rec, httptest.NewRequest("POST", "/", strings.NewReader("abc")))
		if rec.Body.String() != "abc <nil>" {
			t.Errorf("%+v: %q", o, rec.Body.String())
		}
	}
	if bodytimeout.IsTimeout(io.ErrUnexpectedEOF) || bodytimeout.IsTimeout(nil) {
		t.Error("IsTimeout accepts a non-timeout")
	}
}

func ExampleHandler() {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /upload", func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); bodytimeout.IsTimeout(err) {
			http.Error(w, "body too slow", http.StatusRequestTimeout)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	srv := httptest.NewServer(bodytimeout.Handler(mux, bodytimeout.Options{Timeout: 5 * time.Second}))
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/upload", "application/octet-stream", strings.NewReader("data"))
	if err != nil {
		panic(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Print(resp.StatusCode, " ", string(b))
	// Output: 200 ok
}
