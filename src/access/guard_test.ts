import assert from "node:assert/strict";
import { sign } from "hono/jwt";
import { matchRoute, type Query, ROUTES, type RouteSpec } from "../http/route_table.ts";
import { HttpError } from "../http_error.ts";
import { Access } from "./access.ts";
import { guardRoute } from "./guard.ts";

const SECRET = "guard-secret";
const options = { trustProxy: false };

function route(id: string, name: string, query: Record<string, string> = {}) {
  const spec = (ROUTES as readonly RouteSpec[]).find((route) => route.id === id)!;
  const read: Query = (key) => query[key];
  return matchRoute(spec, () => name, read);
}

function request(method: string, headers: Record<string, string> = {}, search = "") {
  return new Request(`http://h:8080/x${search}`, { method, headers });
}

async function refusal(promise: Promise<unknown>): Promise<[number, string]> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof HttpError);
    return [error.status, error.message];
  }
  throw new Error("not refused");
}

Deno.test("guard: open routes check nothing, even a wrong token", async () => {
  const access = new Access({ tokens: ["t"], jwtSecret: "", private: true });
  const watch = route("watch", "");
  assert.equal(await guardRoute(access, request("GET", {}, "?token=wrong"), watch, options), null);
});

Deno.test("guard: a presented token is checked where it is not needed; wrong is 401", async () => {
  const access = new Access({ tokens: ["t"], jwtSecret: "", private: false });
  const spectate = route("job.spectate", "ci");
  assert.equal(await guardRoute(access, request("GET"), spectate, options), null);
  const [status] = await refusal(
    guardRoute(access, request("GET", {}, "?token=wrong"), spectate, options),
  );
  assert.equal(status, 401);
  // Without any token configured a token means nothing and is not checked.
  const open = new Access({ tokens: [], jwtSecret: "", private: false });
  assert.equal(await guardRoute(open, request("GET", {}, "?token=x"), spectate, options), null);
});

Deno.test("guard: a read-only token receives and spectates, never writes", async () => {
  const access = new Access({ tokens: ["w"], readTokens: ["r"], jwtSecret: "", private: true });
  const bearer = { authorization: "Bearer r" };
  const grant = await guardRoute(access, request("GET", bearer), route("pipe.get", "a"), options);
  assert.equal(grant?.readOnly, true);
  for (const id of ["pipe.send", "job.start", "process.output", "process.stop"]) {
    const [status, message] = await refusal(
      guardRoute(access, request("POST", bearer), route(id, "a"), options),
    );
    assert.deepEqual([status, message], [403, "A read-only token only receives and spectates"]);
  }
  const run = route("process.run", "", { task: "build" });
  assert.equal((await refusal(guardRoute(access, request("POST", bearer), run, options)))[0], 403);
});

Deno.test("guard: a JWT's scope covers names as paths, tasks by name", async () => {
  const access = new Access({ tokens: [], jwtSecret: SECRET, private: false });
  const jwt = await sign({ scope: ["job:ci", "task:build"] }, SECRET);
  const bearer = { authorization: `Bearer ${jwt}` };
  const post = (match: ReturnType<typeof route>) =>
    guardRoute(access, request("POST", bearer), match, options);
  assert.ok(await post(route("job.start", "ci/7")));
  assert.deepEqual(await refusal(post(route("job.start", "ci-other"))), [
    403,
    "Token scope does not cover 'job:ci-other'",
  ]);
  assert.ok(await post(route("process.run", "", { task: "build" })));
  assert.equal((await refusal(post(route("process.run", "", { task: "build-prod" }))))[0], 403);
  assert.equal(
    (await refusal(post(route("process.run", "", { task: "build", id: "x" }))))[0],
    403,
  );
});

Deno.test("guard: a cross-site request that writes is refused unless it carries a token", async () => {
  const open = new Access({ tokens: [], jwtSecret: "", private: false });
  const run = route("process.run", "", { task: "build" });
  const foreign = { origin: "http://evil.example" };
  assert.deepEqual(await refusal(guardRoute(open, request("POST", foreign), run, options)), [
    403,
    "Cross-site request refused: a page on another site may not change anything here",
  ]);
  assert.equal(
    await guardRoute(open, request("POST", { origin: "http://h:8080" }), run, options),
    null,
  );
  // Watching from another site is what CORS is for.
  assert.equal(
    await guardRoute(open, request("GET", foreign), route("job.spectate", "a"), options),
    null,
  );
  const guarded = new Access({ tokens: ["t"], jwtSecret: "", private: false });
  const withToken = { ...foreign, authorization: "Bearer t" };
  assert.ok(await guardRoute(guarded, request("POST", withToken), run, options));
});
