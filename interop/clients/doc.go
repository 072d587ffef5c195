// Package clients checks that clients generated from the example's OpenAPI
// document by the tools people use work against the real example server.
//
// It is its own module (like bench/*), so the generators never become
// dependencies of dmr. run.sh builds and starts examples/sessionauth, writes
// its document (the 3.1 form: these generators read OpenAPI 3.0 and 3.1),
// generates clients with ogen and oapi-codegen (pinned by the tool lines of
// go.mod) into gen/ (ignored by git, never committed), then runs the flow
// tests of this package with -tags clientgen against the server: log in,
// GET /api/csrf/, POST /api/notes/ with the X-CSRFToken header the document
// asks for, and list the notes. It also starts Prism's validating proxy
// (prism proxy --errors, npm package pinned in prism.sh) in front of the
// server and sends the flow and the error cases through it: no answer may
// carry a violation.
//
// Last comes the TypeScript client, in ts/: ts.sh installs the npm packages
// pinned by ts/package.json and ts/package-lock.json (openapi-typescript,
// openapi-fetch, typescript 5, esbuild, playwright-core) with npm ci into
// ~/.cache/dmr/npm/clients-ts and links ts/node_modules to it; run.sh
// generates the types from the same 3.1 document with openapi-typescript
// into ts/gen/ (ignored by git), type-checks ts/src/flow.ts against them with
// tsc --strict (the X-CSRFToken header is a required typed parameter: a POST
// without it does not compile) and bundles it with esbuild. ts/driver.mjs
// serves the bundle at / on its own port and passes /api/ through to the
// example, so that the page and the API share one origin as in a real
// single-page app, and loads it in headless Chromium with playwright-core.
// The page logs in, gets GET /api/csrf/, reads the csrftoken cookie from
// document.cookie and sends it as X-CSRFToken to POST /api/notes/, finds the
// note in the list, and checks a 401 before the login and a 403 without the
// header against the error model ({"detail":[{"msg","loc","type"}]}, typed as
// the error response). Any mismatch, or no result within 60 s, fails run.sh
// with the page's console output.
package clients
