/**
 * Whether the request waits for `100 Continue` before it sends its body (then the pipe route
 * reads its first chunk ahead: see `RelaySource.readAhead` in src/pipe/relay_source.ts).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { expectsContinue } from "./expect_continue.ts";
 * const put = (expect: string) => new Request("http://h/p", { method: "PUT", headers: { expect } });
 * assert.equal(expectsContinue(put("100-Continue")), true);
 * assert.equal(expectsContinue(new Request("http://h/p")), false);
 * ```
 */
export function expectsContinue(request: Request): boolean {
  return request.headers.get("expect")?.toLowerCase() === "100-continue";
}
