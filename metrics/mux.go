package metrics

import (
	"fmt"
	"html"
	"net/http"
	"runtime/pprof"
	"runtime/trace"
	"sort"
	"strconv"
	"time"
)

// MuxOptions configure Mux.
type MuxOptions struct {
	// PProf adds the runtime profiles under /debug/pprof/.
	PProf bool
}

// Mux returns a ServeMux for the metrics address: GET /metrics, and with
// o.PProf the profiles:
//
//	/debug/pprof/                     the index
//	/debug/pprof/goroutine?debug=2    every goroutine's stack, as text
//	/debug/pprof/{heap,allocs,block,mutex,threadcreate,goroutine}   pprof format (?debug=1: text)
//	/debug/pprof/profile?seconds=N    a CPU profile over N seconds (default 30, at most 300)
//	/debug/pprof/trace?seconds=N      an execution trace over N seconds (default 1, at most 60)
//
// so that go tool pprof http://ADDR/debug/pprof/heap works. Block and
// mutex profiles stay empty unless the program sets
// runtime.SetBlockProfileRate / SetMutexProfileFraction.
func (m *Metrics) Mux(o MuxOptions) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	if o.PProf {
		mux.HandleFunc("GET /debug/pprof/", pprofIndex)
		mux.HandleFunc("GET /debug/pprof/profile", cpuProfile)
		mux.HandleFunc("GET /debug/pprof/trace", execTrace)
		mux.HandleFunc("GET /debug/pprof/{name}", namedProfile)
	}
	return mux
}

func pprofIndex(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/debug/pprof/" {
		http.NotFound(w, r)
		return
	}
	ps := pprof.Profiles()
	sort.Slice(ps, func(i, j int) bool { return ps[i].Name() < ps[j].Name() })
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprint(w, "<!doctype html><title>profiles</title><ul>\n")
	for _, p := range ps {
		n := html.EscapeString(p.Name())
		fmt.Fprintf(w, "<li><a href=\"%s?debug=1\">%s</a> (%d)</li>\n", n, n, p.Count())
	}
	fmt.Fprint(w, "<li><a href=\"goroutine?debug=2\">goroutine stacks</a></li>\n")
	fmt.Fprint(w, "<li><a href=\"profile?seconds=30\">profile</a> (CPU, 30 s)</li>\n")
	fmt.Fprint(w, "<li><a href=\"trace?seconds=1\">trace</a> (1 s)</li>\n</ul>\n")
}

func namedProfile(w http.ResponseWriter, r *http.Request) {
	p := pprof.Lookup(r.PathValue("name"))
	if p == nil {
		http.Error(w, "unknown profile", http.StatusNotFound)
		return
	}
	debug, _ := strconv.Atoi(r.URL.Query().Get("debug"))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if debug > 0 {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="`+p.Name()+`"`)
	}
	if err := p.WriteTo(w, debug); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

// seconds reads ?seconds=N, bounded.
func seconds(r *http.Request, def, max int) (time.Duration, bool) {
	s := r.URL.Query().Get("seconds")
	if s == "" {
		return time.Duration(def) * time.Second, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 || n > max {
		return 0, false
	}
	return time.Duration(n) * time.Second, true
}

func cpuProfile(w http.ResponseWriter, r *http.Request) {
	d, ok := seconds(r, 30, 300)
	if !ok {
		http.Error(w, "seconds: want 1 to 300", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="profile"`)
	if err := pprof.StartCPUProfile(w); err != nil {
		// Most likely another profile is running.
		w.Header().Del("Content-Disposition")
		http.Error(w, "could not start the CPU profile: "+err.Error(), http.StatusConflict)
		return
	}
	sleep(r, d)
	pprof.StopCPUProfile()
}

func execTrace(w http.ResponseWriter, r *http.Request) {
	d, ok := seconds(r, 1, 60)
	if !ok {
		http.Error(w, "seconds: want 1 to 60", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="trace"`)
	if err := trace.Start(w); err != nil {
		w.Header().Del("Content-Disposition")
		http.Error(w, "could not start the trace: "+err.Error(), http.StatusConflict)
		return
	}
	sleep(r, d)
	trace.Stop()
}

// sleep waits d or until the client goes away.
func sleep(r *http.Request, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	}
}
