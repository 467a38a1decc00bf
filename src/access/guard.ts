import type { MiddlewareHandler } from "hono";
import { errorResponse } from "../http/respond.ts";
import type { Access } from "./access.ts";
import { bearerToken } from "./bearer.ts";
import { accessTarget } from "./targets.ts";

const expiries = new WeakMap<Request, number>();

/**
 * When the token that let `request` in expires (ms since the epoch), or `undefined` when it
 * never does or no token was needed. A spectator's SSE stream ends then.
 */
export function tokenExpiry(request: Request): number | undefined {
  return expiries.get(request);
}

/**
 * The middleware that enforces {@linkcode Access} on the pipe, job and process routes (see
 * {@linkcode accessTarget} for what needs what): a request without a token where one is needed,
 * or with a bad one, gets `401` and `WWW-Authenticate: Bearer`; a token whose scope does not
 * cover the topic gets `403`. Both with one line saying why, never quoting the token.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "hono";
 * import { Access } from "./access.ts";
 * import { accessGuard } from "./guard.ts";
 * const access = new Access({ tokens: ["t0k3n"], jwtSecret: "", private: false });
 * const app = new Hono().use(accessGuard(access)).put("/api/v1/pipe/a", (c) => c.text("sent"));
 * const refused = await app.request("/api/v1/pipe/a", { method: "PUT" });
 * assert.equal(refused.status, 401);
 * assert.equal(refused.headers.get("www-authenticate"), "Bearer");
 * const sent = await app.request("/api/v1/pipe/a", {
 *   method: "PUT",
 *   headers: { authorization: "Bearer t0k3n" },
 * });
 * assert.equal(await sent.text(), "sent");
 * ```
 */
export function accessGuard(access: Access): MiddlewareHandler {
  return async (c, next) => {
    const request = c.req.raw;
    const target = accessTarget(request.method, new URL(request.url));
    const needed = target !== null &&
      (target.action === "send" ? access.guardsSending : access.guardsWatching);
    if (!needed) return await next();
    const presented = bearerToken(request);
    const verdict = await access.authorize(presented?.token ?? null, target.topics);
    if (!verdict.ok) {
      const inQuery = presented === null && new URL(request.url).searchParams.has("token");
      const message = inQuery
        ? "?token= is accepted on GET only (send Authorization: Bearer TOKEN)"
        : verdict.message;
      const response = errorResponse(request, verdict.status, message);
      response.headers.set("www-authenticate", verdict.challenge);
      return response;
    }
    if (verdict.grant.expiresAt !== null) expiries.set(request, verdict.grant.expiresAt);
    return await next();
  };
}
