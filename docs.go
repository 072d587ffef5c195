package dmr

import (
	"bytes"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
)

// The Swagger UI version the docs page pins, with the Subresource Integrity
// hashes of its files (computed from the npm package swagger-ui-dist, which
// the CDNs serve byte for byte). Swagger UI renders OpenAPI 3.2 since 5.32.
const (
	SwaggerUIVersion = "5.35.0"
	swaggerBundleSRI = "sha384-gjRm0bEPMeTmMh5jT2cHccIwCUZSTd8YC+j0d0sXw0MdGEfScduGpSyF3ZSSLkX9"
	swaggerCSSSRI    = "sha384-WlYgdmXYOOBWL5apwjDEZwN+U3HmXSSu5R6V5aGxEcf7z+KuRNwBhoxKVN1i3D5I"
	// DefaultCDN serves npm packages verbatim.
	DefaultCDN = "https://cdn.jsdelivr.net/npm"
)

// ErrDocsAssets is wrapped by the error [DocsHandler] returns when
// DocsOptions.AssetsDir does not hold the pinned Swagger UI files.
var ErrDocsAssets = errors.New("dmr: docs assets")

// DocsOptions configures the docs page.
type DocsOptions struct {
	// SpecURL is the URL of the OpenAPI document, as the browser sees it
	// (for example "/docs/openapi.json"). Required.
	SpecURL string
	// Title of the page; defaults to "API documentation".
	Title string
	// AssetsDir, when set, serves Swagger UI from a local directory instead
	// of the CDN, for offline and air-gapped use: the directory of the npm
	// package swagger-ui-dist@SwaggerUIVersion (for example
	// node_modules/swagger-ui-dist after `npm install
	// swagger-ui-dist@5.35.0`). The files are checked against the pinned
	// hashes when the handler is created.
	AssetsDir string
	// CDN is the base URL of the npm CDN; defaults to DefaultCDN. The files
	// are loaded from <CDN>/swagger-ui-dist@<version>/ with integrity hashes.
	CDN string
	// CSRFCookieName and CSRFHeaderName tell the page where to read the CSRF
	// token and how to send it on unsafe requests (POST, PUT, PATCH,
	// DELETE…). They default to Django's "csrftoken" and "X-CSRFToken".
	CSRFCookieName string
	CSRFHeaderName string
}

// DocsHandler returns a handler serving a Swagger UI page for the document
// at opts.SpecURL. Mount it on a path ending in a slash, for example
// mux.Handle("/docs/", h): the page is served at that path and its script
// (and, with AssetsDir, the Swagger UI files) next to it.
//
// The page carries a strict Content-Security-Policy: scripts and styles only
// from the page's origin and the pinned CDN files (with Subresource
// Integrity), no inline scripts (inline styles are allowed: Swagger UI needs
// them), requests only to the page's origin. Swagger
// UI sends cookies with same-origin requests, so a session obtained by a
// login endpoint is used by "Try it out", and adds the CSRF header read from
// the CSRF cookie to unsafe requests.
func DocsHandler(opts DocsOptions) (http.Handler, error) {
	if opts.SpecURL == "" {
		return nil, fmt.Errorf("dmr: DocsOptions.SpecURL is required")
	}
	if opts.Title == "" {
		opts.Title = "API documentation"
	}
	if opts.CDN == "" {
		opts.CDN = DefaultCDN
	}
	if opts.CSRFCookieName == "" {
		opts.CSRFCookieName = "csrftoken"
	}
	if opts.CSRFHeaderName == "" {
		opts.CSRFHeaderName = "X-CSRFToken"
	}
	h := &docsHandler{opts: opts, assets: map[string][]byte{}}
	base := strings.TrimSuffix(opts.CDN, "/") + "/swagger-ui-dist@" + SwaggerUIVersion + "/"
	h.bundleURL, h.cssURL = base+"swagger-ui-bundle.js", base+"swagger-ui.css"
	h.extraSrc = " " + originOf(opts.CDN)
	if opts.AssetsDir != "" {
		fsys := os.DirFS(opts.AssetsDir)
		for name, sri := range map[string]string{"swagger-ui-bundle.js": swaggerBundleSRI, "swagger-ui.css": swaggerCSSSRI} {
			b, err := fs.ReadFile(fsys, name)
			if err != nil {
				return nil, fmt.Errorf("%w: DocsOptions.AssetsDir %s is not the swagger-ui-dist@%s directory: %w", ErrDocsAssets, opts.AssetsDir, SwaggerUIVersion, err)
			}
			if got := integrity(b); got != sri {
				return nil, fmt.Errorf("%w: %s in %s is not swagger-ui-dist@%s (integrity %s)", ErrDocsAssets, name, opts.AssetsDir, SwaggerUIVersion, got)
			}
			h.assets[name] = b
		}
		h.bundleURL, h.cssURL = "swagger-ui-bundle.js", "swagger-ui.css"
		h.extraSrc = ""
	}
	var page bytes.Buffer
	if err := docsPage.Execute(&page, map[string]string{
		"Title": opts.Title, "Bundle": h.bundleURL, "BundleSRI": swaggerBundleSRI,
		"CSS": h.cssURL, "CSSSRI": swaggerCSSSRI, "Spec": opts.SpecURL,
		"CSRFCookie": opts.CSRFCookieName, "CSRFHeader": opts.CSRFHeaderName, "Version": SwaggerUIVersion,
	}); err != nil {
		return nil, err
	}
	h.page = page.Bytes()
	// Styles need 'unsafe-inline': Swagger UI sets inline style attributes
	// and the page renders broken without them. Scripts stay strict.
	h.csp = "default-src 'none'; script-src 'self'" + h.extraSrc + "; style-src 'self' 'unsafe-inline'" + h.extraSrc +
		"; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	return h, nil
}

func originOf(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		if j := strings.IndexByte(u[i+3:], '/'); j >= 0 {
			return u[:i+3+j]
		}
	}
	return u
}

func integrity(b []byte) string {
	sum := sha512.Sum384(b)
	return "sha384-" + base64.StdEncoding.EncodeToString(sum[:])
}

type docsHandler struct {
	opts              DocsOptions
	page              []byte
	assets            map[string][]byte
	bundleURL, cssURL string
	extraSrc          string
	csp               string
}

func (h *docsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	hd := w.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	name := path.Base(r.URL.Path)
	switch {
	case strings.HasSuffix(r.URL.Path, "/"):
		hd.Set("Content-Security-Policy", h.csp)
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cache-Control", "no-cache")
		h.write(w, r, "text/html; charset=utf-8", h.page)
	case name == "docs-init.js":
		hd.Set("Cache-Control", "no-cache")
		h.write(w, r, "text/javascript; charset=utf-8", []byte(docsInit))
	case h.assets[name] != nil:
		ct := "text/javascript; charset=utf-8"
		if strings.HasSuffix(name, ".css") {
			ct = "text/css; charset=utf-8"
		}
		hd.Set("Cache-Control", "public, max-age=86400")
		h.write(w, r, ct, h.assets[name])
	default:
		http.NotFound(w, r)
	}
}

func (h *docsHandler) write(w http.ResponseWriter, r *http.Request, ct string, b []byte) {
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(b)
}

var docsPage = template.Must(template.New("docs").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<link rel="stylesheet" href="{{.CSS}}" integrity="{{.CSSSRI}}" crossorigin="anonymous">
</head>
<body>
<div id="swagger-ui" data-spec-url="{{.Spec}}" data-csrf-cookie="{{.CSRFCookie}}" data-csrf-header="{{.CSRFHeader}}"></div>
<div id="docs-fallback" hidden style="max-width:46em;margin:2em auto;padding:0 1em;font:16px/1.5 system-ui,sans-serif;color:#222">
<h1 style="font-size:1.5em">{{.Title}}: the documentation viewer could not load</h1>
<p>This page shows the API with Swagger UI {{.Version}}, loaded from <code>{{.Bundle}}</code>, and that file did not load:
the machine may have no network access, or the file may be missing.</p>
<p>To serve Swagger UI from this server instead, install it once with <code>scripts/docs-assets.sh</code> (from the dmr
repository: it runs npm and puts swagger-ui-dist@{{.Version}} into <code>$HOME/.cache/dmr/npm/node_modules/swagger-ui-dist</code>)
and start the server with the environment variable <code>DMR_DOCS_ASSETS</code> set to that directory
(<code>DocsOptions.AssetsDir</code> in Go).</p>
<p>The OpenAPI document itself is here: <a href="{{.Spec}}">{{.Spec}}</a>.</p>
</div>
<noscript><p>This page needs JavaScript to show the API. The OpenAPI document is at <a href="{{.Spec}}">{{.Spec}}</a>.</p></noscript>
<script src="{{.Bundle}}" integrity="{{.BundleSRI}}" crossorigin="anonymous"></script>
<script src="docs-init.js"></script>
</body>
</html>
`))

// docsInit starts Swagger UI. It is a separate file so that the page needs
// no inline script (and no 'unsafe-inline' in its policy).
const docsInit = `"use strict";
(function () {
  var el = document.getElementById("swagger-ui");
  if (typeof SwaggerUIBundle !== "function") {
    // The bundle did not load (no network, missing files): say why and how
    // to fix it instead of leaving a blank page.
    document.getElementById("docs-fallback").hidden = false;
    document.title = "Documentation viewer not loaded";
    return;
  }
  var cookieName = el.dataset.csrfCookie, headerName = el.dataset.csrfHeader;
  var safe = {GET: true, HEAD: true, OPTIONS: true, TRACE: true};
  function cookie(name) {
    var parts = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < parts.length; i++) {
      var eq = parts[i].indexOf("=");
      if (parts[i].slice(0, eq) === name) return decodeURIComponent(parts[i].slice(eq + 1));
    }
    return null;
  }
  window.ui = SwaggerUIBundle({
    url: el.dataset.specUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    requestInterceptor: function (req) {
      req.credentials = "same-origin";
      var method = (req.method || "GET").toUpperCase();
      if (!safe[method]) {
        var token = cookie(cookieName);
        if (token) req.headers[headerName] = token;
      }
      return req;
    }
  });
})();
`
