package auth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/dmr-go/dmr/auth"
	"github.com/dmr-go/dmr/auth/hashers"
	"github.com/dmr-go/dmr/sessions"
)

const secretKey = "django-insecure-example-key"

func Example() {
	users := &auth.MemoryUsers{}
	a, err := auth.New(auth.Options{
		SecretKey: []byte(secretKey),
		Users:     users,
		// Use hashers.DjangoDefaults(hashers.Django52) (the zero value) in
		// production; a cheap hasher keeps the example fast.
		Hashers: &hashers.Hashers{List: []hashers.Hasher{&hashers.PBKDF2{Iterations: 1000}}},
	})
	if err != nil {
		panic(err)
	}
	if _, err := a.CreateUser(context.Background(), auth.NewUser{Username: "alice", Password: "s3cret"}); err != nil {
		panic(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		u, err := a.Authenticate(r.Context(), auth.Credentials{
			"username": r.FormValue("username"), "password": r.FormValue("password"),
		})
		if err != nil || u == nil {
			http.Error(w, "invalid credentials", http.StatusUnauthorized)
			return
		}
		if err := a.Login(r.Context(), u); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "welcome", u.Username)
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, auth.UserFromContext(r.Context())) // never nil
	})

	sm, _ := sessions.NewMiddleware(sessions.Options{Store: &sessions.MemoryStore{}})
	h := sm.Handler(a.Middleware(mux))

	req := httptest.NewRequest("POST", "/login", nil)
	req.PostForm = map[string][]string{"username": {"alice"}, "password": {"s3cret"}}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	fmt.Print(w.Body.String())

	me := httptest.NewRequest("GET", "/me", nil)
	for _, c := range w.Result().Cookies() {
		me.AddCookie(c)
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, me)
	fmt.Print(w.Body.String())

	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/me", nil))
	fmt.Print(w.Body.String())
	// Output:
	// welcome alice
	// alice
	// AnonymousUser
}

func ExampleAuth_SessionAuthHash() {
	a, _ := auth.New(auth.Options{SecretKey: []byte("django-insecure-test-secret-key-0123456789abcdefghijklmnopqrstuv"), Users: &auth.MemoryUsers{}})
	fmt.Println(a.SessionAuthHash("pbkdf2_sha256$600000$seasalt$abc="))
	// Output: 96b8b771fa611b472c044a35bf0e96d35f932046cb025f1736085488001ece60
}

func ExampleUserFromContext() {
	// Outside the middleware (or when nobody is logged in) the current user
	// is anonymous, never nil.
	u := auth.UserFromContext(context.Background())
	fmt.Println(u.IsAuthenticated(), u)
	// Output: false AnonymousUser
}

// A cache hands out clones: changing one changes neither the cached user
// nor another caller's.
func ExampleUser_Clone() {
	cached := &auth.User{ID: "1", Username: "ann", Extra: map[string]any{"team": "red"}}
	mine := cached.Clone()
	mine.Username = "bob"
	mine.Extra["team"] = "blue"
	fmt.Println(cached.Username, cached.Extra["team"], mine.Username, mine.Extra["team"])
	// Output: ann red bob blue
}
