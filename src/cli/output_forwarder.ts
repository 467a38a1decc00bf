import { answerError } from "../client/client.ts";
/** Options for {@linkcode OutputForwarder}. */
export interface OutputForwarderOptions {
  /** The output URL, with its query (`…/output?stream=stdout`). */
  url: string;
  /** Request headers (`Authorization`). */
  headers?: Record<string, string>;
  /** Bytes held for the server at most; past it whole lines are dropped. @default 1048576 */
  maxBufferBytes?: number;
  /** Called once when the server cannot take the output any more (unreachable, refused). */
  onError?: (error: Error) => void;
}

const LF = 0x0a;
const NEWLINE = new Uint8Array([LF]);
/** One request body chunk joins queued chunks up to this size. */
const CHUNK = 256 * 1024;

/**
 * Streams one output stream of a command (stdout or stderr) to
 * `POST /api/v1/processes/{id}/output` as it comes, without ever making the command wait.
 *
 * {@linkcode OutputForwarder.push} never waits: the bytes join a queue of at most
 * `maxBufferBytes` that one streaming request body drains at the server's pace. When the
 * server cannot keep up and the queue is full, whole lines are dropped (the line in progress is
 * finished first, or cut with a newline if it alone would overflow) until the queue is half
 * empty; then the request body ends at that line boundary and the next request carries
 * `?missed=K`, which the server turns into a `gap` event of K lines at that place.
 *
 * Errors: when the server is unreachable, refuses (`409` after a final status, `401`…) or goes
 * away, `onError` is called once, the queue is emptied and later pushes are ignored; the
 * command's own output is never affected. {@linkcode OutputForwarder.finish} ends the last
 * request once everything queued is sent.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OutputForwarder } from "./output_forwarder.ts";
 * let error: Error | undefined;
 * const forwarder = new OutputForwarder({
 *   url: "http://127.0.0.1:9/api/v1/processes/x/output",
 *   onError: (e) => error = e,
 * });
 * forwarder.push(new TextEncoder().encode("hello\n"));
 * await forwarder.finish();
 * assert.ok(error); // nothing listens on port 9
 * ```
 */
export class OutputForwarder {
  #options: OutputForwarderOptions;
  #max: number;
  /** Chunks to send, and gap markers (a number: lines dropped at that place). */
  #items: (Uint8Array | number)[] = [];
  #head = 0;
  #queued = 0;
  #queuedEndsMidLine = false;
  #dropping = false;
  #dropped = 0;
  #droppedEndsMidLine = false;
  #droppedTotal = 0;
  #finishing = false;
  #dead = false;
  #wake: (() => void) | null = null;
  /** What ended the current request body: a gap marker, or `null` for the end. */
  #nextMissed: number | null = null;
  #done: Promise<void>;

  constructor(options: OutputForwarderOptions) {
    this.#options = options;
    this.#max = options.maxBufferBytes ?? 1024 * 1024;
    this.#done = this.#send();
  }

  /** Lines dropped so far because the server could not keep up. */
  get dropped(): number {
    return this.#droppedTotal;
  }

  /** Whether the server stopped taking output (see `onError`). */
  get dead(): boolean {
    return this.#dead;
  }

  /** Queues a chunk of output for the server. Never waits; drops whole lines when full. */
  push(chunk: Uint8Array): void {
    if (this.#dead || this.#finishing || chunk.length === 0) return;
    if (!this.#dropping) {
      if (this.#queued + chunk.length <= this.#max) {
        this.#enqueue(chunk);
        return;
      }
      let keep = 0;
      if (this.#queuedEndsMidLine) {
        const newline = chunk.indexOf(LF);
        if (newline >= 0 && newline < CHUNK) keep = newline + 1;
        else this.#enqueue(NEWLINE);
      }
      if (keep > 0) this.#enqueue(chunk.subarray(0, keep));
      this.#dropping = true;
      this.#drop(chunk.subarray(keep));
      return;
    }
    if (this.#queued > this.#max / 2) {
      this.#drop(chunk);
      return;
    }
    // Room again: resume at the next line boundary, after a gap marker.
    let start = 0;
    if (this.#droppedEndsMidLine) {
      const newline = chunk.indexOf(LF);
      if (newline < 0) {
        this.#drop(chunk);
        return;
      }
      this.#drop(chunk.subarray(0, newline + 1));
      start = newline + 1;
    }
    this.#endDrop();
    if (start < chunk.length) this.#enqueue(chunk.subarray(start));
  }

  /**
   * Sends what is queued, ends the request, and resolves when the server has answered it (or
   * the forwarder is dead). A line in progress is sent as the last line.
   */
  finish(): Promise<void> {
    if (!this.#finishing) {
      if (this.#dropping) {
        // A dropped line in progress counts as a line.
        if (this.#droppedEndsMidLine) {
          this.#dropped++;
          this.#droppedTotal++;
        }
        this.#endDrop();
      }
      this.#finishing = true;
      this.#wake?.();
    }
    return this.#done;
  }

  /**
   * Gives up on what is still queued (the command has ended and the server is slow): those
   * lines become one gap, so that the last request ends soon. Only after
   * {@linkcode OutputForwarder.finish}.
   */
  cut(): void {
    if (!this.#finishing || this.#dead) return;
    let lines = 0;
    let endsMidLine = false;
    for (let i = this.#head; i < this.#items.length; i++) {
      const item = this.#items[i]!;
      if (typeof item === "number") {
        lines += item;
        continue;
      }
      for (let at = item.indexOf(LF); at >= 0; at = item.indexOf(LF, at + 1)) lines++;
      endsMidLine = item[item.length - 1] !== LF;
    }
    if (endsMidLine) lines++;
    this.#items = lines > 0 ? [lines] : [];
    this.#head = 0;
    this.#queued = 0;
    this.#droppedTotal += lines;
    this.#wake?.();
  }

  #enqueue(bytes: Uint8Array): void {
    this.#items.push(bytes);
    this.#queued += bytes.length;
    this.#queuedEndsMidLine = bytes[bytes.length - 1] !== LF;
    this.#wake?.();
  }

  #drop(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    let lines = 0;
    for (let at = bytes.indexOf(LF); at >= 0; at = bytes.indexOf(LF, at + 1)) lines++;
    this.#dropped += lines;
    this.#droppedTotal += lines;
    this.#droppedEndsMidLine = bytes[bytes.length - 1] !== LF;
  }

  /** Called at a line boundary: what was dropped becomes a gap marker in the queue. */
  #endDrop(): void {
    this.#dropping = false;
    if (this.#dropped > 0) {
      this.#items.push(this.#dropped);
      this.#wake?.();
    }
    this.#dropped = 0;
    this.#droppedEndsMidLine = false;
    this.#queuedEndsMidLine = false;
  }

  #die(error: unknown): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#items = [];
    this.#head = 0;
    this.#queued = 0;
    this.#options.onError?.(error instanceof Error ? error : new Error(String(error)));
  }

  async #send(): Promise<void> {
    let missed = 0;
    while (!this.#dead) {
      const url = missed > 0 ? `${this.#options.url}&missed=${missed}` : this.#options.url;
      const body = new ReadableStream<Uint8Array>({
        pull: (controller) => this.#pull(controller),
      }, { highWaterMark: 0 });
      try {
        const response = await fetch(url, {
          method: "POST",
          body,
          headers: { "content-type": "text/plain; charset=utf-8", ...this.#options.headers },
          duplex: "half",
        } as RequestInit);
        if (!response.ok) {
          const error = await answerError(response);
          throw new Error(`${error.status} ${error.message}`);
        }
        await response.body?.cancel();
      } catch (error) {
        this.#die(error);
        return;
      }
      if (this.#nextMissed === null) return;
      missed = this.#nextMissed;
      this.#nextMissed = null;
    }
  }

  async #pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    while (!this.#dead) {
      const items = this.#items;
      if (this.#head < items.length) {
        const first = items[this.#head]!;
        if (typeof first === "number") {
          // A gap: end this body here; the next request reports it.
          this.#head++;
          this.#compact();
          this.#nextMissed = first;
          controller.close();
          return;
        }
        let end = this.#head + 1;
        let size = first.length;
        while (end < items.length) {
          const next = items[end]!;
          if (typeof next === "number" || size + next.length > CHUNK) break;
          size += next.length;
          end++;
        }
        let chunk = first;
        if (end > this.#head + 1) {
          chunk = new Uint8Array(size);
          let offset = 0;
          for (let i = this.#head; i < end; i++) {
            const piece = items[i] as Uint8Array;
            chunk.set(piece, offset);
            offset += piece.length;
          }
        }
        this.#head = end;
        this.#queued -= size;
        this.#compact();
        controller.enqueue(chunk);
        return;
      }
      if (this.#finishing) {
        controller.close();
        return;
      }
      await new Promise<void>((resolve) => this.#wake = resolve);
      this.#wake = null;
    }
    controller.close();
  }

  #compact(): void {
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 4096) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
