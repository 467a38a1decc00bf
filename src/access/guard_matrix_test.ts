// The access matrix, generated from the route table: every guarded route × every method ×
// {no token, a wrong one, a JWT scoped elsewhere, a read-only token} × spellings of its path
// (each character percent-encoded in turn, upper and lower hex, the `/NAME` short form, a
// trailing slash). None may answer 2xx or hand out a pipe's bytes without the token. A route
// added to the table without an example here fails the first test: it must be listed.
import assert from "node:assert/strict";
import { sign } from "hono/jwt";
import { createApp } from "../app.ts";
import { defaultConfig } from "../config.ts";
import { ROUTES, type RouteSpec } from "../http/route_table.ts";

const TOKEN = "matrix-token";
const READ_TOKEN = "matrix-read-token";
const JWT_SECRET = "matrix-jwt-secret";
const SECRET_BYTES = "SECRET-PAYLOAD-7f3a";

/** A request to each route that is not `open`, as its handler would take it. */
const EXAMPLES: Record<string, { path: string; query?: string }[]> = {
  hub: [{ path: "/api/v1/ws" }],
  stats: [{ path: "/api/v1/stats" }],
  "pipe.send": [{ path: "/api/v1/pipe/p" }],
  "pipe.get": [{ path: "/api/v1/pipe/p" }, { path: "/api/v1/pipe/p", query: "?progress" }],
  "job.progress": [{ path: "/api/v1/jobs/j/progress" }],
  "job.finish": [{ path: "/api/v1/jobs/j/finish" }],
  "job.start": [{ path: "/api/v1/jobs/j2" }],
  "job.spectate": [{ path: "/api/v1/jobs/j" }],
  "process.output": [{ path: "/api/v1/processes/r/output" }],
  "process.status": [{ path: "/api/v1/processes/r/status" }],
  "process.run": [{ path: "/api/v1/processes", query: "?task=build&id=r2" }],
  "process.stop": [{ path: "/api/v1/processes/r" }],
  "process.spectate": [{ path: "/api/v1/processes/r" }],
  "short.send": [{ path: "/p" }],
  "short.get": [{ path: "/p" }, { path: "/p", query: "?progress" }],
};

const METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE", "PATCH"];

/** The path as given, each character percent-encoded in turn (both hex cases), and more. */
function spellings(path: string, kind: RouteSpec["kind"]): string[] {
  const result = new Set([path, `${path}/`]);
  for (let i = 1; i < path.length; i++) {
    if (path[i] === "/") continue;
    const hex = path.charCodeAt(i).toString(16);
    for (const code of [hex.toUpperCase(), hex.toLowerCase()]) {
      result.add(`${path.slice(0, i)}%${code}${path.slice(i + 1)}`);
    }
  }
  if (kind === "pipe" && path.startsWith("/api/v1/pipe/")) {
    result.add(path.slice("/api/v1/pipe".length));
  }
  return [...result];
}

async function server() {
  const config = {
    ...defaultConfig(),
    tokens: [TOKEN],
    readTokens: [READ_TOKEN],
    jwtSecret: JWT_SECRET,
    private: true,
    tasks: ["build=true"],
    waitTimeout: 5_000,
  };
  const made = createApp(config);
  const scoped = await sign(
    { scope: ["pipe:elsewhere", "job:elsewhere", "task:elsewhere"] },
    JWT_SECRET,
  );
  return { ...made, scoped };
}

Deno.test("access matrix: every route that is not open has an example here", () => {
  const guarded = (ROUTES as readonly RouteSpec[]).filter((route) => route.action !== "open");
  for (const route of guarded) assert.ok(EXAMPLES[route.id], `no example for route ${route.id}`);
});

Deno.test("access matrix: no spelling of any guarded route answers 2xx or bytes without the token", async () => {
  const { app, tracker, scoped } = await server();
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  // A job and a process to touch, and a sender waiting on pipe p with a secret: a receiver
  // that got past the guard would get its bytes at once.
  const start = await app.request("/api/v1/jobs/j", { method: "POST", headers: bearer(TOKEN) });
  assert.equal(start.status, 201);
  const status = await app.request("/api/v1/processes/r/status", {
    method: "POST",
    headers: bearer(TOKEN),
    body: '{"status":"running"}',
  });
  assert.equal(status.status, 200);
  const sender = app.request("/api/v1/pipe/p", {
    method: "PUT",
    headers: bearer(TOKEN),
    body: SECRET_BYTES,
  });
  const presented: [string, Record<string, string>, string][] = [
    ["no token", {}, ""],
    ["a wrong token", bearer("wrong"), ""],
    ["a wrong ?token=", {}, "token=wrong"],
    ["a JWT scoped elsewhere", bearer(scoped), ""],
  ];
  let requests = 0;
  try {
    for (const route of ROUTES as readonly RouteSpec[]) {
      for (const example of EXAMPLES[route.id] ?? []) {
        for (const path of spellings(example.path, route.kind)) {
          for (const method of METHODS) {
            for (const [who, headers, query] of presented) {
              const search = [example.query?.slice(1), query].filter(Boolean).join("&");
              const url = `http://127.0.0.1${path}${search ? `?${search}` : ""}`;
              const body = method === "PUT" || method === "POST" ? "x" : null;
              const res = await app.request(url, { method, headers, body });
              requests++;
              const text = await res.text();
              const what = `${method} ${url} with ${who}`;
              assert.ok(res.status >= 400, `${what}: ${res.status} ${text}`);
              assert.ok(!text.includes(SECRET_BYTES), `${what}: the pipe's bytes`);
              // One error shape: JSON, but a line of text on a pipe's own data path.
              if (method === "HEAD") continue;
              const json = res.headers.get("content-type")?.startsWith("application/json");
              if (json) {
                const { error } = JSON.parse(text);
                assert.ok(typeof error === "string" && !error.includes("\n"), `${what}: ${text}`);
              } else {
                const dataPath = route.kind === "pipe" &&
                  (example.query === undefined || method === "PUT" || method === "POST") &&
                  res.status !== 404 && res.status !== 405;
                assert.ok(dataPath, `${what}: not JSON: ${text}`);
                assert.match(text, /^[^\n]+\n$/, what);
              }
            }
          }
        }
      }
    }
  } finally {
    // The waiting sender: its receiver comes with the token.
    const received = await app.request("/api/v1/pipe/p", { headers: bearer(TOKEN) });
    assert.equal(await received.text(), SECRET_BYTES);
    await (await sender).text();
    tracker.close();
  }
  assert.ok(requests > 5_000, `only ${requests} requests`);
});

Deno.test("access matrix: a read-only token never writes, whatever the spelling", async () => {
  const { app, tracker } = await server();
  try {
    const writing = (ROUTES as readonly RouteSpec[]).filter((route) =>
      typeof route.action === "string" && ["send", "publish", "run", "stop"].includes(route.action)
    );
    for (const route of writing) {
      for (const example of EXAMPLES[route.id]!) {
        for (const path of spellings(example.path, route.kind)) {
          for (const method of route.methods) {
            const url = `http://127.0.0.1${path}${example.query ?? ""}`;
            const res = await app.request(url, {
              method,
              headers: { authorization: `Bearer ${READ_TOKEN}` },
              body: method === "DELETE" ? null : "x",
            });
            const text = await res.text();
            assert.ok(
              [400, 403, 404, 405].includes(res.status),
              `${method} ${url}: ${res.status} ${text}`,
            );
          }
        }
      }
    }
  } finally {
    tracker.close();
  }
});

Deno.test("access matrix: with the token, each route's own spelling gets past the guard", async () => {
  const { app, tracker } = await server();
  const headers = { authorization: `Bearer ${TOKEN}` };
  try {
    await app.request("/api/v1/jobs/j", { method: "POST", headers });
    await app.request("/api/v1/processes/r/status", {
      method: "POST",
      headers,
      body: '{"status":"running"}',
    });
    for (const route of ROUTES as readonly RouteSpec[]) {
      if (route.action === "open" || route.id.endsWith(".send") || route.id.endsWith(".get")) {
        continue; // A pipe's sides wait for each other: the end-to-end suite covers them.
      }
      for (const example of EXAMPLES[route.id]!) {
        const method = route.methods[0]!;
        const body = method === "POST" || method === "PUT"
          ? route.id === "process.output"
            ? "a line\n"
            : route.id === "process.status"
            ? '{"status":"running"}'
            : "{}"
          : null;
        const url = `http://127.0.0.1${example.path}${example.query ?? ""}`;
        const res = await app.request(url, {
          method,
          headers: { ...headers, accept: "application/json" },
          body,
        });
        const text = await res.text();
        assert.ok(
          ![401, 403, 404, 405].includes(res.status),
          `${method} ${url}: ${res.status} ${text}`,
        );
      }
    }
  } finally {
    tracker.close();
  }
});
