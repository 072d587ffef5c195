package dmr_test

import (
	"context"
	"encoding/json"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dmr-go/dmr"
	"github.com/dmr-go/dmr/internal/testenv"
)

// swaggerAssets returns the directory of swagger-ui-dist at the pinned
// version, installing it with npm into a cache outside the repository
// ($DMR_NPM_CACHE, default $HOME/.cache/dmr/npm) when missing.
func swaggerAssets(t *testing.T) string {
	t.Helper()
	root := os.Getenv("DMR_NPM_CACHE")
	if root == "" {
		home, err := os.UserHomeDir()
		testenv.Require(t, "a home directory for the npm cache", err == nil, "no home directory")
		root = filepath.Join(home, ".cache", "dmr", "npm")
	}
	dir := filepath.Join(root, "node_modules", "swagger-ui-dist")
	if b, err := os.ReadFile(filepath.Join(dir, "package.json")); err == nil {
		var pkg struct{ Version string }
		if json.Unmarshal(b, &pkg) == nil && pkg.Version == dmr.SwaggerUIVersion {
			return dir
		}
	}
	npm, err := exec.LookPath("npm")
	testenv.Require(t, "npm", err == nil, "npm is not on PATH")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--prefix", root,
		"swagger-ui-dist@"+dmr.SwaggerUIVersion).CombinedOutput()
	testenv.Require(t, "swagger-ui-dist@"+dmr.SwaggerUIVersion+" from npm", err == nil, string(out))
	return dir
}

func TestDocsHandler(t *testing.T) {
	h, err := dmr.DocsHandler(dmr.DocsOptions{SpecURL: "/docs/openapi.json", Title: "Pets <API>"})
	if err != nil {
		t.Fatal(err)
	}
	got := serve(h, do{"GET", "/docs/", "", nil})
	if got.status != 200 {
		t.Fatalf("%d", got.status)
	}
	for _, want := range []string{
		`<title>Pets &lt;API&gt;</title>`,
		`src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@` + dmr.SwaggerUIVersion + `/swagger-ui-bundle.js" integrity="sha384-`,
		`href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@` + dmr.SwaggerUIVersion + `/swagger-ui.css" integrity="sha384-`,
		`crossorigin="anonymous"`,
		`data-spec-url="/docs/openapi.json"`,
	} {
		if !strings.Contains(got.body, want) {
			t.Errorf("page lacks %s\n%s", want, got.body)
		}
	}
	if strings.Contains(got.body, "<script>") {
		t.Error("inline script in the page")
	}
	csp := got.header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self' https://cdn.jsdelivr.net;", "connect-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if got := serve(h, do{"GET", "/docs/docs-init.js", "", nil}); got.status != 200 || !strings.Contains(got.body, "requestInterceptor") {
		t.Errorf("init script: %d", got.status)
	}
	if got := serve(h, do{"GET", "/docs/swagger-ui-bundle.js", "", nil}); got.status != 404 {
		t.Errorf("CDN mode serves bundle: %d", got.status)
	}
	if _, err := dmr.DocsHandler(dmr.DocsOptions{SpecURL: "/x", AssetsDir: t.TempDir()}); err == nil {
		t.Error("empty assets dir accepted")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "swagger-ui-bundle.js"), []byte("tampered"), 0o644)
	os.WriteFile(filepath.Join(dir, "swagger-ui.css"), []byte("tampered"), 0o644)
	if _, err := dmr.DocsHandler(dmr.DocsOptions{SpecURL: "/x", AssetsDir: dir}); err == nil || !strings.Contains(err.Error(), "is not swagger-ui-dist@") {
		t.Errorf("tampered assets: %v", err)
	}
}

// TestDocsInterceptor runs the page's init script in Node with a stub
// Swagger UI and checks what its request interceptor does.
func TestDocsInterceptor(t *testing.T) {
	node, err := exec.LookPath("node")
	testenv.Require(t, "node", err == nil, "node is not on PATH")
	h, err := dmr.DocsHandler(dmr.DocsOptions{SpecURL: "/spec.json"})
	if err != nil {
		t.Fatal(err)
	}
	script := serve(h, do{"GET", "/docs/docs-init.js", "", nil}).body
	harness := `
global.document = {
  cookie: "other=1; csrftoken=tok%3D1; x=2",
  getElementById: () => ({dataset: {specUrl: "/spec.json", csrfCookie: "csrftoken", csrfHeader: "X-CSRFToken"}}),
};
global.window = {};
global.SwaggerUIBundle = (cfg) => cfg;
` + script + `
const ui = window.ui;
const out = {url: ui.url};
for (const m of ["GET", "post", "DELETE", "HEAD"]) {
  out[m] = ui.requestInterceptor({method: m, headers: {}});
}
console.log(JSON.stringify(out));
`
	out, err := exec.Command(node, "-e", harness).CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	var res map[string]struct {
		Credentials string
		Headers     map[string]string
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(out, &raw); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if string(raw["url"]) != `"/spec.json"` {
		t.Errorf("url %s", raw["url"])
	}
	delete(raw, "url")
	b, _ := json.Marshal(raw)
	json.Unmarshal(b, &res)
	for m, want := range map[string]string{"GET": "", "post": "tok=1", "DELETE": "tok=1", "HEAD": ""} {
		r := res[m]
		if r.Credentials != "same-origin" || r.Headers["X-CSRFToken"] != want {
			t.Errorf("%s: credentials %q, X-CSRFToken %q (want %q)", m, r.Credentials, r.Headers["X-CSRFToken"], want)
		}
	}
}

// TestDocsPageInBrowser loads the docs page, served with local assets, in
// headless Chromium and checks that Swagger UI rendered the 3.2 document.
func TestDocsPageInBrowser(t *testing.T) {
	browser := chromium(t)
	assets := swaggerAssets(t)
	api := newPetAPI(t, dmr.Config{Prefix: "/api", Title: "Pet store"})
	docs, err := dmr.DocsHandler(dmr.DocsOptions{SpecURL: "/docs/openapi.json", AssetsDir: assets})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", api)
	mux.Handle("GET /docs/openapi.json", api.OpenAPIHandler())
	mux.Handle("/docs/", docs)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--user-data-dir="+t.TempDir(), "--virtual-time-budget=20000", "--dump-dom", srv.URL+"/docs/")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	dom, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	for _, want := range []string{
		`data-path="/api/pets/{id}/"`, // the operation is listed
		"opblock-put",
		"putPetcontrollerApiPetsId",
		"Replace a pet",
		"OAS 3.2", // Swagger UI read the document as 3.2
		"Pet store",
	} {
		if !strings.Contains(string(dom), want) {
			t.Errorf("rendered page lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("DOM:\n%s\nstderr:\n%s", dom, stderr.String())
	}
}

// chromium returns the path of a Chromium binary, skipping (or failing
// under DMR_TEST_REQUIRE_ALL) when there is none.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	testenv.Require(t, "chromium", false, "install it with apt-get install -y chromium")
	return ""
}

// runChromium runs headless Chromium on url with extra flags and returns
// its standard output.
func runChromium(t *testing.T, url string, extra ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir=" + t.TempDir()}, extra...)
	cmd := exec.CommandContext(ctx, chromium(t), append(args, url)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	return out
}

// TestDocsPageFallbackInBrowser loads the docs page with its assets
// unreachable (the CDN points at a closed local port) in headless Chromium:
// instead of a blank page, the page must say what failed and name
// DMR_DOCS_ASSETS and scripts/docs-assets.sh, and a screenshot of it must
// show text (DMR_DOCS_SCREENSHOT=path keeps the PNG for a look).
func TestDocsPageFallbackInBrowser(t *testing.T) {
	chromium(t)
	api := newPetAPI(t, dmr.Config{Prefix: "/api", Title: "Pet store"})
	docs, err := dmr.DocsHandler(dmr.DocsOptions{SpecURL: "/docs/openapi.json", Title: "Pet store", CDN: "http://127.0.0.1:18599/npm"})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /docs/openapi.json", api.OpenAPIHandler())
	mux.Handle("/docs/", docs)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	dom := string(runChromium(t, srv.URL+"/docs/", "--virtual-time-budget=5000", "--dump-dom"))
	for _, want := range []string{
		`<div id="docs-fallback" style=`, // no longer hidden
		"<title>Documentation viewer not loaded</title>",
		"DMR_DOCS_ASSETS", "scripts/docs-assets.sh", `href="/docs/openapi.json"`,
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("fallback page lacks %q", want)
		}
	}
	if t.Failed() {
		t.Fatalf("DOM:\n%s", dom)
	}

	shot := filepath.Join(t.TempDir(), "fallback.png")
	if keep := os.Getenv("DMR_DOCS_SCREENSHOT"); keep != "" {
		shot = keep
	}
	runChromium(t, srv.URL+"/docs/", "--virtual-time-budget=5000", "--window-size=1000,700", "--screenshot="+shot)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// A blank page is all white; the message draws a few thousand dark
	// pixels of text.
	dark := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, g, bl, _ := img.At(x, y).RGBA(); r+g+bl < 3*0x8000 {
				dark++
			}
		}
	}
	if dark < 2000 {
		t.Errorf("the screenshot has %d dark pixels: the page looks blank", dark)
	}
}
