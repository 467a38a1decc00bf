/**
 * A sender's body as {@linkcode FanOut} reads it: the body's one reader, with two promises the
 * route needs and no stream stage between the socket and the receivers.
 *
 * - {@linkcode RelaySource.readAhead}: a client that sent `Expect: 100-continue` sends no byte
 *   before the server says `100 Continue`, and Deno says it only when the body is first read. A
 *   route that answers before anything reads the body (a pipe sender's log, while no receiver is
 *   here yet) would make `curl` wait its 1 s expect timeout. So the route starts the first read
 *   now and answers once it settles; the relay's first read later takes that pending one, so
 *   nothing is read twice or lost.
 * - {@linkcode RelaySource.ended}: nginx (1.22) stops sending a request body to the upstream
 *   once it has passed the upstream's response headers on, so a sender answered before its
 *   upload ended stalls at the first full socket buffer (~4 MB). Behind a proxy the route
 *   therefore answers only once the upload is over, however it ends.
 *
 * Both used to be a JavaScript pull stream each in front of the relay: every chunk went through
 * one or two more stream queues, which cost the relay 5–7 % (docs/performance.md, "The relay
 * regression"). Here they are a pending read and a promise on the one reader the relay uses.
 *
 * Cancel and error: {@linkcode RelaySource.cancel} cancels the body (a pending read then ends as
 * done) and settles `ended`; a read that fails rejects with the body's error, which the relay
 * passes on to every receiver, and the relay's {@linkcode RelaySource.end} then settles `ended`,
 * as after the last chunk. `readAhead()`'s promise settles in every one of these cases, and never
 * rejects.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RelaySource } from "./relay_source.ts";
 * const source = new RelaySource(ReadableStream.from([new Uint8Array([1, 2])]));
 * await source.readAhead();
 * assert.deepEqual((await source.read()).value, new Uint8Array([1, 2]));
 * assert.equal((await source.read()).done, true);
 * source.end();
 * await source.ended;
 * ```
 */
export class RelaySource {
  /** Settles once the body was read to its end, failed, or was cancelled; never rejects. */
  readonly ended: Promise<void>;
  #body: ReadableStream<Uint8Array> | null;
  #reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  #first: Promise<ReadableStreamReadResult<Uint8Array>> | null = null;
  #started: Promise<void> | null = null;
  #end: () => void;

  /** `body` may be `null` (a request without one): then it is an empty body. */
  constructor(body: ReadableStream<Uint8Array> | null) {
    this.#body = body;
    const { promise, resolve } = Promise.withResolvers<void>();
    this.ended = promise;
    this.#end = resolve;
  }

  /**
   * Asks for the first chunk now, without waiting for a reader; resolves once it arrived, the
   * body ended or failed, or it was cancelled. Safe to call twice.
   */
  readAhead(): Promise<void> {
    if (this.#started) return this.#started;
    const reader = this.#open();
    if (!reader) return this.#started = Promise.resolve();
    const first = reader.read();
    this.#first = first;
    this.#started = first.then(() => {}, () => {});
    return this.#started;
  }

  /**
   * The next chunk: the one {@linkcode readAhead} asked for first, if it did. The reader's own
   * promise, unwrapped (this is the relay's hot path): whoever reads calls
   * {@linkcode RelaySource.end} when a read is done or fails.
   */
  read(): Promise<ReadableStreamReadResult<Uint8Array>> {
    const first = this.#first;
    if (first) {
      this.#first = null;
      return first;
    }
    const reader = this.#open();
    return reader ? reader.read() : Promise.resolve({ done: true, value: undefined });
  }

  /** The body was read to its end, or a read failed: settles `ended`. Safe to call twice. */
  end(): void {
    this.#end();
  }

  /** Cancels the body (a pending read ends as done) and settles `ended`. Safe to call twice. */
  async cancel(reason?: unknown): Promise<void> {
    const reader = this.#open();
    this.#end();
    await reader?.cancel(reason);
  }

  #open(): ReadableStreamDefaultReader<Uint8Array> | null {
    if (!this.#reader && this.#body) {
      this.#reader = this.#body.getReader();
      this.#body = null;
    }
    return this.#reader;
  }
}
