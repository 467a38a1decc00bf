/**
 * Who may put a page in a frame: nobody for the full pages (a dashboard, the front page and its
 * forms cannot be framed and clickjacked), anybody for a page asked for with `?embed` (the live
 * card alone, meant for another site's `<iframe>`). `frame-ancestors` works in a header only
 * (a `<meta>` policy ignores it); `X-Frame-Options` is for browsers that predate it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { framingHeaders } from "./framing.ts";
 * assert.deepEqual(framingHeaders(false), {
 *   "content-security-policy": "frame-ancestors 'none'",
 *   "x-frame-options": "DENY",
 * });
 * assert.deepEqual(framingHeaders(true), { "content-security-policy": "frame-ancestors *" });
 * ```
 */
export function framingHeaders(embed: boolean): Record<string, string> {
  return embed
    ? { "content-security-policy": "frame-ancestors *" }
    : { "content-security-policy": "frame-ancestors 'none'", "x-frame-options": "DENY" };
}
