import { badgeState, badgeSvg } from "./badge.ts";

/** The headers of every badge: an image that runs nothing, revalidated on each view. */
const BADGE_HEADERS = {
  "content-type": "image/svg+xml; charset=utf-8",
  "cache-control": "no-cache",
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'",
  "x-content-type-options": "nosniff",
} as const;

/**
 * 64 bits of FNV-1a over the text's UTF-16 code units, as hex: an ETag for a body we made
 * ourselves (no adversary picks it), computed without waiting on Web Crypto.
 */
function fnv64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    hash ^= BigInt(text.charCodeAt(i));
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, "0");
}

/** Whether `If-None-Match` names `etag` (weak comparison, as for a GET). */
function matches(ifNoneMatch: string | null, etag: string): boolean {
  if (ifNoneMatch === null) return false;
  if (ifNoneMatch.trim() === "*") return true;
  return ifNoneMatch.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag);
}

/**
 * Answers a badge request (`?format=svg` on a spectator URL, `/w/ID.svg`) from a topic's
 * snapshot: the label is `?label=` or the topic's kind — never its name, which a watch link
 * must not reveal — and the state comes from {@linkcode badgeState}. `ETag` is the body's
 * hash; a matching `If-None-Match` gets `304` without a body.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { badgeResponse } from "./badge_response.ts";
 * const snapshot = { kind: "job", id: "secret-name", state: "running", data: { progress: 42 } };
 * const res = badgeResponse(new Request("http://h/w/ID.svg?label=deploy"), snapshot);
 * assert.equal(res.headers.get("content-type"), "image/svg+xml; charset=utf-8");
 * const svg = await res.text();
 * assert.match(svg, /deploy: 42%/);
 * assert.equal(svg.includes("secret-name"), false);
 * const again = badgeResponse(
 *   new Request("http://h/w/ID.svg?label=deploy", { headers: { "if-none-match": res.headers.get("etag")! } }),
 *   snapshot,
 * );
 * assert.equal(again.status, 304);
 * ```
 */
export function badgeResponse(request: Request, snapshot: unknown): Response {
  const kind = (snapshot as { kind?: unknown } | null)?.kind;
  const label = new URL(request.url).searchParams.get("label") ||
    (typeof kind === "string" ? kind : "ringside");
  const svg = badgeSvg({ label, state: badgeState(snapshot) });
  const etag = `"${fnv64(svg)}"`;
  if (matches(request.headers.get("if-none-match"), etag)) {
    return new Response(null, {
      status: 304,
      headers: { etag, "cache-control": BADGE_HEADERS["cache-control"] },
    });
  }
  return new Response(svg, { headers: { ...BADGE_HEADERS, etag } });
}
