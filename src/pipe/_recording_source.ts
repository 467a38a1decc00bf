// A test source for the relay's tests (fan_out_test, relay_source_test): it answers each pull
// with the next chunk, then closes or errors, and records its pulls and why it was cancelled.

/** What {@linkcode recordingSource} saw: every pull (the closing one too) and the cancel. */
export interface SourceRecord {
  pulls: number;
  cancelled: unknown;
}

/**
 * A stream of `chunks`, one per pull (no read-ahead: `highWaterMark` 0), that then closes, or
 * errors with `fail`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { recordingSource } from "./_recording_source.ts";
 * const { stream, record } = recordingSource([new Uint8Array([1])]);
 * assert.equal((await Array.fromAsync(stream)).length, 1);
 * assert.equal(record.pulls, 2);
 * ```
 */
export function recordingSource(
  chunks: Uint8Array[],
  options: { fail?: Error } = {},
): { stream: ReadableStream<Uint8Array>; record: SourceRecord } {
  const record: SourceRecord = { pulls: 0, cancelled: undefined };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks[record.pulls++];
      if (next) controller.enqueue(next);
      else if (options.fail) controller.error(options.fail);
      else controller.close();
    },
    cancel(reason) {
      record.cancelled = reason;
    },
  }, { highWaterMark: 0 });
  return { stream, record };
}
