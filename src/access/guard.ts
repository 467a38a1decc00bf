import { HttpError } from "../http_error.ts";
import { READING_ACTIONS, type RouteMatch, WRITING_ACTIONS } from "../http/route_table.ts";
import type { Access, Grant } from "./access.ts";
import { bearerToken } from "./bearer.ts";

/** Options for {@linkcode guardRoute}. */
export interface GuardOptions {
  /** `--trust-proxy`: the host a browser reached is in `X-Forwarded-Host`. */
  trustProxy: boolean;
}

/**
 * The one enforcement point: whether `request`, matched to a route of the table, may go on.
 * It reads the route's action and targets (from the same decoded parameters its handler is
 * given) and:
 *
 * - `open` routes: nothing is checked;
 * - a token that is presented (`Authorization: Bearer`, or `?token=` on GET) is verified
 *   wherever tokens are configured, needed or not: a wrong one is `401`;
 * - writing actions (send, publish, run, stop) need a token once `--token` or `--jwt-secret`
 *   is given, reading ones (receive, spectate, stats) with `--private`: none is `401`, a
 *   `--read-token` that would write or a scope that does not cover a target is `403`;
 * - a browser's cross-site request (a foreign `Origin`) that would write is `403` unless it
 *   carries a valid token (a page elsewhere cannot start a task on an open server).
 *
 * @returns the grant of the token presented (its expiry ends the SSE streams it opens), or
 *   `null` when none was.
 * @throws {HttpError} `401` (with `WWW-Authenticate`) or `403`, one line that never quotes the
 *   token.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Access } from "./access.ts";
 * import { guardRoute } from "./guard.ts";
 * import { matchRoute, ROUTES } from "../http/route_table.ts";
 * const access = new Access({ tokens: ["t0k3n"], jwtSecret: "", private: false });
 * const send = ROUTES.find((route) => route.id === "pipe.send")!;
 * const match = matchRoute(send, () => "a", () => undefined);
 * const put = (headers: Record<string, string>) =>
 *   new Request("http://h/api/v1/pipe/a", { method: "PUT", headers });
 * await assert.rejects(guardRoute(access, put({}), match, { trustProxy: false }), { status: 401 });
 * const grant = await guardRoute(access, put({ authorization: "Bearer t0k3n" }), match, {
 *   trustProxy: false,
 * });
 * assert.equal(grant?.readOnly, false);
 * ```
 */
export async function guardRoute(
  access: Access,
  request: Request,
  match: RouteMatch,
  options: GuardOptions,
): Promise<Grant | null> {
  const { action } = match;
  if (action === "open") return null;
  const presented = bearerToken(request);
  let grant: Grant | null = null;
  if (presented && access.checksTokens) {
    const verified = await access.verify(presented.token);
    if (typeof verified === "string") {
      throw refusal(401, verified, 'Bearer error="invalid_token"');
    }
    grant = verified;
  }
  const writing = WRITING_ACTIONS.has(action);
  const needed = writing
    ? access.guardsSending
    : READING_ACTIONS.has(action) && access.guardsWatching;
  if (needed) {
    if (grant === null) {
      const inQuery = new URL(request.url).searchParams.has("token");
      throw refusal(
        401,
        inQuery
          ? "?token= is accepted on GET only (send Authorization: Bearer TOKEN)"
          : "Missing token (send Authorization: Bearer TOKEN)",
        "Bearer",
      );
    }
    if (writing && grant.readOnly) {
      throw refusal(403, "A read-only token only receives and spectates", INSUFFICIENT);
    }
    const outside = access.scopeRefusal(grant, match.targets);
    if (outside !== null) throw refusal(403, outside, INSUFFICIENT);
  }
  if (writing && grant === null && isCrossSite(request, options.trustProxy)) {
    throw new HttpError(
      403,
      "Cross-site request refused: a page on another site may not change anything here",
    );
  }
  return grant;
}

const INSUFFICIENT = 'Bearer error="insufficient_scope"';

function refusal(status: 401 | 403, message: string, challenge: string): HttpError {
  return new HttpError(status, message, { headers: { "www-authenticate": challenge } });
}

/**
 * Whether a browser sent `request` from a page of another site: its `Origin` names another
 * host than the one the request reached (`Host`, or with `--trust-proxy` `X-Forwarded-Host`),
 * or is `null` (a sandboxed or opaque page). Requests without `Origin` (curl, scripts, a
 * same-origin GET) are not cross-site.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isCrossSite } from "./guard.ts";
 * const post = (origin: string) =>
 *   new Request("http://h:8080/api/v1/processes?task=x", { method: "POST", headers: { origin } });
 * assert.equal(isCrossSite(post("http://evil.example"), false), true);
 * assert.equal(isCrossSite(post("http://h:8080"), false), false);
 * assert.equal(isCrossSite(new Request("http://h:8080/x", { method: "POST" }), false), false);
 * ```
 */
export function isCrossSite(request: Request, trustProxy: boolean): boolean {
  const origin = request.headers.get("origin");
  if (origin === null) return false;
  if (!URL.canParse(origin)) return true;
  const forwarded = trustProxy
    ? request.headers.get("x-forwarded-host")?.split(",")[0]?.trim()
    : undefined;
  const host = forwarded || request.headers.get("host") || new URL(request.url).host;
  return new URL(origin).host.toLowerCase() !== host.toLowerCase();
}
