import { RelaySource } from "./relay_source.ts";

/** Options for {@linkcode FanOut}. */
export interface FanOutOptions {
  /**
   * Chunks each output may hold before the source is paused. Memory per transfer is bounded by
   * this many chunks, whatever the number of outputs, since every output holds the same chunks.
   * @default 2
   */
  highWaterMark?: number;
  /** Called once when the source is done and every output still open has taken the last chunk. */
  onComplete?: () => void;
  /** Called once when the relay fails: the source errored, or every output went away. */
  onError?: (reason: Error) => void;
}

/**
 * Relays one source stream to `count` output streams without `tee()`: each chunk is read once
 * and the same `Uint8Array` is enqueued to every output still open. The next chunk is read only
 * when every open output has room, so the slowest reader paces the transfer and memory stays
 * bounded by a few chunks. It counts the bytes where it reads them: a separate counting stage
 * cost 12 % more CPU per GB with 8 simultaneous transfers (interval 4–22 %) and no measurable
 * difference with 32 (docs/performance.md, "Where the count is taken"). For the same reason the
 * source may be a {@linkcode RelaySource}: the sender's route reads its first chunk ahead and
 * learns when the upload ends on the one reader read here, with no stream stage in between.
 *
 * Cancel and error, both directions:
 * - the source errors: every output is errored with that reason (a reader must never mistake a
 *   truncated stream for a complete one) and `onError` is called;
 * - an output is cancelled: the others go on; when the last one is cancelled the source is
 *   cancelled and `onError` is called;
 * - {@linkcode FanOut.abort} errors every output and cancels the source.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FanOut } from "./fan_out.ts";
 * const fanOut = new FanOut(ReadableStream.from([new Uint8Array([1, 2]), new Uint8Array([3])]), 2);
 * const [a, b] = await Promise.all(fanOut.outputs.map((output) => Array.fromAsync(output)));
 * assert.deepEqual(a, b);
 * assert.equal(fanOut.bytes, 3);
 * ```
 */
export class FanOut {
  /** One stream per receiver. */
  readonly outputs: ReadableStream<Uint8Array>[];
  #source: RelaySource;
  #open = new Set<ReadableStreamDefaultController<Uint8Array>>();
  #controllers: ReadableStreamDefaultController<Uint8Array>[] = [];
  #highWaterMark: number;
  #bytes = 0;
  #delivered = 0;
  #reading = false;
  #sourceDone = false;
  #finished = false;
  #options: FanOutOptions;

  constructor(
    source: ReadableStream<Uint8Array> | RelaySource,
    count: number,
    options: FanOutOptions = {},
  ) {
    this.#source = source instanceof RelaySource ? source : new RelaySource(source);
    this.#options = options;
    this.#highWaterMark = options.highWaterMark ?? 2;
    const strategy = new CountQueuingStrategy({ highWaterMark: this.#highWaterMark });
    this.outputs = Array.from({ length: count }, () => {
      let own: ReadableStreamDefaultController<Uint8Array>;
      return new ReadableStream<Uint8Array>({
        start: (controller) => {
          own = controller;
          this.#open.add(controller);
          this.#controllers.push(controller);
        },
        pull: (controller) => this.#pull(controller),
        cancel: (reason) => this.#drop(own, reason),
      }, strategy);
    });
  }

  /** Bytes read from the source and handed to the outputs so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Outputs still open. */
  get open(): number {
    return this.#open.size;
  }

  /** Outputs that took the last chunk. */
  get delivered(): number {
    return this.#delivered;
  }

  /**
   * Errors every output and cancels the source, unless the source has already ended: then the
   * bytes are all here and the outputs still get them. Safe to call twice.
   */
  abort(reason: Error): void {
    if (!this.#sourceDone) this.#fail(reason);
  }

  /**
   * Errors output `index` (its receiver went away while a consumer still holds the stream); the
   * others go on, as when an output is cancelled.
   */
  cancelOutput(index: number, reason: Error): void {
    const controller = this.#controllers[index];
    if (!controller || !this.#open.has(controller)) return;
    this.#drop(controller, reason);
    try {
      controller.error(reason);
    } catch {
      // already errored or closed
    }
  }

  #pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> | void {
    if (!this.#sourceDone) return this.#pump();
    if (controller.desiredSize === this.#highWaterMark) this.#close(controller);
  }

  async #pump(): Promise<void> {
    if (this.#reading || this.#sourceDone || this.#finished) return;
    for (const controller of this.#open) {
      if ((controller.desiredSize ?? 0) <= 0) return;
    }
    this.#reading = true;
    let result: ReadableStreamReadResult<Uint8Array>;
    try {
      result = await this.#source.read();
    } catch (error) {
      this.#source.end();
      this.#fail(error instanceof Error ? error : new Error(String(error)));
      return;
    } finally {
      this.#reading = false;
    }
    if (result.done) this.#source.end();
    if (this.#finished) return;
    if (result.done) {
      this.#sourceDone = true;
      // An output whose queue still holds chunks closes in its own pull, once it has taken
      // them: the relay is complete only when every receiver has the last byte.
      for (const controller of this.#open) {
        if (controller.desiredSize === this.#highWaterMark) this.#close(controller);
      }
      return;
    }
    this.#bytes += result.value.byteLength;
    for (const controller of this.#open) controller.enqueue(result.value);
  }

  #close(controller: ReadableStreamDefaultController<Uint8Array>): void {
    if (!this.#open.delete(controller)) return;
    controller.close();
    this.#delivered++;
    this.#settle();
  }

  #drop(controller: ReadableStreamDefaultController<Uint8Array>, reason: unknown): void {
    if (!this.#open.delete(controller) || this.#finished) return;
    if (this.#open.size === 0 && this.#delivered === 0) {
      const why = reason instanceof Error ? reason.message : reason ? String(reason) : "";
      this.#fail(new Error(`All receivers disconnected${why ? ` (${why})` : ""}`));
      return;
    }
    // The one that went away may have been the slowest: the others may be waiting on it.
    if (this.#sourceDone) this.#settle();
    else this.#pump();
  }

  #settle(): void {
    if (this.#open.size > 0 || this.#finished) return;
    this.#finished = true;
    this.#options.onComplete?.();
  }

  #fail(reason: Error): void {
    if (this.#finished) return;
    this.#finished = true;
    for (const controller of this.#open) controller.error(reason);
    this.#open.clear();
    this.#source.cancel(reason).catch(() => {});
    this.#options.onError?.(reason);
  }
}
