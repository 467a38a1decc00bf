const encoder = new TextEncoder();

/** Where a request's token came from. */
export interface PresentedToken {
  token: string;
  /** `header`: `Authorization: Bearer`; `query`: `?token=` (accepted on GET and HEAD only). */
  from: "header" | "query";
}

/**
 * The token a request presents: `Authorization: Bearer TOKEN` (the scheme in any case), else
 * `?token=TOKEN` on GET and HEAD, because `EventSource` cannot send headers (an
 * `Authorization` of another scheme, a proxy's own `Basic`, leaves the query token in force). `?token=` on any
 * other method is ignored: a token in a URL ends up in proxies' and browsers' histories, so
 * only the requests that have no other way may use it.
 *
 * @returns the token, or `null` when there is none (an empty one is none).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bearerToken } from "./bearer.ts";
 * const header = new Request("http://h/p", { headers: { authorization: "bearer  abc " } });
 * assert.deepEqual(bearerToken(header), { token: "abc", from: "header" });
 * assert.deepEqual(bearerToken(new Request("http://h/p?token=xyz")), { token: "xyz", from: "query" });
 * assert.equal(bearerToken(new Request("http://h/p?token=xyz", { method: "PUT" })), null);
 * assert.equal(bearerToken(new Request("http://h/p", { headers: { authorization: "Basic eDp5" } })), null);
 * const behindProxy = new Request("http://h/p?token=xyz", { headers: { authorization: "Basic eDp5" } });
 * assert.deepEqual(bearerToken(behindProxy), { token: "xyz", from: "query" });
 * ```
 */
export function bearerToken(request: Request): PresentedToken | null {
  const header = request.headers.get("authorization");
  const match = header === null ? null : /^bearer\s+(\S+)\s*$/i.exec(header);
  if (match) return { token: match[1]!, from: "header" };
  if (request.method !== "GET" && request.method !== "HEAD") return null;
  const token = new URL(request.url).searchParams.get("token");
  return token ? { token, from: "query" } : null;
}

/**
 * Compares a presented secret with an expected one in time that depends only on the expected
 * one's length, so that a client cannot find a token byte by byte from response times.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { timingSafeEqual } from "./bearer.ts";
 * assert.equal(timingSafeEqual("s3cret", "s3cret"), true);
 * assert.equal(timingSafeEqual("s3creT", "s3cret"), false);
 * assert.equal(timingSafeEqual("s3cret-longer", "s3cret"), false);
 * assert.equal(timingSafeEqual("", "s3cret"), false);
 * ```
 */
export function timingSafeEqual(presented: string, expected: string): boolean {
  const a = encoder.encode(presented);
  const b = encoder.encode(expected);
  let difference = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) difference |= (a[i] ?? 0) ^ b[i]!;
  return difference === 0;
}
