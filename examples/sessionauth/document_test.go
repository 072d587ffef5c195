package main

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/dmr-go/dmr/apierror"
	"github.com/dmr-go/dmr/manage"
)

// exampleDocument builds the example's document as `openapi` prints it.
func exampleDocument(t *testing.T, cfg manage.Config) (doc32, doc31 []byte) {
	t.Helper()
	env, err := manage.OpenOffline(cfg, manage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	_, api, err := App().Handler(env)
	if err != nil {
		t.Fatal(err)
	}
	if doc32, err = api.DocumentJSON(); err != nil {
		t.Fatal(err)
	}
	if doc31, err = api.DocumentJSON31(); err != nil {
		t.Fatal(err)
	}
	return doc32, doc31
}

func seedDocument(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, b)
}

func clone(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("%s differs from the seed\n--- got\n%s\n--- want\n%s", what, g, w)
	}
}

// TestDocumentMatchesSeed compares the example's document with the seed's two
// documents in meaning. The deliberate differences, and only these, are
// applied to the seed before comparing:
//
//   - the login controller is mounted at /api/auth/, so its operationId is
//     postSessionsynccontrollerApiAuth;
//   - safe methods (GET) carry neither the csrf requirement nor the 403
//     (Django never checks CSRF on them; Django Modern Rest ≥ 0.16 agrees);
//   - the login also documents its 403 for a foreign Origin (login CSRF),
//     which Django Modern Rest does not refuse, and its 503 with Retry-After
//     when the bounded password-hashing pool is saturated;
//   - the login's cookies are documented under one Set-Cookie header;
//     when the bounded password-hashing pool is saturated, and its 429 with
//     Retry-After from the failed-login throttle;
//   - the ErrorModel and ErrorDetail schemas have their own descriptions (the
//     seed's point to Sphinx references of the Python documentation);
//   - session-protected operations document the 503 with Retry-After of a
//     session or user store that is down or too slow, and the login's 503
//     covers that too;
//   - GET /api/apicontroller/ and /api/notes/ also take DRF tokens, SimpleJWT
//     access tokens and API keys: three more schemes, three more
//     requirements after the seed's, and the 401 lists the WWW-Authenticate
//     challenges (Token, Bearer).
func TestDocumentMatchesSeed(t *testing.T) {
	doc32, doc31 := exampleDocument(t, manage.Config{})
	validateDocument(t, doc32)
	validateDocument(t, doc31)
	got := decode(t, doc32)
	protected := seedDocument(t, "openapi-session-protected-endpoint.json")
	login := seedDocument(t, "openapi-login-controller.json")

	sameJSON(t, "openapi", got["openapi"], protected["openapi"])
	sameJSON(t, "info", got["info"], protected["info"])
	for _, name := range []string{"ErrorModel", "ErrorDetail"} {
		g := withoutDescription(t, dig(got, "components", "schemas", name))
		sameJSON(t, name, g, withoutDescription(t, dig(protected, "components", "schemas", name)))
		sameJSON(t, name, g, withoutDescription(t, dig(login, "components", "schemas", name)))
	}
	for _, name := range []string{"DjangoSessionPayload", "DjangoSessionResponse"} {
		sameJSON(t, name, dig(got, "components", "schemas", name), dig(login, "components", "schemas", name))
	}
	schemes := clone(t, dig(got, "components", "securitySchemes")).(map[string]any)
	for name, typ := range map[string]string{"drf_token": "apiKey", "jwt": "http", "api_key": "apiKey"} {
		if dig(schemes, name, "type") != typ {
			t.Errorf("securitySchemes[%s] = %v, want type %s", name, schemes[name], typ)
		}
		delete(schemes, name)
	}
	sameJSON(t, "securitySchemes", schemes, dig(protected, "components", "securitySchemes"))

	// The protected GET: without the csrf requirement and the 403, with the
	// clients' schemes.
	wantGet := clone(t, dig(protected, "paths", "/api/apicontroller/", "get")).(map[string]any)
	wantGet["security"] = append([]any{map[string]any{"django_session": []any{}}}, clientRequirements()...)
	delete(wantGet["responses"].(map[string]any), "403")
	withChallenges(wantGet["responses"].(map[string]any)["401"].(map[string]any))
	wantGet["responses"].(map[string]any)["503"] = unavailable503(apierror.UnavailableDescription)
	sameJSON(t, "GET /api/apicontroller/", dig(got, "paths", "/api/apicontroller/", "get"), wantGet)

	// The login: at /api/auth/, plus the documented foreign-Origin 403.
	wantLogin := clone(t, dig(login, "paths", "/api/sessionsynccontroller/", "post")).(map[string]any)
	wantLogin["operationId"] = "postSessionsynccontrollerApiAuth"
	wantLogin["responses"].(map[string]any)["403"] = map[string]any{
		"description": "Raised when the Origin header names a foreign origin (login CSRF)",
		"content":     map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/ErrorModel"}}},
	}
	wantLogin["responses"].(map[string]any)["503"] = unavailable503("Raised when password hashing is saturated or a backing store (database, cache) is unavailable; retry after the given delay")
	// The login's cookies: one Set-Cookie header naming both, since the seed's
	// "Set-Cookie: <name>" keys are not header names (ogen refuses them,
	// Prism flags them); dmr.Config.NamedSetCookieKeys writes the seed's form.
	setCookie := dig(got, "paths", "/api/auth/", "post", "responses", "200", "headers", "Set-Cookie")
	if desc, _ := dig(setCookie, "description").(string); !strings.Contains(desc, "sessionid") ||
		!strings.Contains(desc, "csrftoken (CSRF protection)") || dig(setCookie, "required") != true {
		t.Errorf("login Set-Cookie header %v: want both cookies named, required", setCookie)
	}
	wantLogin["responses"].(map[string]any)["200"].(map[string]any)["headers"] = map[string]any{"Set-Cookie": setCookie}
	wantLogin["responses"].(map[string]any)["429"] = map[string]any{
		"description": "Raised after too many failed logins from this client (for this username or any); retry after the given delay",
		"headers": map[string]any{"Retry-After": map[string]any{
			"description": "Seconds to wait before retrying.", "required": true, "schema": map[string]any{"type": "string"},
		}},
		"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/ErrorModel"}}},
	}
	sameJSON(t, "POST /api/auth/", dig(got, "paths", "/api/auth/", "post"), wantLogin)

	// Unsafe session-protected operations keep the seed's full requirement
	// and its 401/403 descriptions (notes: plus the clients' schemes).
	for _, path := range []string{"/api/notes/", "/api/auth/logout/"} {
		op := dig(got, "paths", path, "post")
		wantSecurity := clone(t, dig(protected, "paths", "/api/apicontroller/", "get", "security")).([]any)
		want401 := clone(t, dig(protected, "paths", "/api/apicontroller/", "get", "responses", "401")).(map[string]any)
		if path == "/api/notes/" {
			wantSecurity = append(wantSecurity, clientRequirements()...)
			withChallenges(want401)
		}
		sameJSON(t, path+" security", dig(op, "security"), wantSecurity)
		sameJSON(t, path+" 401", dig(op, "responses", "401"), want401)
		sameJSON(t, path+" 403", dig(op, "responses", "403"), dig(protected, "paths", "/api/apicontroller/", "get", "responses", "403"))
	}
	if id := dig(got, "paths", "/api/apicontroller/", "get", "operationId"); id != "getApicontrollerApiApicontroller" {
		t.Errorf("operationId %v", id)
	}
	// The staff check documents its own 403.
	if d := dig(got, "paths", "/api/staff/", "get", "responses", "403", "description"); d != "Raised when permission check failed (requires staff status)" {
		t.Errorf("GET /api/staff/ 403: %v", d)
	}
	for _, code := range []string{"400", "406", "422"} {
		sameJSON(t, "notes POST "+code, dig(got, "paths", "/api/notes/", "post", "responses", code), dig(login, "paths", "/api/sessionsynccontroller/", "post", "responses", code))
	}
}

// TestDocumentCSRFUseSessions: with CSRF_USE_SESSIONS there is no csrftoken
// cookie, so no csrf scheme, no csrf requirement and no Set-Cookie: csrftoken.
func TestDocumentCSRFUseSessions(t *testing.T) {
	doc32, _ := exampleDocument(t, manage.Config{CSRFUseSessions: true})
	validateDocument(t, doc32)
	got := decode(t, doc32)
	schemes, _ := dig(got, "components", "securitySchemes").(map[string]any)
	if _, ok := schemes["csrf"]; ok || schemes["django_session"] == nil {
		t.Errorf("securitySchemes %v: want django_session only", schemes)
	}
	sameJSON(t, "notes POST security", dig(got, "paths", "/api/notes/", "post", "security"),
		append([]any{map[string]any{"django_session": []any{}}}, clientRequirements()...))
	desc, _ := dig(got, "paths", "/api/auth/", "post", "responses", "200", "headers", "Set-Cookie", "description").(string)
	if strings.Contains(desc, "csrftoken") || !strings.Contains(desc, "sessionid") {
		t.Errorf("login Set-Cookie header %q: want sessionid only", desc)
	}
	// CSRF is still checked (in the session), so the 403 stays on unsafe methods.
	if d := dig(got, "paths", "/api/notes/", "post", "responses", "403", "description"); d != "Raised when CSRF check failed" {
		t.Errorf("notes POST 403: %v", d)
	}
}

// clientRequirements are the requirements the example adds after the
// session's on the endpoints that also take tokens and API keys.
func clientRequirements() []any {
	return []any{
		map[string]any{"drf_token": []any{}}, map[string]any{"jwt": []any{}}, map[string]any{"api_key": []any{}},
	}
}

// withChallenges adds the WWW-Authenticate header to a documented 401.
func withChallenges(r map[string]any) {
	r["headers"] = map[string]any{"WWW-Authenticate": map[string]any{
		"description": "The authentication challenges of the accepted schemes (RFC 9110), one field per scheme.",
		"required":    true, "schema": map[string]any{"type": "string"},
	}}
}

// unavailable503 is the documented 503 with Retry-After.
func unavailable503(description string) map[string]any {
	return map[string]any{
		"description": description,
		"headers": map[string]any{"Retry-After": map[string]any{
			"description": "Seconds to wait before retrying.", "required": true, "schema": map[string]any{"type": "string"},
		}},
		"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/ErrorModel"}}},
	}
}

func withoutDescription(t *testing.T, v any) any {
	m, ok := clone(t, v).(map[string]any)
	if !ok {
		t.Fatalf("not a schema object: %v", v)
	}
	delete(m, "description")
	return m
}
