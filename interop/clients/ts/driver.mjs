// Runs the TypeScript flow (src/flow.ts, bundled to gen/app.js) in headless
// Chromium against the example server, from the API's own origin: it listens
// on 127.0.0.1:PORT, serves a page that loads the bundle at / and passes
// /api/ through to the example (Host kept, so the example sees the page's
// origin as its own and the browser keeps and sends the session and CSRF
// cookies as for a real single-page app). Then it loads the page with
// playwright-core and waits for window.__result. Any mismatch, page error or
// timeout exits non-zero and prints the page's console output.
//
//   node driver.mjs --api http://127.0.0.1:18510 --port 18512 --bundle gen/app.js
//     [--chromium /usr/bin/chromium] [--timeout 60]
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";

const { values: opts } = parseArgs({
  options: {
    api: { type: "string" },
    port: { type: "string" },
    bundle: { type: "string" },
    chromium: { type: "string", default: "/usr/bin/chromium" },
    timeout: { type: "string", default: "60" },
  },
});
if (!opts.api || !opts.port || !opts.bundle) {
  console.error("driver: --api, --port and --bundle are required");
  process.exit(2);
}
const api = new URL(opts.api);
const port = Number(opts.port);
const timeoutMs = Number(opts.timeout) * 1000;
const bundle = readFileSync(opts.bundle);
const page = `<!doctype html>
<html><head><meta charset="utf-8"><title>running</title></head>
<body><script type="module" src="/app.js"></script></body></html>
`;

const log = []; // the page's console output and the driver's notes, printed on failure
const note = (line) => log.push(line);
let userDataDir;
let context;
let server;

async function shutdown() {
  if (context) await context.close().catch(() => {});
  if (server) server.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
}

async function fail(msg) {
  console.error(`ts: FAIL: ${msg}`);
  console.error("--- page console and driver notes");
  for (const line of log) console.error(line);
  await shutdown();
  process.exit(1);
}

// A hard stop in case anything below hangs (launch, a stuck request).
const hardStop = setTimeout(() => void fail(`no result after ${opts.timeout * 2} s`), timeoutMs * 2);
hardStop.unref();

server = http.createServer((req, res) => {
  const path = new URL(req.url ?? "/", "http://x").pathname;
  if (path.startsWith("/api/")) {
    const out = http.request(
      { host: api.hostname, port: api.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        note(`proxy: ${req.method} ${req.url} -> ${answer.statusCode}`);
        res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
        answer.pipe(res);
      },
    );
    out.on("error", (err) => {
      note(`proxy: ${req.method} ${req.url}: ${err.message}`);
      res.writeHead(502, { "Content-Type": "text/plain" });
      res.end(`proxy error: ${err.message}`);
    });
    req.pipe(out);
    return;
  }
  if (req.method === "GET" && path === "/") {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" });
    res.end(page);
    return;
  }
  if (req.method === "GET" && path === "/app.js") {
    res.writeHead(200, { "Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-store" });
    res.end(bundle);
    return;
  }
  if (path === "/favicon.ico") {
    res.writeHead(204);
    res.end();
    return;
  }
  note(`page server: ${req.method} ${req.url} -> 404`);
  res.writeHead(404, { "Content-Type": "text/plain" });
  res.end("not found");
});
await new Promise((resolve, reject) => {
  server.once("error", reject);
  server.listen(port, "127.0.0.1", resolve);
}).catch((err) => fail(`cannot listen on 127.0.0.1:${port}: ${err.message}`));

userDataDir = mkdtempSync(join(tmpdir(), "dmr-ts-chromium-"));
try {
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: opts.chromium,
    headless: true,
    timeout: timeoutMs,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
} catch (err) {
  await fail(`cannot launch ${opts.chromium}: ${err.message}`);
}
const tab = context.pages()[0] ?? (await context.newPage());
tab.on("console", (msg) => note(`console.${msg.type()}: ${msg.text()}`));
tab.on("pageerror", (err) => note(`pageerror: ${err.message}`));
tab.on("requestfailed", (req) => note(`requestfailed: ${req.method()} ${req.url()}: ${req.failure()?.errorText}`));

const origin = `http://127.0.0.1:${port}`;
let result;
try {
  await tab.goto(`${origin}/`, { timeout: timeoutMs });
  const handle = await tab.waitForFunction(() => window.__result, null, { timeout: timeoutMs });
  result = await handle.jsonValue();
} catch (err) {
  await fail(`no result from the page: ${err.message.split("\n")[0]}`);
}
if (!result || result.ok !== true || (await tab.title()) !== "PASS") {
  await fail(`${result?.error ?? "no error given"} (after: ${(result?.steps ?? []).join("; ") || "no step"})`);
}
for (const s of result.steps) console.log(`ts: ${s}`);
const browser = await tab.evaluate(() => navigator.userAgent.match(/(?:Headless)?Chrome\/[\d.]+/)?.[0] ?? navigator.userAgent);
console.log(`ts: ok (${browser}, page at ${origin}, API at ${api.origin})`);
await shutdown();
process.exit(0);
