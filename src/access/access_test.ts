import assert from "node:assert/strict";
import { sign } from "hono/jwt";
import { Access } from "./access.ts";

const SECRET = "unit-secret";
const now = () => Math.floor(Date.now() / 1000);

Deno.test("Access.verify: configured tokens, no scope, no expiry", async () => {
  const access = new Access({ tokens: ["one", "two"], jwtSecret: "", private: false });
  assert.deepEqual(await access.verify("two"), { scope: null, expiresAt: null, readOnly: false });
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
    readOnly: false,
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

Deno.test("Access.scopeRefusal: every target covered; server-wide needs no scope", async () => {
  const access = new Access({ tokens: ["t"], jwtSecret: SECRET, private: true });
  const scoped = await access.verify(await sign({ scope: ["pipe:backup-*"] }, SECRET));
  assert.ok(typeof scoped !== "string");
  assert.equal(access.scopeRefusal(scoped, ["pipe:backup-1"]), null);
  assert.equal(
    access.scopeRefusal(scoped, ["task:x", "pipe:backup-1"]),
    "Token scope does not cover 'task:x'",
  );
  assert.match(String(access.scopeRefusal(scoped, null)), /scoped token/);
  const whole = await access.verify("t");
  assert.ok(typeof whole !== "string");
  assert.equal(access.scopeRefusal(whole, null), null);
});

Deno.test("Access.verify: a --read-token is read-only", async () => {
  const access = new Access({ tokens: ["w"], readTokens: ["r"], jwtSecret: "", private: true });
  assert.deepEqual(await access.verify("r"), { scope: null, expiresAt: null, readOnly: true });
  assert.deepEqual(await access.verify("w"), { scope: null, expiresAt: null, readOnly: false });
  const readOnly = new Access({ tokens: [], readTokens: ["r"], jwtSecret: "", private: true });
  assert.deepEqual([readOnly.checksTokens, readOnly.guardsSending], [true, false]);
});

Deno.test("Access: which flags guard what", () => {
  const open = new Access({ tokens: [], jwtSecret: "", private: false });
  assert.deepEqual([open.guardsSending, open.guardsWatching], [false, false]);
  const jwt = new Access({ tokens: [], jwtSecret: SECRET, private: false });
  assert.deepEqual([jwt.guardsSending, jwt.guardsWatching], [true, false]);
  const closed = new Access({ tokens: ["t"], jwtSecret: "", private: true });
  assert.deepEqual([closed.guardsSending, closed.guardsWatching], [true, true]);
});
