const encoder = new TextEncoder();
const DOT = encoder.encode(".");

/**
 * The sender's response body: plain-text lines of what happens to its transfer.
 *
 * `end()` closes it (curl exits 0). `fail(line)` writes a last line and then errors the stream
 * so the response ends abnormally (curl exits non-zero), but only once the runtime has taken
 * every queued line: erroring at once would throw the explanation away. Cancelling the stream
 * (the sender went away) calls `onCancel`. Every method is safe to call after the end.
 *
 * `probe()` writes one `.` on the current line (the next line starts on a new one): the only
 * way to learn that a waiting sender has gone when its body is not being read, since the
 * runtime notices a closed connection only when a write to it fails.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SenderLog } from "./sender_log.ts";
 * const log = new SenderLog();
 * log.say("[INFO] Waiting");
 * log.fail("[ERROR] No receiver came");
 * const reader = log.stream.getReader();
 * const line = async () => new TextDecoder().decode((await reader.read()).value);
 * assert.equal(await line(), "[INFO] Waiting\n");
 * assert.equal(await line(), "[ERROR] No receiver came\n");
 * await assert.rejects(reader.read());
 * ```
 */
export class SenderLog {
  readonly stream: ReadableStream<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #ended = false;
  #midLine = false;
  #failure: Error | null = null;

  constructor(onCancel: () => void = () => {}) {
    this.stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      pull: (controller) => {
        // Called once the runtime took the queued lines: now the error can go out.
        if (this.#failure && controller.desiredSize === 1) {
          setTimeout(() => controller.error(this.#failure), 0);
        }
      },
      cancel: () => {
        this.#ended = true;
        onCancel();
      },
    });
  }

  /** Writes one line. */
  say(line: string): void {
    if (this.#ended) return;
    this.#controller.enqueue(encoder.encode((this.#midLine ? "\n" : "") + line + "\n"));
    this.#midLine = false;
  }

  /** Writes a `.`: a sign of life to a waiting sender, and a write that fails if it left. */
  probe(): void {
    if (this.#ended) return;
    this.#controller.enqueue(DOT);
    this.#midLine = true;
  }

  /** Ends the log normally. */
  end(line?: string): void {
    if (line !== undefined) this.say(line);
    if (this.#ended) return;
    this.#ended = true;
    this.#controller.close();
  }

  /** Writes `line`, then errors the log once the runtime has taken it. */
  fail(line: string): void {
    if (this.#ended) return;
    this.say(line);
    this.#ended = true;
    this.#failure = new Error(line);
    if (this.#controller.desiredSize === 1) {
      setTimeout(() => this.#controller.error(this.#failure), 0);
    }
  }
}
