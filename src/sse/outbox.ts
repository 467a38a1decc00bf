/** Options for {@linkcode Outbox}. */
export interface OutboxOptions {
  /**
   * Bytes (a frame's `length`) that may wait; past it `onOverflow` is called once. `limit()`
   * moves the bound later. @default Infinity
   */
  maxBytes?: number;
  /**
   * The consumer is stalled when frames have waited this many ms with none taken: the outbox
   * closes and `onStall` is called. @default 30000
   */
  writeTimeout?: number;
  /** Called once when the waiting bytes first exceed `maxBytes`; the outbox goes on. */
  onOverflow?: () => void;
  /** Called once when the consumer stalled (after the outbox closed). */
  onStall?: () => void;
}

interface Entry<T> {
  /** `null` once discarded. */
  frame: T | null;
  /** Set while the entry is that slot's unsent frame. */
  slot?: string;
}

/**
 * The frames waiting for one slow consumer (an SSE socket, a WebSocket), so that a producer
 * never waits on it. Frames go out in the order they came, except that a latest-wins slot
 * (`replace`) holds one unsent frame that a newer one of the same slot replaces where it stands;
 * `push`ed frames are never replaced or dropped until taken; a slot held aside (`replaceAside`)
 * goes out only when nothing else waits. Sizes are each frame's `length`
 * (bytes for a `Uint8Array`, UTF-16 units for a string).
 *
 * A consumer that takes nothing for `writeTimeout` while frames wait is stalled: the outbox
 * closes and `onStall` is called. Past `maxBytes` waiting, `onOverflow` is called once and the
 * caller decides (end the stream after what is held, or cut the consumer off). `close()` drops
 * every waiting frame, stops the timer and refuses later frames; it is safe to call twice.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Outbox } from "./outbox.ts";
 * const outbox = new Outbox<string>();
 * outbox.push("state");
 * outbox.replace("progress", "10%");
 * outbox.replace("progress", "20%");
 * outbox.supersede("progress", "done");
 * assert.deepEqual([outbox.take(), outbox.take(), outbox.take()], ["state", "done", undefined]);
 * outbox.close();
 * ```
 */
export class Outbox<T extends { readonly length: number }> {
  #options: OutboxOptions;
  #queue: Entry<T>[] = [];
  #head = 0;
  #waiting = 0;
  #bytes = 0;
  #budget: number;
  #overflowed = false;
  #slots = new Map<string, Entry<T>>();
  /** Latest-wins frames that go out only when nothing else waits, oldest slot first. */
  #aside = new Map<string, T>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Since when the consumer owes a take: its last take, or the moment frames began to wait. */
  #since = 0;
  #closed = false;

  constructor(options: OutboxOptions = {}) {
    this.#options = options;
    this.#budget = options.maxBytes ?? Infinity;
  }

  /** Frames waiting. */
  get waiting(): number {
    return this.#waiting;
  }

  /** Bytes waiting. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Whether `close()` was called (or the consumer stalled). */
  get closed(): boolean {
    return this.#closed;
  }

  /** From now on at most `maxBytes` more than those waiting now may wait. */
  limit(maxBytes: number): void {
    this.#budget = this.#bytes + maxBytes;
  }

  /** Queues a frame that is never replaced nor dropped. */
  push(frame: T): void {
    if (this.#closed) return;
    this.#append({ frame });
  }

  /** Latest-wins: replaces the slot's unsent frame where it stands, or queues it in the slot. */
  replace(slot: string, frame: T): void {
    if (this.#closed) return;
    const entry = this.#slots.get(slot);
    if (entry) return this.#swap(entry, frame);
    const added: Entry<T> = { frame, slot };
    this.#slots.set(slot, added);
    this.#append(added);
  }

  /**
   * Latest-wins, held aside: the slot's frame goes out only when nothing else waits (news such
   * as an audience count, never ahead of the events).
   */
  replaceAside(slot: string, frame: T): void {
    if (this.#closed) return;
    const old = this.#aside.get(slot);
    if (old === undefined) {
      if (this.#waiting === 0) this.#since = Date.now();
      this.#waiting++;
      this.#timer ??= setTimeout(() => this.#onTimer(), this.#options.writeTimeout ?? 30_000);
    } else {
      this.#aside.delete(slot);
    }
    this.#aside.set(slot, frame);
    this.#bytes += frame.length - (old?.length ?? 0);
    this.#check();
  }

  /**
   * Replaces the slot's unsent frame where it stands (or queues it) with a frame nothing
   * replaces: a full snapshot, a final message.
   */
  supersede(slot: string, frame: T): void {
    if (this.#closed) return;
    const entry = this.#slots.get(slot);
    if (!entry) return this.#append({ frame });
    this.#slots.delete(slot);
    delete entry.slot;
    this.#swap(entry, frame);
  }

  /** Drops the slot's unsent frame, if any. */
  discard(slot: string): void {
    const aside = this.#aside.get(slot);
    if (aside !== undefined) {
      this.#aside.delete(slot);
      this.#bytes -= aside.length;
      this.#waiting--;
    }
    const entry = this.#slots.get(slot);
    if (!entry) return;
    this.#slots.delete(slot);
    this.#bytes -= entry.frame!.length;
    this.#waiting--;
    entry.frame = null;
  }

  /** The next frame, or `undefined` when none waits. */
  take(): T | undefined {
    const queue = this.#queue;
    while (this.#head < queue.length) {
      const entry = queue[this.#head++]!;
      if (entry.frame === null) continue;
      if (entry.slot !== undefined) this.#slots.delete(entry.slot);
      const frame = entry.frame;
      this.#bytes -= frame.length;
      this.#waiting--;
      this.#since = Date.now();
      this.#compact();
      return frame;
    }
    this.#compact();
    for (const [slot, frame] of this.#aside) {
      this.#aside.delete(slot);
      this.#bytes -= frame.length;
      this.#waiting--;
      this.#since = Date.now();
      return frame;
    }
    return undefined;
  }

  /**
   * The next frame and the pushed ones after it while together they fit in `maxBytes` (one
   * write for a burst of lines); a latest-wins frame goes alone, as the newest of its slot.
   */
  takeUpTo(maxBytes: number): T[] {
    const alone = this.#peek()?.slot !== undefined;
    const first = this.take();
    if (first === undefined) return [];
    const frames = [first];
    let size = first.length;
    while (!alone) {
      const next = this.#peek();
      if (!next || next.slot !== undefined || size + next.frame!.length > maxBytes) break;
      size += next.frame!.length;
      frames.push(this.take()!);
    }
    return frames;
  }

  /** Drops what waits and refuses what comes; safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queue = [];
    this.#head = 0;
    this.#slots.clear();
    this.#aside.clear();
    this.#waiting = 0;
    this.#bytes = 0;
  }

  #peek(): Entry<T> | undefined {
    for (let i = this.#head; i < this.#queue.length; i++) {
      if (this.#queue[i]!.frame !== null) return this.#queue[i];
    }
    return undefined;
  }

  #swap(entry: Entry<T>, frame: T): void {
    this.#bytes += frame.length - entry.frame!.length;
    entry.frame = frame;
    this.#check();
  }

  #append(entry: Entry<T>): void {
    if (this.#waiting === 0) this.#since = Date.now();
    this.#queue.push(entry);
    this.#waiting++;
    this.#bytes += entry.frame!.length;
    // One timer per wait, looked at when it fires, rather than one per frame.
    this.#timer ??= setTimeout(() => this.#onTimer(), this.#options.writeTimeout ?? 30_000);
    this.#check();
  }

  #check(): void {
    if (this.#overflowed || this.#bytes <= this.#budget) return;
    this.#overflowed = true;
    this.#options.onOverflow?.();
  }

  #onTimer(): void {
    this.#timer = undefined;
    if (this.#closed || this.#waiting === 0) return;
    const left = this.#since + (this.#options.writeTimeout ?? 30_000) - Date.now();
    if (left > 0) {
      this.#timer = setTimeout(() => this.#onTimer(), left);
      return;
    }
    this.close();
    this.#options.onStall?.();
  }

  /** An index instead of `shift()` keeps a long queue linear; the array is cut now and then. */
  #compact(): void {
    if (this.#head === this.#queue.length) {
      // Emptied in place: a new array each time the queue drains is an allocation per event.
      this.#queue.length = 0;
      this.#head = 0;
    } else if (this.#head > 4096) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }
}
