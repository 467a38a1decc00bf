/**
 * Whether a request came through a proxy: it carries `Forwarded`, `X-Forwarded-For`,
 * `X-Real-IP` or `Via`, which proxies add and direct clients do not send. A proxied sender is
 * answered only once its upload is over: see `RelaySource.ended` in src/pipe/relay_source.ts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isProxied } from "./proxied_sender.ts";
 * assert.equal(isProxied(new Request("http://h/p", { headers: { "x-forwarded-for": "1.2.3.4" } })), true);
 * assert.equal(isProxied(new Request("http://h/p")), false);
 * ```
 */
export function isProxied(request: Request): boolean {
  const headers = request.headers;
  return headers.has("forwarded") || headers.has("x-forwarded-for") ||
    headers.has("x-real-ip") || headers.has("via");
}
