/**
 * Passes chunks through untouched and adds their length to {@linkcode ByteCounter.bytes}.
 * It dispatches nothing per chunk: whoever wants a rate samples `bytes` on a timer.
 *
 * Cancel and error, both directions, as with any `TransformStream` used with `pipeThrough`:
 * cancelling the readable side cancels the source with the same reason; the source erroring
 * errors the readable side. The count stays what had passed by then.
 *
 * The pipe relay counts here: a sender's body is piped through one of these into the
 * `FanOut`, and the pipe's topic samples `bytes` every `progressInterval`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ByteCounter } from "./byte_counter.ts";
 * const counter = new ByteCounter();
 * const chunks = await Array.fromAsync(
 *   ReadableStream.from([new Uint8Array(3), new Uint8Array(4)]).pipeThrough(counter),
 * );
 * assert.equal(chunks.length, 2);
 * assert.equal(counter.bytes, 7);
 * ```
 */
export class ByteCounter extends TransformStream<Uint8Array, Uint8Array> {
  #bytes = 0;

  constructor() {
    super({
      transform: (chunk, controller) => {
        this.#bytes += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
  }

  /** Bytes that have passed so far. */
  get bytes(): number {
    return this.#bytes;
  }
}
