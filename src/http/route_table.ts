/**
 * The one table of ringside's routes: for each, its methods, its path, the kind of topic it
 * touches, which decoded path parameter is the topic's name, and the action it needs. The
 * guard, `405`/`Allow`, the CORS preflight and the client's idea of a short-form pipe URL all
 * come from here; nothing else decides what a path means.
 *
 * Pure data, no imports: the client bundle reads it too.
 *
 * @module
 */

/**
 * What a route does, which decides the token it needs:
 *
 * - `send` (into a pipe), `publish` (start, publish or finish a job; post a process's output or
 *   status), `run` (a named task), `stop` (a named task): a token once `--token` or
 *   `--jwt-secret` is given; never a read-only one; a browser's cross-site request is refused.
 * - `receive` (a pipe's bytes), `spectate`, `stats`: a token (a read-only one will do) with
 *   `--private`.
 * - `hub`: the WebSocket hub, which checks each channel itself; a token it is given is checked
 *   here.
 * - `open`: pages, health, metrics, assets and watch links: no token, ever.
 */
export type Action =
  | "send"
  | "publish"
  | "run"
  | "stop"
  | "receive"
  | "spectate"
  | "stats"
  | "hub"
  | "open";

/** The actions that change something: they need a writing token and a same-site browser. */
export const WRITING_ACTIONS: ReadonlySet<Action> = new Set(["send", "publish", "run", "stop"]);

/** The actions `--private` guards. */
export const READING_ACTIONS: ReadonlySet<Action> = new Set(["receive", "spectate", "stats"]);

/** A request's query, as the route and its guard both read it (decoded). */
export type Query = (key: string) => string | undefined;

/** One route. */
export interface RouteSpec {
  /** The handler's key. */
  readonly id: string;
  /** The methods it answers; `GET` includes `HEAD`. */
  readonly methods: readonly ("GET" | "PUT" | "POST" | "DELETE")[];
  /** Hono's pattern, matched against the decoded path. */
  readonly path: string;
  /** The kind of topic it touches, `null` for none. */
  readonly kind: "pipe" | "job" | "process" | null;
  /** The decoded path parameter that is the topic's name. */
  readonly name?: string;
  /** What it does; a function when the query decides (a pipe's `?progress`). */
  readonly action: Action | ((query: Query) => Action);
  /**
   * The `kind:name` targets a token's scope must cover, when they are not `kind:name` from the
   * path (a named task's `?task=` and `?id=`).
   */
  readonly targets?: (query: Query) => string[];
  /** The short form `/{name}` of a pipe: not when the first segment is a reserved one. */
  readonly shortForm?: boolean;
}

function pipeGet(query: Query): Action {
  return query("progress") === undefined ? "receive" : "spectate";
}

function taskTargets(query: Query): string[] {
  const id = query("id");
  return [`task:${query("task") ?? ""}`, ...(id === undefined ? [] : [`process:${id}`])];
}

/**
 * Every route, in the order they are tried: a more specific path before the one that would
 * also match it (`/api/v1/jobs/ID/progress` before `/api/v1/jobs/ID`), the short form last.
 */
export const ROUTES = [
  { id: "front", methods: ["GET"], path: "/", kind: null, action: "open" },
  { id: "help", methods: ["GET"], path: "/help", kind: null, action: "open" },
  { id: "version", methods: ["GET"], path: "/version", kind: null, action: "open" },
  { id: "healthz", methods: ["GET"], path: "/healthz", kind: null, action: "open" },
  { id: "metrics", methods: ["GET"], path: "/metrics", kind: null, action: "open" },
  { id: "favicon", methods: ["GET"], path: "/favicon.ico", kind: null, action: "open" },
  { id: "robots", methods: ["GET"], path: "/robots.txt", kind: null, action: "open" },
  { id: "static", methods: ["GET"], path: "/static/:file{.+}", kind: null, action: "open" },
  { id: "watch", methods: ["GET"], path: "/w/:id", kind: null, action: "open" },
  { id: "hub", methods: ["GET"], path: "/api/v1/ws", kind: null, action: "hub" },
  { id: "stats", methods: ["GET"], path: "/api/v1/stats", kind: null, action: "stats" },
  {
    id: "pipe.send",
    methods: ["PUT", "POST"],
    path: "/api/v1/pipe/:name{.+}",
    kind: "pipe",
    name: "name",
    action: "send",
  },
  {
    id: "pipe.get",
    methods: ["GET"],
    path: "/api/v1/pipe/:name{.+}",
    kind: "pipe",
    name: "name",
    action: pipeGet,
  },
  {
    id: "job.progress",
    methods: ["POST"],
    path: "/api/v1/jobs/:id{.+}/progress",
    kind: "job",
    name: "id",
    action: "publish",
  },
  {
    id: "job.finish",
    methods: ["POST"],
    path: "/api/v1/jobs/:id{.+}/finish",
    kind: "job",
    name: "id",
    action: "publish",
  },
  {
    id: "job.start",
    methods: ["POST"],
    path: "/api/v1/jobs/:id{.+}",
    kind: "job",
    name: "id",
    action: "publish",
  },
  {
    id: "job.spectate",
    methods: ["GET"],
    path: "/api/v1/jobs/:id{.+}",
    kind: "job",
    name: "id",
    action: "spectate",
  },
  {
    id: "process.output",
    methods: ["PUT", "POST"],
    path: "/api/v1/processes/:id{.+}/output",
    kind: "process",
    name: "id",
    action: "publish",
  },
  {
    id: "process.status",
    methods: ["PUT", "POST"],
    path: "/api/v1/processes/:id{.+}/status",
    kind: "process",
    name: "id",
    action: "publish",
  },
  {
    id: "process.run",
    methods: ["POST"],
    path: "/api/v1/processes",
    kind: "process",
    action: "run",
    targets: taskTargets,
  },
  {
    id: "process.stop",
    methods: ["DELETE"],
    path: "/api/v1/processes/:id{.+}",
    kind: "process",
    name: "id",
    action: "stop",
  },
  {
    id: "process.spectate",
    methods: ["GET"],
    path: "/api/v1/processes/:id{.+}",
    kind: "process",
    name: "id",
    action: "spectate",
  },
  {
    id: "short.send",
    methods: ["PUT", "POST"],
    path: "/:name{.+}",
    kind: "pipe",
    name: "name",
    action: "send",
    shortForm: true,
  },
  {
    id: "short.get",
    methods: ["GET"],
    path: "/:name{.+}",
    kind: "pipe",
    name: "name",
    action: pipeGet,
    shortForm: true,
  },
] as const satisfies readonly RouteSpec[];

/** The key of a route's handler. */
export type RouteId = typeof ROUTES[number]["id"];

/**
 * The first path segments a short-form pipe name (`/{name}`) may not take: those of every
 * other route (`""` is `/` itself).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RESERVED } from "./route_table.ts";
 * assert.equal(RESERVED.has("metrics"), true);
 * assert.equal(RESERVED.has("api"), true);
 * assert.equal(RESERVED.has("backup"), false);
 * ```
 */
export const RESERVED: ReadonlySet<string> = new Set(
  (ROUTES as readonly RouteSpec[]).filter((route) => !route.shortForm)
    .map((route) => route.path.split("/")[1]!),
);

/**
 * Whether a short-form route applies to `name` (the decoded path after `/`): not when its
 * first segment belongs to another route.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isShortFormName } from "./route_table.ts";
 * assert.equal(isShortFormName("backup/db"), true);
 * assert.equal(isShortFormName("api/v1/nothing"), false);
 * ```
 */
export function isShortFormName(name: string): boolean {
  return !RESERVED.has(name.split("/")[0]!);
}

/** What one request to one route touches, read once from its decoded parameters. */
export interface RouteMatch {
  readonly spec: RouteSpec;
  readonly action: Action;
  /** The topic's name (decoded), `""` for routes without one. */
  readonly name: string;
  /** The `kind:name` strings a token's scope must cover; `null`: server-wide. */
  readonly targets: readonly string[] | null;
}

/**
 * Reads what a request to `spec` touches from the decoded path parameter and query, the same
 * values its handler is given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { matchRoute, ROUTES } from "./route_table.ts";
 * const get = ROUTES.find((route) => route.id === "pipe.get")!;
 * const query = (key: string) => (key === "progress" ? "" : undefined);
 * const match = matchRoute(get, (_key) => "backup/db", query);
 * assert.equal(match.action, "spectate");
 * assert.deepEqual(match.targets, ["pipe:backup/db"]);
 * ```
 */
export function matchRoute(
  spec: RouteSpec,
  param: (key: string) => string | undefined,
  query: Query,
): RouteMatch {
  const action = typeof spec.action === "function" ? spec.action(query) : spec.action;
  const name = spec.name === undefined ? "" : param(spec.name) ?? "";
  const targets = spec.targets
    ? spec.targets(query)
    : spec.kind !== null && spec.name !== undefined
    ? [`${spec.kind}:${name}`]
    : null;
  return { spec, action, name, targets };
}
