//go:build clientgen

package clients

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/dmr-go/dmr/interop/clients/gen/oapiclient"
	"github.com/dmr-go/dmr/interop/clients/gen/ogenclient"
	"github.com/ogen-go/ogen/ogenerrors"
)

// server returns the example server's URL (set by run.sh) and an HTTP
// client with a cookie jar of its own.
func server(t *testing.T) (string, *http.Client, http.CookieJar) {
	t.Helper()
	base := os.Getenv("DMR_CLIENTS_URL")
	if base == "" {
		t.Fatal("DMR_CLIENTS_URL is not set: run interop/clients/run.sh")
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return base, &http.Client{Jar: jar, Timeout: 30 * time.Second}, jar
}

func cookie(jar http.CookieJar, base, name string) string {
	u, _ := url.Parse(base)
	for _, c := range jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// jarSecurity gives ogen's client the session and CSRF cookies from the jar
// (the document's apiKey schemes), or, when bearer is set, that SimpleJWT
// access token (the jwt scheme). The schemes it has nothing for are skipped.
type jarSecurity struct {
	jar    http.CookieJar
	base   string
	bearer string
}

func (s jarSecurity) Jwt(context.Context, ogenclient.OperationName) (ogenclient.Jwt, error) {
	if s.bearer == "" {
		return ogenclient.Jwt{}, ogenerrors.ErrSkipClientSecurity
	}
	return ogenclient.Jwt{Token: s.bearer}, nil
}

func (jarSecurity) DrfToken(context.Context, ogenclient.OperationName) (ogenclient.DrfToken, error) {
	return ogenclient.DrfToken{}, ogenerrors.ErrSkipClientSecurity
}

func (jarSecurity) APIKey(context.Context, ogenclient.OperationName) (ogenclient.APIKey, error) {
	return ogenclient.APIKey{}, ogenerrors.ErrSkipClientSecurity
}

func (s jarSecurity) Csrf(context.Context, ogenclient.OperationName) (ogenclient.Csrf, error) {
	if s.bearer != "" {
		return ogenclient.Csrf{}, ogenerrors.ErrSkipClientSecurity
	}
	return ogenclient.Csrf{APIKey: cookie(s.jar, s.base, "csrftoken")}, nil
}

func (s jarSecurity) DjangoSession(context.Context, ogenclient.OperationName) (ogenclient.DjangoSession, error) {
	if s.bearer != "" {
		return ogenclient.DjangoSession{}, ogenerrors.ErrSkipClientSecurity
	}
	return ogenclient.DjangoSession{APIKey: cookie(s.jar, s.base, "sessionid")}, nil
}

// TestOgenFlow runs the flow through the client ogen generated.
func TestOgenFlow(t *testing.T) {
	base, hc, jar := server(t)
	ctx := context.Background()
	c, err := ogenclient.NewClient(base, jarSecurity{jar: jar, base: base}, ogenclient.WithClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	login, err := c.PostSessionsynccontrollerApiAuth(ctx, &ogenclient.DjangoSessionPayload{Username: "test_user", Password: "password"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := login.(*ogenclient.DjangoSessionResponseHeaders); !ok {
		t.Fatalf("login answered %T %+v", login, login)
	}
	if cookie(jar, base, "sessionid") == "" {
		t.Fatal("no session cookie after login")
	}
	cr, err := c.GetCsrfcontrollerApiCsrf(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tok, ok := cr.(*ogenclient.CSRFResponseHeaders)
	if !ok || tok.Response.Csrftoken == "" {
		t.Fatalf("GET /api/csrf/ answered %T %+v", cr, cr)
	}
	text := fmt.Sprintf("ogen note %d", time.Now().UnixNano())
	created, err := c.PostNotescontrollerApiNotes(ctx, &ogenclient.NewNote{Text: text},
		ogenclient.PostNotescontrollerApiNotesParams{XCSRFToken: ogenclient.NewOptString(tok.Response.Csrftoken)})
	if err != nil {
		t.Fatal(err)
	}
	note, ok := created.(*ogenclient.Note)
	if !ok || note.Text != text {
		t.Fatalf("POST /api/notes/ answered %T %+v", created, created)
	}
	// Without the token, CSRF refuses the request with 403.
	refused, err := c.PostNotescontrollerApiNotes(ctx, &ogenclient.NewNote{Text: text},
		ogenclient.PostNotescontrollerApiNotesParams{XCSRFToken: ogenclient.NewOptString("wrong")})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := refused.(*ogenclient.PostNotescontrollerApiNotesForbidden); !ok {
		t.Fatalf("POST /api/notes/ with a wrong token answered %T %+v", refused, refused)
	}
	list, err := c.GetNotescontrollerApiNotes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	notes, ok := list.(*ogenclient.GetNotescontrollerApiNotesOKApplicationJSON)
	if !ok || !hasNote(*notes, note.ID, text, func(n ogenclient.Note) (int, string) { return n.ID, n.Text }) {
		t.Fatalf("GET /api/notes/ answered %T %+v, want note %d", list, list, note.ID)
	}

	// A SimpleJWT pair from POST /api/token/; a client with no cookies and
	// the access token writes and lists notes with no CSRF header.
	obtained, err := c.PostTokenobtainpaircontrollerApiToken(ctx, &ogenclient.TokenObtainPayload{Username: "test_user", Password: "password"})
	if err != nil {
		t.Fatal(err)
	}
	pair, ok := obtained.(*ogenclient.TokenPair)
	if !ok || pair.Access == "" || pair.Refresh == "" {
		t.Fatalf("POST /api/token/ answered %T %+v", obtained, obtained)
	}
	_, bare, _ := server(t)
	jc, err := ogenclient.NewClient(base, jarSecurity{bearer: pair.Access}, ogenclient.WithClient(bare))
	if err != nil {
		t.Fatal(err)
	}
	jwtText := text + " (JWT)"
	created, err = jc.PostNotescontrollerApiNotes(ctx, &ogenclient.NewNote{Text: jwtText}, ogenclient.PostNotescontrollerApiNotesParams{})
	if err != nil {
		t.Fatal(err)
	}
	if jn, ok := created.(*ogenclient.Note); !ok || jn.Text != jwtText {
		t.Fatalf("POST /api/notes/ with the access token answered %T %+v", created, created)
	}
	list, err = jc.GetNotescontrollerApiNotes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if notes, ok := list.(*ogenclient.GetNotescontrollerApiNotesOKApplicationJSON); !ok || !hasNote(*notes, note.ID, text, func(n ogenclient.Note) (int, string) { return n.ID, n.Text }) {
		t.Fatalf("GET /api/notes/ with the access token answered %T %+v", list, list)
	}
}

func ptr[T any](v T) *T { return &v }

func hasNote[N any](list []N, id int, text string, get func(N) (int, string)) bool {
	for _, n := range list {
		if i, s := get(n); i == id && s == text {
			return true
		}
	}
	return false
}

// TestOapiCodegenFlow runs the flow through the client oapi-codegen
// generated (cookies ride in the HTTP client's jar).
func TestOapiCodegenFlow(t *testing.T) {
	base, hc, jar := server(t)
	ctx := context.Background()
	c, err := oapiclient.NewClientWithResponses(base, oapiclient.WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	login, err := c.PostSessionsynccontrollerApiAuthWithResponse(ctx, oapiclient.DjangoSessionPayload{Username: "test_user", Password: "password"})
	if err != nil {
		t.Fatal(err)
	}
	if login.JSON200 == nil || cookie(jar, base, "sessionid") == "" {
		t.Fatalf("login answered %d %s", login.StatusCode(), login.Body)
	}
	cr, err := c.GetCsrfcontrollerApiCsrfWithResponse(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cr.JSON200 == nil || cr.JSON200.Csrftoken == "" {
		t.Fatalf("GET /api/csrf/ answered %d %s", cr.StatusCode(), cr.Body)
	}
	text := fmt.Sprintf("oapi-codegen note %d", time.Now().UnixNano())
	created, err := c.PostNotescontrollerApiNotesWithResponse(ctx,
		&oapiclient.PostNotescontrollerApiNotesParams{XCSRFToken: &cr.JSON200.Csrftoken}, oapiclient.NewNote{Text: text})
	if err != nil {
		t.Fatal(err)
	}
	if created.JSON201 == nil || created.JSON201.Text != text {
		t.Fatalf("POST /api/notes/ answered %d %s", created.StatusCode(), created.Body)
	}
	refused, err := c.PostNotescontrollerApiNotesWithResponse(ctx,
		&oapiclient.PostNotescontrollerApiNotesParams{XCSRFToken: ptr("wrong")}, oapiclient.NewNote{Text: text})
	if err != nil {
		t.Fatal(err)
	}
	if refused.JSON403 == nil {
		t.Fatalf("POST /api/notes/ with a wrong token answered %d %s", refused.StatusCode(), refused.Body)
	}
	list, err := c.GetNotescontrollerApiNotesWithResponse(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if list.JSON200 == nil || !hasNote(*list.JSON200, created.JSON201.Id, text, func(n oapiclient.Note) (int, string) { return n.Id, n.Text }) {
		t.Fatalf("GET /api/notes/ answered %d %s, want note %d", list.StatusCode(), list.Body, created.JSON201.Id)
	}
}
