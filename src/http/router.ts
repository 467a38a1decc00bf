import type { Context, Hono } from "hono";
import { TrieRouter } from "hono/router/trie-router";
import type { Grant } from "../access/access.ts";
import {
  isShortFormName,
  matchRoute,
  type RouteId,
  type RouteMatch,
  ROUTES,
  type RouteSpec,
} from "./route_table.ts";

/** What the route table puts in a request's context before its handler runs. */
export interface RingsideEnv {
  Variables: {
    /** The route, its action and the topic's decoded name. */
    route: RouteMatch;
    /** The token the request presented, verified; `null` when it presented none. */
    grant: Grant | null;
  };
}

/** The context a route handler is given. */
export type RouteContext = Context<RingsideEnv>;

/** A route's handler: the request's context and what the route table read from it. */
export type RouteHandler = (
  c: RouteContext,
  route: RouteMatch,
) => Response | Promise<Response>;

/** A handler for every route of the table. */
export type RouteHandlers = Record<RouteId, RouteHandler>;

/** Decides whether a matched request may go on (throws an `HttpError` when not). */
export type RouteGuard = (request: Request, route: RouteMatch) => Promise<Grant | null>;

/**
 * Mounts every route of the table on `app`, each as guard then handler: the guard runs on the
 * route's own match, read once from the decoded parameters, and the handler is given that same
 * match. A route exists only here, so a route is guarded because it is in the table. A
 * short-form pipe route passes a name whose first segment is reserved on (to `404`/`405`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "hono";
 * import { mountRoutes, type RouteHandlers } from "./router.ts";
 * import { ROUTES } from "./route_table.ts";
 * const seen: string[] = [];
 * const handlers = Object.fromEntries(ROUTES.map((route) => [route.id, (_c: unknown, match: { name: string }) => {
 *   seen.push(`${route.id} ${match.name}`);
 *   return new Response("ok");
 * }])) as unknown as RouteHandlers;
 * const app = new Hono();
 * mountRoutes(app, handlers, () => Promise.resolve(null));
 * await app.request("/api/v1/pip%65/a%2Fb", { method: "PUT" });
 * await app.request("/api/v1/jobs/ci/7/progress", { method: "POST" });
 * assert.deepEqual(seen, ["pipe.send a/b", "job.progress ci/7"]);
 * ```
 */
export function mountRoutes(
  app: Hono<RingsideEnv> | Hono,
  handlers: RouteHandlers,
  guard: RouteGuard,
): void {
  for (const spec of ROUTES as readonly RouteSpec[]) {
    const handler = handlers[spec.id as RouteId];
    (app as Hono<RingsideEnv>).on([...spec.methods], spec.path, async (c, next) => {
      const match = matchRoute(spec, (key) => c.req.param(key), (key) => c.req.query(key));
      if (spec.shortForm && !isShortFormName(match.name)) return await next();
      c.set("route", match);
      c.set("grant", await guard(c.req.raw, match));
      return await handler(c, match);
    });
  }
}

const table = new TrieRouter<RouteSpec>();
for (const spec of ROUTES as readonly RouteSpec[]) table.add("ALL", spec.path, spec);

/**
 * The methods a path takes, from the route table, for `405` with `Allow` and for the CORS
 * preflight; `null` for a path that is nothing here (`404` whatever the method). `path` is the
 * decoded path the router matches (Hono's `c.req.path`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { allowedMethods } from "./router.ts";
 * assert.deepEqual(allowedMethods("/api/v1/pipe/backup"), ["GET", "HEAD", "PUT", "POST", "OPTIONS"]);
 * assert.deepEqual(allowedMethods("/backup"), ["GET", "HEAD", "PUT", "POST", "OPTIONS"]);
 * assert.deepEqual(allowedMethods("/healthz"), ["GET", "HEAD", "OPTIONS"]);
 * assert.deepEqual(allowedMethods("/api/v1/jobs/ci/7/progress"), ["GET", "HEAD", "POST", "OPTIONS"]);
 * assert.equal(allowedMethods("/api/nothing"), null);
 * ```
 */
export function allowedMethods(path: string): readonly string[] | null {
  const methods = new Set<string>();
  for (
    const [spec, params] of table.match("ALL", path)[0] as [RouteSpec, Record<string, string>][]
  ) {
    if (spec.shortForm && !isShortFormName(params[spec.name!] ?? "")) continue;
    for (const method of spec.methods) methods.add(method);
  }
  if (methods.size === 0) return null;
  const order = ["GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS"];
  if (methods.has("GET")) methods.add("HEAD");
  methods.add("OPTIONS");
  return order.filter((method) => methods.has(method));
}
