// Command barehttp is the baseline of scripts/bench-wrk.sh: a bare net/http
// server answering every request with the bytes the example's
// GET /api/apicontroller/ answers for test_user. With -pbkdf2 it instead
// prints how long one PBKDF2-SHA256 computation at Django 5.2's 1,000,000
// iterations takes with this module's hasher (the median of 5), so the script
// can subtract it from the login latency. -django-headers and -timeouts make
// it send the example's headers and use serve's timeouts, to measure what
// those cost in net/http itself.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/dmr-go/dmr/auth/hashers"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18081", "listen address")
	pbkdf2 := flag.Bool("pbkdf2", false, "print the time of one PBKDF2 computation in milliseconds and exit")
	djangoHeaders := flag.Bool("django-headers", false, "also send the headers the example sends (Content-Length, Vary: Cookie and Django's four security headers)")
	timeouts := flag.Bool("timeouts", false, "use serve's WriteTimeout (60 s) and IdleTimeout (120 s) as well as ReadHeaderTimeout")
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
			h := w.Header()
			h.Set("Content-Type", "application/json")
			if *djangoHeaders {
				h.Set("Content-Length", strconv.Itoa(len(body)))
				h.Set("Vary", "Cookie")
				h.Set("X-Content-Type-Options", "nosniff")
				h.Set("Referrer-Policy", "same-origin")
				h.Set("Cross-Origin-Opener-Policy", "same-origin")
				h.Set("X-Frame-Options", "DENY")
			}
			w.Write(body)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	if *timeouts {
		srv.WriteTimeout, srv.IdleTimeout = 60*time.Second, 120*time.Second
	}
	log.Fatal(srv.ListenAndServe())
}
