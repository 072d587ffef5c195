package testclient_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/dmr-go/dmr/testclient"
)

func ExampleNew() {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			http.SetCookie(w, &http.Cookie{Name: "csrftoken", Value: "secret-from-server", Path: "/"})
			return
		}
		fmt.Fprintf(w, "token %s", r.Header.Get("X-CSRFToken"))
	})
	c := testclient.New(h, testclient.Options{})
	ctx := context.Background()
	_, _ = c.Get(ctx, "/form")
	res, _ := c.Post(ctx, "/submit", map[string]string{"a": "b"})
	fmt.Println(res.StatusCode, string(res.Body))
	// Output:
	// 200 token secret-from-server
}

func ExampleClient_LoginAs() {
	// a is an application with its session middleware and auth (see
	// manage.Env): Sessions: env.Sessions, Auth: env.Auth.
	a := newApp(nil, false)
	c := testclient.New(a.handler, testclient.Options{Sessions: a.sessions, Auth: a.auth})
	ctx := context.Background()
	if err := c.LoginAs(ctx, a.user); err != nil {
		fmt.Println(err)
		return
	}
	res, _ := c.Get(ctx, "/me")
	fmt.Println(res.StatusCode, string(res.Body))
	// Output:
	// 200 alice
}

func ExampleDial() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"id":1,"text":"hi"}`)
	}))
	defer srv.Close()
	c, err := testclient.Dial(srv.URL, testclient.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	var note struct {
		ID   int    `json:"id"`
		Text string `json:"text"`
	}
	res, err := c.PostJSON(context.Background(), "/api/notes/", map[string]string{"text": "hi"}, &note)
	fmt.Println(res.StatusCode, note.ID, note.Text, err)
	// Output:
	// 200 1 hi <nil>
}
