import { RESERVED } from "./pipe_routes.ts";

/** The methods of a pipe URL: receive (`GET`, `HEAD`), send (`PUT`, `POST`), preflight. */
const PIPE_METHODS: readonly string[] = ["GET", "HEAD", "PUT", "POST", "OPTIONS"];

/** The methods of a page (`/`, `/help`, `/metrics`…), a watch link and a static asset. */
const PAGE_METHODS: readonly string[] = ["GET", "HEAD", "OPTIONS"];

/** The methods of a job URL: spectate (`GET`, `HEAD`), start, publish and finish (`POST`). */
const JOB_METHODS: readonly string[] = ["GET", "HEAD", "POST", "OPTIONS"];

/** The methods of a process URL: spectate, post output or status, stop a named task. */
const PROCESS_METHODS: readonly string[] = ["GET", "HEAD", "POST", "DELETE", "OPTIONS"];

/** Areas under `/api/v1/` by their first segment, and their methods. */
const API: Record<string, readonly string[]> = {
  "jobs": JOB_METHODS,
  "processes": PROCESS_METHODS,
  "ws": ["GET", "OPTIONS"],
  "stats": PAGE_METHODS,
};

const PAGES = new Set([
  "/",
  "/help",
  "/version",
  "/healthz",
  "/metrics",
  "/robots.txt",
  "/favicon.ico",
]);

/**
 * The methods a path takes, for `405` with `Allow` and for the CORS preflight; `null` for a
 * path that is nothing here (`404` whatever the method).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { allowedMethods } from "./methods.ts";
 * assert.deepEqual(allowedMethods("/api/v1/pipe/backup"), ["GET", "HEAD", "PUT", "POST", "OPTIONS"]);
 * assert.deepEqual(allowedMethods("/backup"), ["GET", "HEAD", "PUT", "POST", "OPTIONS"]);
 * assert.deepEqual(allowedMethods("/healthz"), ["GET", "HEAD", "OPTIONS"]);
 * assert.deepEqual(allowedMethods("/api/v1/jobs/ci/7/progress"), ["GET", "HEAD", "POST", "OPTIONS"]);
 * assert.equal(allowedMethods("/api/nothing"), null);
 * ```
 */
export function allowedMethods(path: string): readonly string[] | null {
  if (PAGES.has(path)) return PAGE_METHODS;
  if (path.startsWith("/api/v1/pipe/") && path.length > "/api/v1/pipe/".length) {
    return PIPE_METHODS;
  }
  if (path.startsWith("/api/v1/")) return API[path.split("/")[3]!] ?? null;
  if (path.startsWith("/w/") || path.startsWith("/static/")) return PAGE_METHODS;
  const first = path.slice(1).split("/")[0]!;
  return RESERVED.has(first) ? null : PIPE_METHODS;
}

/**
 * The path of a request, or `null` when its URL does not parse (`CONNECT foo`, a `Host` of
 * `[bad`): the runtime hands such requests over as they came.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pathOf } from "./methods.ts";
 * assert.equal(pathOf(new Request("http://h/a/b?c")), "/a/b");
 * assert.equal(pathOf({ url: "foo" }), null);
 * ```
 */
export function pathOf(request: { url: string }): string | null {
  return URL.canParse(request.url) ? new URL(request.url).pathname : null;
}
