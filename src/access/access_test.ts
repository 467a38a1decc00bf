import assert from "node:assert/strict";
import { sign } from "hono/jwt";
import { Access } from "./access.ts";

const SECRET = "unit-secret";
const now = () => Math.floor(Date.now() / 1000);

Deno.test("Access.verify: configured tokens, no scope, no expiry", async () => {
  const access = new Access({ tokens: ["one", "two"], jwtSecret: "", private: false });
  assert.deepEqual(await access.verify("two"), { scope: null, expiresAt: null });
  assert.equal(await access.verify("tw"), "Invalid token");
  assert.equal(await access.verify("two "), "Invalid token");
  // Without --jwt-secret a JWT is just an unknown token.
  assert.equal(await access.verify(await sign({ sub: "x" }, SECRET)), "Invalid token");
});

Deno.test("Access.verify: JWTs, exp, nbf, scope shapes, algorithms", async () => {
  const access = new Access({ tokens: [], jwtSecret: SECRET, private: false });
  const exp = now() + 60;
  assert.deepEqual(await access.verify(await sign({ exp, scope: "pipe:a job:b/" }, SECRET)), {
    scope: ["pipe:a", "job:b/"],
    expiresAt: exp * 1000,
  });
  assert.equal(await access.verify(await sign({ exp: now() - 1 }, SECRET)), "Token expired");
  assert.equal(await access.verify(await sign({ nbf: now() + 60 }, SECRET)), "Token not valid yet");
  assert.match(String(await access.verify(await sign({ scope: 7 }, SECRET))), /Invalid scope/);
  assert.equal(await access.verify(await sign({}, SECRET, "HS512")), "Invalid token");
  assert.equal(await access.verify(await sign({}, "other")), "Invalid token");
  // An unsigned token ("alg":"none") never passes.
  const none = `${btoa('{"alg":"none","typ":"JWT"}')}.${btoa("{}")}.`.replaceAll("=", "");
  assert.equal(await access.verify(none), "Invalid token");
});

Deno.test("Access.authorize: missing 401, scope 403, server-wide needs no scope", async () => {
  const access = new Access({ tokens: ["t"], jwtSecret: SECRET, private: true });
  const missing = await access.authorize(null, ["pipe:a"]);
  assert.deepEqual(missing.ok ? null : [missing.status, missing.challenge], [401, "Bearer"]);
  const scoped = await sign({ scope: ["pipe:backup-"] }, SECRET);
  const inside = await access.authorize(scoped, ["pipe:backup-1"]);
  assert.equal(inside.ok, true);
  const partly = await access.authorize(scoped, ["task:x", "pipe:backup-1"]);
  assert.equal(partly.ok ? 200 : partly.status, 403);
  assert.equal(partly.ok ? "" : partly.message, "Token scope does not cover 'task:x'");
  const stats = await access.authorize(scoped, null);
  assert.equal(stats.ok ? 200 : stats.status, 403);
  assert.equal((await access.authorize("t", null)).ok, true);
});

Deno.test("Access: which flags guard what", () => {
  const open = new Access({ tokens: [], jwtSecret: "", private: false });
  assert.deepEqual([open.guardsSending, open.guardsWatching], [false, false]);
  const jwt = new Access({ tokens: [], jwtSecret: SECRET, private: false });
  assert.deepEqual([jwt.guardsSending, jwt.guardsWatching], [true, false]);
  const closed = new Access({ tokens: ["t"], jwtSecret: "", private: true });
  assert.deepEqual([closed.guardsSending, closed.guardsWatching], [true, true]);
});
