/** How a spectator wants the state: a dashboard, one JSON snapshot, or an SSE stream. */
export type SpectateFormat = "html" | "json" | "sse";

/**
 * Picks the spectating format: `?format=html|json|sse` first, then `Accept`
 * (`text/event-stream` → SSE, `text/html` → dashboard, `application/json` → JSON), and SSE
 * for everything else (`*\/*`, no header).
 *
 * @returns the format, or `null` for an unknown `?format=`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { spectateFormat } from "./respond.ts";
 * assert.equal(spectateFormat(new Request("http://h/p?progress", { headers: { accept: "*\/*" } })), "sse");
 * assert.equal(spectateFormat(new Request("http://h/p?progress&format=json")), "json");
 * ```
 */
export function spectateFormat(request: Request): SpectateFormat | null {
  const format = new URL(request.url).searchParams.get("format");
  if (format !== null) {
    return format === "html" || format === "json" || format === "sse" ? format : null;
  }
  const accept = request.headers.get("accept") ?? "";
  if (accept.includes("text/event-stream")) return "sse";
  if (accept.includes("text/html")) return "html";
  if (accept.includes("application/json")) return "json";
  return "sse";
}

/**
 * The answer to a refused request, the one shape for every route: `{"error":"one line"}` JSON,
 * except on a pipe's own data path (`dataPath`: sending and receiving bytes), where curl users
 * read a line of text (JSON there too when the client asks for it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errorResponse } from "./respond.ts";
 * const request = new Request("http://h/api/v1/pipe/a", { method: "PUT" });
 * const line = errorResponse(request, 409, "Pipe 'a' already has a sender", { dataPath: true });
 * assert.equal(await line.text(), "Pipe 'a' already has a sender\n");
 * const json = errorResponse(new Request("http://h/api/v1/jobs/a"), 404, "Task not found");
 * assert.deepEqual(await json.json(), { error: "Task not found" });
 * ```
 */
export function errorResponse(
  request: Request,
  status: number,
  message: string,
  options: { dataPath?: boolean; headers?: Readonly<Record<string, string>> } = {},
): Response {
  const wantsJson = !options.dataPath ||
    (request.headers.get("accept") ?? "").includes("application/json") ||
    (URL.canParse(request.url) && new URL(request.url).searchParams.get("format") === "json");
  const response = wantsJson
    ? Response.json({ error: message }, { status })
    : new Response(message + "\n", {
      status,
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  for (const [key, value] of Object.entries(options.headers ?? {})) {
    response.headers.set(key, value);
  }
  return response;
}

/** The headers of every SSE response. */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache, no-transform",
  "x-accel-buffering": "no",
};
