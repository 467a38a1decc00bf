/**
 * What a topic's URL is (`spectatorUrl`) and which of its events ends it (`isFinalEvent`), for
 * the client and the command line.
 *
 * @module
 */

import { isShortFormName } from "../http/route_table.ts";

/** An event of a ringside topic, its `data` parsed from JSON (the raw text if it is not JSON). */
export interface RingsideEvent {
  /** `state`, `progress`, `done`, `error` (pipes); `progress`, `complete`, `error`, `timeout` (jobs); `output`, `status`, `gap` (processes). */
  type: string;
  data: unknown;
  /** The SSE `id:` (a process line's `seq`), `null` when the stream sent none. */
  id: string | null;
}

const FINAL_STATUSES = new Set(["exited", "killed", "failed"]);

/**
 * Whether an event ends its topic, whatever the kind: a pipe's `done` or `error`, a job's
 * `complete` or `error`, a process's final `status` (`exited`, `killed`, `failed`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isFinalEvent } from "./urls.ts";
 * assert.equal(isFinalEvent({ type: "done", data: {}, id: null }), true);
 * assert.equal(isFinalEvent({ type: "status", data: { status: "running" }, id: null }), false);
 * assert.equal(isFinalEvent({ type: "status", data: { status: "exited", exitCode: 0 }, id: null }), true);
 * ```
 */
export function isFinalEvent(event: RingsideEvent): boolean {
  switch (event.type) {
    case "done":
    case "complete":
    case "error":
      return true;
    case "status":
      return FINAL_STATUSES.has(String((event.data as { status?: unknown } | null)?.status));
    default:
      return false;
  }
}

/**
 * The spectator URL of a topic: a URL or path as given (a pipe's gains `?progress`), or a
 * channel name as the WebSocket hub spells it (`pipe:NAME`, `job:ID`, `process:ID`,
 * `watch:WATCHID`), resolved against `server`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { spectatorUrl } from "./urls.ts";
 * const server = "http://h:8080";
 * assert.equal(spectatorUrl(server, "pipe:backup"), "http://h:8080/api/v1/pipe/backup?progress");
 * assert.equal(spectatorUrl(server, "http://h:8080/backup"), "http://h:8080/backup?progress");
 * assert.equal(spectatorUrl(server, "job:ci/7"), "http://h:8080/api/v1/jobs/ci/7");
 * assert.equal(spectatorUrl(server, "/w/abc"), "http://h:8080/w/abc");
 * ```
 */
export function spectatorUrl(server: string | URL, topic: string): string {
  const channel = /^(pipe|job|process|watch):(.+)$/.exec(topic);
  if (channel && !topic.startsWith("//")) {
    const [, kind, name] = channel;
    const path = kind === "pipe"
      ? "api/v1/pipe/"
      : kind === "job"
      ? "api/v1/jobs/"
      : kind === "process"
      ? "api/v1/processes/"
      : "w/";
    topic = path + encodePath(name!);
  }
  const url = new URL(topic, withSlash(server));
  if (isPipePath(url.pathname) && !url.searchParams.has("progress")) {
    url.search = url.search ? `${url.search}&progress` : "?progress";
  }
  return url.href;
}

function isPipePath(pathname: string): boolean {
  return pathname.startsWith("/api/v1/pipe/") || isShortFormName(pathname.slice(1));
}

/**
 * The server's base URL ending in `/`, for relative paths to resolve under it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withSlash } from "./urls.ts";
 * assert.equal(withSlash("http://h:1/base"), "http://h:1/base/");
 * ```
 */
export function withSlash(server: string | URL): string {
  const text = String(server);
  return text.endsWith("/") ? text : `${text}/`;
}

/**
 * A name as a URL path: each `/`-separated part percent-encoded.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodePath } from "./urls.ts";
 * assert.equal(encodePath("ci/build #7"), "ci/build%20%237");
 * ```
 */
export function encodePath(name: string): string {
  return name.split("/").map(encodeURIComponent).join("/");
}
