// Reading a stream to its end: standard input passed on as it comes, or thrown away.

/**
 * Reads `stream` to its end and discards what it holds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { drain } from "./input.ts";
 * let pulls = 0;
 * await drain(
 *   new ReadableStream<Uint8Array>({
 *     pull: (controller) => ++pulls > 2 ? controller.close() : controller.enqueue(new Uint8Array(1)),
 *   }),
 * );
 * assert.equal(pulls, 3);
 * ```
 */
export async function drain(stream: ReadableStream<Uint8Array>): Promise<void> {
  for await (const _ of stream) {
    // discard
  }
}

/** Options for {@linkcode forward}. */
export interface ForwardOptions {
  /** Gets each chunk as it comes, until the end or the stop. */
  onData(bytes: Uint8Array): void;
  /** Called at the end of the stream, unless stopped before. */
  onEnd(): void;
  /** Called once, on the first stop: puts the terminal back in its mode. */
  restore(): void;
}

/**
 * Reads `stream` into `onData` until its end (`onEnd`) or until the function returned is
 * called, which cancels the stream and calls `restore` (once, however many times it is called).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { forward } from "./input.ts";
 * const chunks: number[] = [];
 * const { promise: ended, resolve } = Promise.withResolvers<void>();
 * forward(ReadableStream.from([new Uint8Array([1]), new Uint8Array([2])]), {
 *   onData: (bytes) => chunks.push(...bytes),
 *   onEnd: resolve,
 *   restore() {},
 * });
 * await ended;
 * assert.deepEqual(chunks, [1, 2]);
 * ```
 */
export function forward(
  stream: ReadableStream<Uint8Array>,
  { onData, onEnd, restore }: ForwardOptions,
): () => void {
  const reader = stream.getReader();
  let stopped = false;
  (async () => {
    try {
      for (let read = await reader.read(); !read.done; read = await reader.read()) {
        if (!stopped) onData(read.value);
      }
      if (!stopped) onEnd();
    } catch {
      // stopped, or standard input went away: there is nothing more to pass on
    }
  })();
  return () => {
    if (stopped) return;
    stopped = true;
    reader.cancel().catch(() => {});
    restore();
  };
}
