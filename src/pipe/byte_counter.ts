/**
 * Passes chunks through untouched and adds their length to {@linkcode ByteCounter.bytes}.
 * It dispatches nothing per chunk: whoever wants a rate samples `bytes` on a timer.
 *
 * Cancellation of the readable side is propagated to the writable side's source and an error
 * on either side errors the other, as with any `TransformStream`.
 *
 * The pipe relay itself counts inside {@linkcode FanOut}, which reads every chunk anyway; a
 * separate counting stage costs throughput (see the README's performance section). Use this
 * where bytes pass through a stream you do not otherwise read.
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
