package sessions_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/dmr-go/dmr/sessions"
)

func ExampleMiddleware() {
	mw, err := sessions.NewMiddleware(sessions.Options{Store: &sessions.MemoryStore{}})
	if err != nil {
		panic(err)
	}
	app := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := sessions.FromContext(r.Context())
		n, _ := s.Get("visits")
		count, _ := n.(int64)
		s.Set("visits", count+1)
		fmt.Fprintf(w, "visit %d\n", count+1)
	}))

	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	fmt.Print(rec.Body.String())
	cookie := strings.SplitN(rec.Header().Get("Set-Cookie"), ";", 2)[0]

	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Cookie", cookie)
	rec = httptest.NewRecorder()
	app.ServeHTTP(rec, req)
	fmt.Print(rec.Body.String())
	fmt.Println(rec.Header().Get("Vary"))
	// Output:
	// visit 1
	// visit 2
	// Cookie
}
