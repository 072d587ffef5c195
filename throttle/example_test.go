package throttle_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/security"
	"github.com/dmr-go/dmr/throttle"
)

// DRF's DEFAULT_THROTTLE_RATES {"anon": "2/min", "user": "1000/day"} for
// every endpoint of an API.
func Example() {
	anonRate, _ := throttle.ParseRate("2/min")
	userRate, _ := throttle.ParseRate("1000/day")
	anon, err := throttle.Anon(anonRate, throttle.Options{})
	if err != nil {
		panic(err)
	}
	user, err := throttle.User(userRate, throttle.Options{})
	if err != nil {
		panic(err)
	}
	api := dmr.New(dmr.Config{Prefix: "/api", Throttle: []security.Limiter{anon, user}})
	c := api.Controller(dmr.ControllerConfig{Name: "Hello", Path: "/hello/"})
	dmr.Get(c, dmr.Operation{}, func(context.Context, *struct{}) (*string, error) {
		s := "hello"
		return &s, nil
	})
	for range 3 {
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/hello/", nil))
		fmt.Println(rec.Code, rec.Header().Values("RateLimit"), rec.Header().Get("Retry-After"), rec.Body.String())
	}
	// Output:
	// 200 ["anon";r=1;t=60 "user";r=999;t=86400]  "hello"
	// 200 ["anon";r=0;t=60 "user";r=998;t=86400]  "hello"
	// 429 ["anon";r=0;t=60] 60 {"detail":[{"msg":"Too many requests","type":"ratelimit"}]}
}

func ExampleParseRate() {
	for _, s := range []string{"100/min", "5/second", "1000/d", "10/week", "ten/min"} {
		r, err := throttle.ParseRate(s)
		fmt.Println(r.Limit, r.Period, err)
	}
	// Output:
	// 100 1m0s <nil>
	// 5 1s <nil>
	// 1000 24h0m0s <nil>
	// 0 0s rate "10/week": the period must start with s, m, h or d (sec, min, hour, day)
	// 0 0s rate "ten/min": invalid number "ten"
}

func ExampleNew() {
	// Per client address, before the auths: 3 requests at once, then one
	// every 20 seconds.
	l, err := throttle.New(throttle.Options{
		Name: "burst", Rate: throttle.Rate{Limit: 3, Period: time.Minute}, Algorithm: throttle.TokenBucket,
	})
	if err != nil {
		panic(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/api/x/", nil)
	for range 4 {
		w := httptest.NewRecorder()
		err := l.Limit(w, r)
		fmt.Println(w.Header().Get("RateLimit"), err != nil)
	}
	// Output:
	// "burst";r=2;t=20 false
	// "burst";r=1;t=40 false
	// "burst";r=0;t=60 false
	// "burst";r=0;t=60 true
}
