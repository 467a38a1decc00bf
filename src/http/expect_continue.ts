import type { ChunkReader } from "../pipe/fan_out.ts";

/**
 * Whether the request waits for `100 Continue` before it sends its body.
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

/** What {@linkcode readAhead} returns. */
export interface ReadAhead {
  /** Reads `body` from its first chunk on, as a reader of it would. */
  reader: ChunkReader;
  /** Settles when the first chunk arrived, the body ended or errored, or it was cancelled. */
  started: Promise<void>;
}

/**
 * Starts reading `body` now, without waiting for anyone to want the bytes.
 *
 * Why: a client that sent `Expect: 100-continue` sends no byte before the server says
 * `100 Continue`, and Deno says it only when the body is first read. A handler that answers
 * before anything reads the body (a pipe sender's log, while no receiver is here yet) would
 * make `curl` wait its 1 s expect timeout. So the handler reads ahead, answers once `started`
 * settles, and hands `reader` to whoever takes the bytes later: its first `read()` returns the
 * chunk already asked for, so nothing is read twice or lost.
 *
 * `reader.cancel()` cancels the body and ends a pending read, so `started` always settles once
 * the body is given up.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readAhead } from "./expect_continue.ts";
 * const { reader, started } = readAhead(ReadableStream.from([new Uint8Array([1, 2])]));
 * await started;
 * assert.deepEqual(await reader.read(), { done: false, value: new Uint8Array([1, 2]) });
 * assert.equal((await reader.read()).done, true);
 * ```
 */
export function readAhead(body: ReadableStream<Uint8Array>): ReadAhead {
  const inner = body.getReader();
  let first: Promise<ReadableStreamReadResult<Uint8Array>> | null = inner.read();
  const started = first.then(() => {}, () => {});
  const reader: ChunkReader = {
    read() {
      const result = first ?? inner.read();
      first = null;
      return result;
    },
    cancel: (reason) => inner.cancel(reason),
  };
  return { reader, started };
}
