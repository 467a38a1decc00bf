import { formatFlagDuration } from "../flag_units.ts";
import type { ChildProcess } from "../runtime/runtime.ts";
import { HttpError } from "../http_error.ts";
import type { Entry } from "../tracker.ts";
import { exitOf } from "./exit_status.ts";
import { LineDecoder } from "./line_splitter.ts";
import { ProcessTopic } from "./process_topic.ts";

/** Options for {@linkcode Process}. */
export interface ProcessOptions {
  /** Lines kept for latecomers. @default 1000 */
  historyLines?: number;
  /** Bytes of line text kept for latecomers (`--history-bytes`). @default 1048576 */
  historyBytes?: number;
  /** At most one `spectators` event per this many ms (`--progress-interval`). @default 250 */
  progressInterval?: number;
  /**
   * A running process with no post, no open output stream and no child for this long fails
   * (a crashed publisher cannot leave it running forever). @default 3600000
   */
  idle?: number;
  /** How long a stopped task has between SIGTERM and SIGKILL. @default 5000 */
  killGrace?: number;
  /** Called when the process changes in a way the registry counts; the tracker listens. */
  onChange?: (process: Process) => void;
}

/** What {@linkcode Process.stop} found. */
export type StopResult = "stopping" | "not-ours" | "ended";

/**
 * One process id in the registry: its current {@linkcode ProcessTopic}, the output streams
 * posting to it now, and — for a named task this server started — the child process.
 *
 * A process posted from elsewhere (`ringside run`, curl) ends with the first final status
 * posted. A task ends when its child does: `exited` with its code, or `killed` (128+N for
 * signal N, or whatever code it chose once {@linkcode Process.stop} asked it to stop).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Process } from "./process.ts";
 * const process = new Process("deploy");
 * process.topic.output("stdout", "hello");
 * process.topic.setStatus("exited", 0);
 * assert.equal(process.busy, false);
 * process.abort("shutdown");
 * ```
 */
export class Process implements Entry {
  readonly kind = "process" as const;
  readonly name: string;
  #options: ProcessOptions;
  #topic: ProcessTopic;
  #streams = 0;
  #child: ChildProcess | null = null;
  #stopping = false;
  #killTimer: ReturnType<typeof setTimeout> | undefined;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #lastActivity = Date.now();

  constructor(name: string, options: ProcessOptions = {}) {
    this.name = name;
    this.#options = options;
    this.#topic = this.#newTopic();
  }

  /** The current run, or the last one after it ended. */
  get topic(): ProcessTopic {
    return this.#topic;
  }

  /** Whether this run is still going (no final status yet). */
  get busy(): boolean {
    return !this.#topic.ended;
  }

  /** Whether this server started it as a named task. */
  get isTask(): boolean {
    return this.#child !== null;
  }

  /** Notes a post or a chunk of output (the idle clock starts again). */
  touch(): void {
    this.#lastActivity = Date.now();
  }

  /**
   * Reads one posted output stream to its end, one `output` event per line as it arrives.
   *
   * @returns the lines taken, or `null` when a final status came first (the rest of the body
   * is cancelled).
   * @throws {HttpError} 400 when the body breaks off (the publisher went away): the lines so
   * far stand.
   */
  async readOutput(
    body: ReadableStream<Uint8Array>,
    stream: "stdout" | "stderr",
  ): Promise<number | null> {
    this.#streams++;
    const topic = this.#topic;
    const decoder = new LineDecoder();
    let lines = 0;
    let refused = false;
    // Every line of a chunk in one go: no promise per line.
    const onLine = (line: string, bytes: number) => {
      if (refused) return;
      if (topic.output(stream, line, bytes)) lines++;
      else refused = true;
    };
    const reader = body.getReader();
    try {
      while (!refused) {
        const { done, value } = await reader.read();
        if (done) {
          decoder.end(onLine);
          break;
        }
        decoder.push(value, onLine);
        this.#lastActivity = Date.now();
      }
      if (refused) {
        reader.cancel().catch(() => {});
        return null;
      }
      return lines;
    } catch {
      // Nobody reads this answer: the publisher is gone.
      throw new HttpError(400, "Output stream ended early");
    } finally {
      reader.releaseLock();
      this.#streams--;
      this.touch();
    }
  }

  /**
   * Starts a fresh run if the last one ended (a task started again under the same id).
   *
   * @returns `false` when the current run is still going.
   */
  renew(): boolean {
    if (!this.#topic.ended) return false;
    this.#topic = this.#newTopic();
    this.#options.onChange?.(this);
    return true;
  }

  /**
   * Runs a task's child, which `start` starts, as this process: its stdout and stderr become
   * output lines, its end the final status. A child that cannot start (`start` throws) fails
   * the run with a line that says why. Call on a fresh run.
   */
  runChild(command: string, start: () => ChildProcess): void {
    let child: ChildProcess;
    try {
      child = start();
    } catch (error) {
      this.#topic.output("stderr", `ringside: cannot run '${command}': ${error}`);
      this.finish("failed", null);
      return;
    }
    this.#child = child;
    const topic = this.#topic;
    const read = (stream: "stdout" | "stderr") =>
      this.readOutput(stream === "stdout" ? child.stdout : child.stderr, stream).catch(() => null);
    const reading = Promise.all([read("stdout"), read("stderr")]);
    child.status.then(async (ended) => {
      // Take the last lines first; a grandchild holding the pipes open gets 2 s.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([reading, new Promise((resolve) => timer = setTimeout(resolve, 2000))]);
      clearTimeout(timer);
      clearTimeout(this.#killTimer);
      const { status, exitCode } = exitOf(ended);
      topic.setStatus(this.#stopping ? "killed" : status, exitCode);
      if (this.#topic === topic) this.#child = null;
      this.#changed(topic);
    });
  }

  /**
   * Stops a task this server started: SIGTERM, then SIGKILL after the grace period. Its
   * status becomes `killed` when it ends.
   */
  stop(): StopResult {
    if (this.#topic.ended) return "ended";
    const child = this.#child;
    if (child === null) return "not-ours";
    if (this.#stopping) return "stopping";
    this.#stopping = true;
    child.kill("SIGTERM");
    this.#killTimer = setTimeout(() => child.kill("SIGKILL"), this.#options.killGrace ?? 5000);
    return "stopping";
  }

  /** Records a final status and tells the registry. @returns `false` if one came first. */
  finish(status: "exited" | "killed" | "failed", exitCode: number | null): boolean {
    const topic = this.#topic;
    if (!topic.setStatus(status, exitCode)) return false;
    this.#changed(topic);
    return true;
  }

  /** Fails the run now (shutdown); a task's child gets SIGKILL. Safe to call twice. */
  abort(reason: string): void {
    this.#child?.kill("SIGKILL");
    if (!this.#topic.ended) {
      this.#topic.output("stderr", `ringside: ${reason}`);
      this.finish("failed", null);
    }
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#killTimer);
  }

  #newTopic(): ProcessTopic {
    const topic = new ProcessTopic(this.name, {
      historyLines: this.#options.historyLines ?? 1000,
      historyBytes: this.#options.historyBytes ?? 1_048_576,
      progressInterval: this.#options.progressInterval ?? 250,
    });
    this.#stopping = false;
    this.touch();
    this.#watchIdle(topic);
    return topic;
  }

  #changed(topic: ProcessTopic): void {
    if (topic.ended && topic === this.#topic) clearTimeout(this.#idleTimer);
    this.#options.onChange?.(this);
  }

  #watchIdle(topic: ProcessTopic): void {
    const idle = this.#options.idle ?? 60 * 60_000;
    clearTimeout(this.#idleTimer);
    const check = () => {
      if (topic !== this.#topic || topic.ended) return;
      const quiet = Date.now() - this.#lastActivity;
      if (this.#streams > 0 || this.#child !== null) {
        this.#idleTimer = setTimeout(check, idle);
        return;
      }
      if (quiet < idle) {
        this.#idleTimer = setTimeout(check, idle - quiet);
        return;
      }
      topic.output("stderr", `ringside: no output or status for ${formatFlagDuration(idle)}`);
      this.finish("failed", null);
    };
    this.#idleTimer = setTimeout(check, idle);
  }
}
