// Command barehttp is the baseline of scripts/bench-wrk.sh: a bare net/http
// server answering every request with the bytes the example's
// GET /api/apicontroller/ answers for test_user. With -pbkdf2 it instead
// prints how long one PBKDF2-SHA256 computation at Django 5.2's 1,000,000
// iterations takes with this module's hasher (the median of 5), so the script
// can subtract it from the login latency.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"
	"slices"
	"time"

	"github.com/dmr-go/dmr/auth/hashers"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18081", "listen address")
	pbkdf2 := flag.Bool("pbkdf2", false, "print the time of one PBKDF2 computation in milliseconds and exit")
	flag.Parse()
	if *pbkdf2 {
		h := &hashers.Hashers{}
		var times []time.Duration
		for range 5 {
			start := time.Now()
			if _, err := h.Make(context.Background(), "password"); err != nil {
				log.Fatal(err)
			}
			times = append(times, time.Since(start))
		}
		slices.Sort(times)
		fmt.Printf("%.1f\n", float64(times[len(times)/2].Microseconds())/1000)
		return
	}
	body := []byte(`"test_user"`)
	srv := &http.Server{
		Addr: *addr,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write(body)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	log.Fatal(srv.ListenAndServe())
}
