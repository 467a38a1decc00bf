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
  /** `body` from its first chunk on: the same bytes, the first one already asked for. */
  body: ReadableStream<Uint8Array>;
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
 * settles, and hands the returned `body` to whoever takes the bytes later: its first chunk is
 * the one already asked for, so nothing is read twice or lost.
 *
 * Cancelling the returned `body` cancels the original one and ends a pending read, so `started`
 * always settles once the body is given up; an error of the original errors the returned one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readAhead } from "./expect_continue.ts";
 * const { body, started } = readAhead(ReadableStream.from([new Uint8Array([1, 2])]));
 * await started;
 * assert.deepEqual(await Array.fromAsync(body), [new Uint8Array([1, 2])]);
 * ```
 */
export function readAhead(body: ReadableStream<Uint8Array>): ReadAhead {
  const reader = body.getReader();
  let first: Promise<ReadableStreamReadResult<Uint8Array>> | null = reader.read();
  const started = first.then(() => {}, () => {});
  // Two chunks of slack, as FanOut gives each receiver: with none, every chunk waited for the
  // socket read behind it, and 32 simultaneous uploads ran at about half speed.
  const ahead = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const result = await (first ?? reader.read());
      first = null;
      if (result.done) controller.close();
      else controller.enqueue(result.value);
    },
    cancel: (reason) => reader.cancel(reason),
  }, new CountQueuingStrategy({ highWaterMark: 2 }));
  return { body: ahead, started };
}
