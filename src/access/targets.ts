import { RESERVED } from "../http/pipe_routes.ts";

/** What a request does, for access control. */
export interface AccessTarget {
  /**
   * `send`: sends into a pipe, starts, publishes or finishes a job, posts a process's output or
   * status, runs or stops a named task (needs a token once `--token` or `--jwt-secret` is
   * given). `watch`: receives from a pipe or spectates (needs one with `--private`).
   */
  action: "send" | "watch";
  /** The `kind:name` strings touched (a token's scope must cover each); `null`: server-wide. */
  topics: readonly string[] | null;
}

const WATCHING = new Set(["GET", "HEAD"]);

/**
 * What a request to the pipe, job and process routes touches, by method and path, or `null`
 * for everything else (help, health, metrics, watch links, the WebSocket hub, unknown methods
 * the routes refuse by themselves). Paths are as the runtime gives them, undecoded, the way the
 * routes read names.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { accessTarget } from "./targets.ts";
 * const target = (method: string, path: string) => accessTarget(method, new URL(`http://h${path}`));
 * assert.deepEqual(target("PUT", "/api/v1/pipe/db"), { action: "send", topics: ["pipe:db"] });
 * assert.deepEqual(target("GET", "/backup/db?progress"), { action: "watch", topics: ["pipe:backup/db"] });
 * assert.deepEqual(target("POST", "/api/v1/jobs/ci/7/progress"), { action: "send", topics: ["job:ci/7"] });
 * assert.deepEqual(target("GET", "/api/v1/jobs/ci/7"), { action: "watch", topics: ["job:ci/7"] });
 * assert.deepEqual(target("DELETE", "/api/v1/processes/b1"), { action: "send", topics: ["process:b1"] });
 * assert.deepEqual(target("POST", "/api/v1/processes?task=build&id=b2"), {
 *   action: "send", topics: ["task:build", "process:b2"],
 * });
 * assert.deepEqual(target("GET", "/api/v1/stats"), { action: "watch", topics: null });
 * assert.equal(target("GET", "/w/abc"), null);
 * assert.equal(target("GET", "/metrics"), null);
 * ```
 */
export function accessTarget(method: string, url: URL): AccessTarget | null {
  const path = url.pathname;
  const watching = WATCHING.has(method);
  const sending = method === "POST" || method === "PUT";
  let match: RegExpExecArray | null;
  if ((match = /^\/api\/v1\/pipe\/(.+)$/.exec(path))) {
    return pipeTarget(match[1]!, watching, sending);
  }
  if ((match = /^\/api\/v1\/jobs\/(.+)$/.exec(path))) {
    if (watching) return { action: "watch", topics: [`job:${match[1]}`] };
    if (method !== "POST") return null;
    const id = match[1]!.replace(/\/(progress|finish)$/, "");
    return { action: "send", topics: [`job:${id}`] };
  }
  if (path === "/api/v1/processes" && method === "POST") {
    const task = url.searchParams.get("task") ?? "";
    const id = url.searchParams.get("id");
    return { action: "send", topics: [`task:${task}`, ...(id === null ? [] : [`process:${id}`])] };
  }
  if ((match = /^\/api\/v1\/processes\/(.+)$/.exec(path))) {
    if (watching) return { action: "watch", topics: [`process:${match[1]}`] };
    if (method === "DELETE") return { action: "send", topics: [`process:${match[1]}`] };
    if (method !== "POST") return null;
    const id = match[1]!.replace(/\/(output|status)$/, "");
    return { action: "send", topics: [`process:${id}`] };
  }
  if (path === "/api/v1/stats" && watching) return { action: "watch", topics: null };
  const first = path.split("/")[1] ?? "";
  if (!RESERVED.has(first)) return pipeTarget(path.slice(1), watching, sending);
  return null;
}

function pipeTarget(name: string, watching: boolean, sending: boolean): AccessTarget | null {
  if (!watching && !sending) return null;
  return { action: sending ? "send" : "watch", topics: [`pipe:${name}`] };
}
