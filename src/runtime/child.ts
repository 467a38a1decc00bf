// A runtime's child process as a ChildProcess: what both adapters do alike once it has started.

import type { ChildProcess, ChildStatus, ChildTerminal, Signal } from "./runtime.ts";

/** A runtime's started child, in the terms of {@linkcode ChildProcess}. */
export interface StartedChild {
  pid: number;
  stdout: ReadableStream<Uint8Array>;
  stderr: ReadableStream<Uint8Array>;
  terminal: ChildTerminal | null;
  /** Resolves when the child has ended. */
  status: Promise<ChildStatus>;
  /** Signals the child, or its whole group; may throw when it has ended meanwhile. */
  kill(signal: Signal): void;
}

/**
 * The {@linkcode ChildProcess} of a started child: `kill()` does nothing once the child has
 * ended, and never throws (a child that ends between the check and the signal is not an error).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { childProcess } from "./child.ts";
 * const signals: string[] = [];
 * const child = childProcess({
 *   pid: 7,
 *   stdout: ReadableStream.from([]),
 *   stderr: ReadableStream.from([]),
 *   terminal: null,
 *   status: Promise.resolve({ code: 0, signal: null }),
 *   kill: (signal) => signals.push(signal),
 * });
 * child.kill("SIGTERM");
 * assert.deepEqual(await child.status, { code: 0, signal: null });
 * child.kill("SIGKILL");
 * assert.deepEqual(signals, ["SIGTERM"]);
 * ```
 */
export function childProcess(child: StartedChild): ChildProcess {
  let ended = false;
  return {
    pid: child.pid,
    stdout: child.stdout,
    stderr: child.stderr,
    terminal: child.terminal,
    status: child.status.then((status) => {
      ended = true;
      return status;
    }),
    kill(signal) {
      if (ended) return;
      try {
        child.kill(signal);
      } catch {
        // ended in the meantime
      }
    },
  };
}

/**
 * A stream that has ended: a terminal child's stderr.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { endedStream } from "./child.ts";
 * assert.deepEqual(await Array.fromAsync(endedStream()), []);
 * ```
 */
export function endedStream(): ReadableStream<Uint8Array> {
  return new ReadableStream({ start: (controller) => controller.close() });
}
