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
 * An error as a status and one line: JSON `{"error": …}` for clients that ask for JSON,
 * plain text otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errorResponse } from "./respond.ts";
 * const res = errorResponse(new Request("http://h/"), 409, "Pipe 'a' already has a sender");
 * assert.equal(res.status, 409);
 * assert.equal(await res.text(), "Pipe 'a' already has a sender\n");
 * ```
 */
export function errorResponse(request: Request, status: number, message: string): Response {
  const wantsJson = (request.headers.get("accept") ?? "").includes("application/json") ||
    (URL.canParse(request.url) && new URL(request.url).searchParams.get("format") === "json");
  if (wantsJson) return Response.json({ error: message }, { status });
  return new Response(message + "\n", {
    status,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

/** The headers of every SSE response. */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache, no-transform",
  "x-accel-buffering": "no",
};
