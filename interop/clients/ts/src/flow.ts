// The flow of interop/clients in the browser, the way a single-page app on
// the API's origin runs it: log in, GET /api/csrf/, read the csrftoken cookie
// from document.cookie and send it as the X-CSRFToken header parameter the
// document declares on unsafe session-authenticated operations, POST a note,
// list the notes, log out; then take a SimpleJWT pair from POST /api/token/ and
// write and list notes with the access token alone. It also checks error
// answers (401 before the login, 403 without the header) against the
// document's error model. The types come
// from gen/api.ts (openapi-typescript, written by run.sh); tsc --strict checks
// this file against them before esbuild bundles it. driver.mjs serves the
// bundle and reads window.__result.
import createClient from "openapi-fetch";
import type { components, paths } from "../gen/api";

type ErrorModel = components["schemas"]["ErrorModel"];
type Note = components["schemas"]["Note"];

export interface Result {
  ok: boolean;
  steps: string[];
  error?: string;
}

declare global {
  interface Window {
    __result?: Result;
  }
}

const steps: string[] = [];

function step(msg: string): void {
  steps.push(msg);
  console.log(`flow: ${msg}`);
}

class Mismatch extends Error {}

function check(cond: boolean, msg: string): asserts cond {
  if (!cond) {
    throw new Mismatch(msg);
  }
}

// The document's error model, {"detail":[{"msg","loc","type"}]}: msg is
// required, loc and type optional (the example's 401 carries type, its CSRF
// 403 only msg, as in Django Modern Rest).
function checkErrorModel(what: string, error: ErrorModel | undefined, msg: string): void {
  check(error !== undefined, `${what}: no error body`);
  const first = error.detail[0];
  check(first !== undefined, `${what}: empty detail ${JSON.stringify(error)}`);
  check(first.msg.startsWith(msg), `${what}: detail[0].msg ${JSON.stringify(first.msg)}, want ${JSON.stringify(msg)}…`);
  check(first.loc === undefined || Array.isArray(first.loc), `${what}: detail[0].loc ${JSON.stringify(first)}`);
  check(first.type === undefined || typeof first.type === "string", `${what}: detail[0].type ${JSON.stringify(first)}`);
}

function cookie(name: string): string | undefined {
  for (const pair of document.cookie.split(";")) {
    const [k, ...v] = pair.trim().split("=");
    if (k === name) {
      return decodeURIComponent(v.join("="));
    }
  }
  return undefined;
}

async function flow(text: string): Promise<void> {
  // Same origin as the page: the browser keeps and sends the cookies itself.
  const client = createClient<paths>({ baseUrl: window.location.origin, credentials: "same-origin" });

  {
    const { data, error, response } = await client.GET("/api/notes/");
    check(response.status === 401 && data === undefined, `GET /api/notes/ before the login: status ${response.status}, want 401`);
    checkErrorModel("GET /api/notes/ before the login", error, "Not authenticated");
    step(`GET /api/notes/ before the login: 401 ${error.detail[0]?.msg}`);
  }
  {
    const { data, error, response } = await client.POST("/api/auth/", {
      body: { username: "test_user", password: "password" },
    });
    check(response.status === 200 && data !== undefined, `POST /api/auth/: status ${response.status} ${JSON.stringify(error)}`);
    check(typeof data.user_id === "string" && data.user_id !== "", `POST /api/auth/: user_id ${JSON.stringify(data)}`);
    step(`POST /api/auth/: 200 user_id ${data.user_id}`);
  }
  {
    const { data, response } = await client.GET("/api/csrf/");
    check(response.status === 200 && data !== undefined && data.csrftoken !== "", `GET /api/csrf/: status ${response.status}`);
    step("GET /api/csrf/: 200 with a token");
  }
  const token = cookie("csrftoken");
  check(token !== undefined && token !== "", `no csrftoken cookie in document.cookie (${JSON.stringify(document.cookie)})`);
  step("csrftoken cookie read from document.cookie");

  {
    // POST /api/notes/ also takes tokens and API keys, which need no CSRF
    // header, so the document makes the header optional there (saying the
    // session needs it); the server still refuses a session POST without it.
    const { data, error, response } = await client.POST("/api/notes/", { body: { text } });
    check(response.status === 403 && data === undefined, `POST /api/notes/ without X-CSRFToken: status ${response.status}, want 403`);
    const typed: ErrorModel | undefined = error;
    checkErrorModel("POST /api/notes/ without X-CSRFToken", typed, "CSRF Failed: CSRF token missing");
    step(`POST /api/notes/ without X-CSRFToken: 403 ${error?.detail[0]?.msg}`);
  }

  let created: Note;
  {
    const { data, error, response } = await client.POST("/api/notes/", {
      params: { header: { "X-CSRFToken": token } },
      body: { text },
    });
    check(response.status === 201 && data !== undefined, `POST /api/notes/: status ${response.status} ${JSON.stringify(error)}`);
    check(data.text === text, `POST /api/notes/: text ${JSON.stringify(data.text)}, want ${JSON.stringify(text)}`);
    created = data;
    step(`POST /api/notes/: 201 note ${created.id}`);
  }
  {
    const { data, error, response } = await client.GET("/api/notes/");
    check(response.status === 200 && data !== undefined, `GET /api/notes/: status ${response.status} ${JSON.stringify(error)}`);
    const found = data.find((n) => n.id === created.id);
    check(found !== undefined && found.text === text, `GET /api/notes/: note ${created.id} ${JSON.stringify(text)} not in ${JSON.stringify(data)}`);
    step(`GET /api/notes/: 200, note ${created.id} listed among ${data.length}`);
  }

  // Session-only unsafe operations require the header in the generated types:
  // leaving it out does not compile (the directive fails tsc if the types ever
  // stop requiring it), and the server refuses it with 403.
  {
    // @ts-expect-error params.header["X-CSRFToken"] is required
    const { error, response } = await client.POST("/api/auth/logout/", {});
    check(response.status === 403, `POST /api/auth/logout/ without X-CSRFToken: status ${response.status}, want 403`);
    checkErrorModel("POST /api/auth/logout/ without X-CSRFToken", error, "CSRF Failed: CSRF token missing");
    step(`POST /api/auth/logout/ without X-CSRFToken: 403 ${error?.detail[0]?.msg}`);
  }
  {
    const { error, response } = await client.POST("/api/auth/logout/", { params: { header: { "X-CSRFToken": token } } });
    check(response.status < 300, `POST /api/auth/logout/: status ${response.status} ${JSON.stringify(error)}`);
    step(`POST /api/auth/logout/: ${response.status}`);
  }

  // A SimpleJWT pair from POST /api/token/; the access token alone (the
  // session is gone) lists and writes notes, with no CSRF header.
  let access: string;
  {
    const { data, error, response } = await client.POST("/api/token/", {
      body: { username: "test_user", password: "password" },
    });
    check(response.status === 200 && data !== undefined, `POST /api/token/: status ${response.status} ${JSON.stringify(error)}`);
    check(data.access !== "" && data.refresh !== "", `POST /api/token/: ${JSON.stringify(data)}`);
    access = data.access;
    step("POST /api/token/: 200 with an access and a refresh token");
  }
  {
    const { data, error, response } = await client.GET("/api/notes/");
    check(response.status === 401, `GET /api/notes/ after the logout: status ${response.status} ${JSON.stringify(data ?? error)}`);
    step("GET /api/notes/ after the logout: 401");
  }
  const bearer = { Authorization: `Bearer ${access}` };
  {
    const { data, error, response } = await client.POST("/api/notes/", { body: { text: `${text} (JWT)` }, headers: bearer });
    check(response.status === 201 && data !== undefined, `POST /api/notes/ with the access token: status ${response.status} ${JSON.stringify(error)}`);
    step(`POST /api/notes/ with the access token, no X-CSRFToken: 201 note ${data.id}`);
  }
  {
    const { data, error, response } = await client.GET("/api/notes/", { headers: bearer });
    check(response.status === 200 && data !== undefined, `GET /api/notes/ with the access token: status ${response.status} ${JSON.stringify(error)}`);
    check(data.some((n) => n.id === created.id) && data.some((n) => n.text === `${text} (JWT)`),
      `GET /api/notes/ with the access token: ${JSON.stringify(data)}`);
    step(`GET /api/notes/ with the access token: 200, both notes among ${data.length}`);
  }
}

async function main(): Promise<void> {
  const text = new URLSearchParams(window.location.search).get("text") ?? `TypeScript note ${Date.now()}`;
  try {
    await flow(text);
    window.__result = { ok: true, steps };
    document.title = "PASS";
  } catch (e) {
    const error = e instanceof Mismatch ? e.message : `${String(e)}${e instanceof Error && e.stack ? `\n${e.stack}` : ""}`;
    console.error(`flow: FAIL: ${error}`);
    window.__result = { ok: false, steps, error };
    document.title = "FAIL";
  }
}

void main();
