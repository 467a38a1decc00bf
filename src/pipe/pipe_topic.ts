import { RateEstimator } from "../progress/rate.ts";
import type { PipeSnapshot, PipeState } from "../progress/snapshot.ts";
import type { Replay } from "../progress/replay.ts";
import { Topic } from "../progress/topic.ts";

/** Options for {@linkcode PipeTopic}. */
export interface PipeTopicOptions {
  /**
   * How often bytes are sampled and `progress` may be emitted, in ms; also the most often
   * spectators are told that their number changed. 0: on every turn of the runtime's timers (1 ms
   * at the least; every ~9 ms while a full-speed relay keeps Bun busy), whenever bytes moved.
   * @default 250
   */
  progressInterval?: number;
  /** The clock, for tests. @default Date.now */
  now?: () => number;
}

/** Who is connected while the pipe waits. */
export interface PipeWaiting {
  receivers: number;
  receiversExpected: number;
  hasSender: boolean;
}

/** The event types of a pipe topic. */
export const PIPE_EVENTS = ["state", "progress", "done", "error"] as const;

/** Every pipe event is a snapshot: the newest greets, as a `state` event. */
const PIPE_REPLAY: Replay = { backlog: [], greetAs: "state", snapshot: "data" };

function nothing(): number {
  return 0;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/**
 * One run of a pipe as spectators see it: the state machine
 * `idle → waiting → streaming → complete | failed` and a sampler that reads the relay's byte
 * count every `progressInterval` and emits `progress` only when bytes moved. A pipe has no
 * publishes to pass on one by one: its progress is the count, which moves with every chunk, and
 * an event per chunk would cost more than the relay. So `progressInterval` 0 samples as often
 * as the runtime's timers turn, which is what "no coalescing" can mean for a count.
 *
 * Events: `state` when the state or the waiting receivers change, and when the number of
 * spectators changes (at most once per `progressInterval`, see {@linkcode Topic}), `progress`
 * while bytes move, then exactly one of `done` or `error` (terminal). Every event's data is a
 * full {@linkcode PipeSnapshot}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PipeTopic } from "./pipe_topic.ts";
 * const topic = new PipeTopic("backup");
 * topic.wait({ receivers: 0, receiversExpected: 1, hasSender: true });
 * let bytes = 0;
 * topic.start({ bytes: () => bytes, receivers: () => 1, total: 10 });
 * bytes = 10;
 * topic.complete();
 * const done = topic.snapshot();
 * assert.deepEqual([done.state, done.bytes, done.percent], ["complete", 10, 100]);
 * ```
 */
export class PipeTopic extends Topic {
  /** How another node replays its events (see {@linkcode Replay}). */
  override get replay(): Replay {
    return PIPE_REPLAY;
  }

  #state: PipeState = "idle";
  #now: () => number;
  #interval: number;
  #rate: RateEstimator | null = new RateEstimator();
  #timer: ReturnType<typeof setInterval> | undefined;
  #waiting: PipeWaiting = { receivers: 0, receiversExpected: 1, hasSender: false };
  #bytes: () => number = nothing;
  #receivers: () => number = nothing;
  #lastBytes = 0;
  #total: number | null = null;
  #startedAt: number | null = null;
  #finishedAt: number | null = null;
  #updatedAt: number;
  #error: string | null = null;

  constructor(name: string, options: PipeTopicOptions = {}) {
    super("pipe", name, PIPE_EVENTS);
    this.#now = options.now ?? Date.now;
    this.#interval = options.progressInterval ?? 250;
    // 0 (no coalescing) still tells the audience, as often as timers turn.
    this.audienceInterval = Math.max(1, this.#interval);
    this.#updatedAt = this.#now();
  }

  get state(): PipeState {
    return this.#state;
  }

  /** Records who is waiting: `waiting` while anyone is, `idle` when nobody is left. */
  wait(waiting: PipeWaiting): void {
    if (this.#state !== "idle" && this.#state !== "waiting") return;
    this.#waiting = { ...waiting };
    const anyone = waiting.hasSender || waiting.receivers > 0;
    this.#transition(anyone ? "waiting" : "idle");
  }

  /** Bytes start to flow: sample `bytes()` from now on. */
  start(relay: { bytes: () => number; receivers: () => number; total: number | null }): void {
    if (this.#state !== "idle" && this.#state !== "waiting") return;
    this.#bytes = relay.bytes;
    this.#receivers = relay.receivers;
    this.#total = relay.total;
    this.#startedAt = this.#now();
    this.#rate?.sample(this.#startedAt, 0);
    this.#timer = setInterval(() => this.#sample(), this.#interval);
    this.#transition("streaming");
  }

  /** Every receiver has every byte: emits `done`. The total is now the byte count. */
  complete(): void {
    if (!this.#stop()) return;
    this.#total = this.#lastBytes;
    this.#state = "complete";
    this.emit("done", this.snapshot(), true);
  }

  /** The run failed: emits `error` with the reason. */
  fail(reason: string): void {
    if (!this.#stop()) return;
    this.#error = reason;
    this.#state = "failed";
    this.emit("error", this.snapshot(), true);
  }

  /** Every pipe event's data is the snapshot it was emitted with. */
  protected override snapshotAt(data: unknown): unknown {
    return data;
  }

  /** A `state` snapshot: its `spectators` is the news. */
  protected override announceAudience(): void {
    this.emit("state", this.snapshot());
  }

  snapshot(): PipeSnapshot {
    const streaming = this.#state === "streaming";
    const bytes = streaming ? this.#bytes() : this.#lastBytes;
    // Bytes past the announced total (a wrong `?size=`): the total is unknown from then on.
    if (this.#total !== null && bytes > this.#total) this.#total = null;
    const total = this.#total;
    const end = this.#finishedAt ?? this.#now();
    const durationMs = this.#startedAt === null ? 0 : end - this.#startedAt;
    // After the end, the speed is the transfer's average; during it, the smoothed current one.
    const bytesPerSec = this.#finishedAt === null
      ? this.#rate?.bytesPerSec(end) ?? 0
      : durationMs > 0
      ? Math.round(bytes * 1000 / durationMs)
      : 0;
    const left = total === null ? null : Math.max(0, total - bytes);
    return {
      kind: "pipe",
      name: this.name,
      state: this.#state,
      receivers: streaming ? this.#receivers() : this.#waiting.receivers,
      receiversExpected: this.#waiting.receiversExpected,
      bytes,
      total,
      percent: total === null
        ? null
        : total === 0
        ? (this.#state === "complete" ? 100 : 0)
        : Math.min(100, round1(bytes * 100 / total)),
      bytesPerSec,
      mbps: round1(bytesPerSec / 1e6),
      etaSec: left === null
        ? null
        : left === 0
        ? 0
        : bytesPerSec > 0 && streaming
        ? Math.ceil(left / bytesPerSec)
        : null,
      startedAt: this.#startedAt === null ? null : new Date(this.#startedAt).toISOString(),
      updatedAt: new Date(this.#updatedAt).toISOString(),
      durationSec: round1(durationMs / 1000),
      spectators: this.spectators,
      error: this.#error,
    };
  }

  #transition(state: PipeState): void {
    this.#state = state;
    this.#updatedAt = this.#now();
    this.emit("state", this.snapshot());
  }

  #sample(): void {
    const now = this.#now();
    const bytes = this.#bytes();
    this.#rate?.sample(now, bytes);
    if (bytes === this.#lastBytes) return;
    this.#lastBytes = bytes;
    this.#updatedAt = now;
    this.emit("progress", this.snapshot());
  }

  /**
   * Stops the sampler and freezes the counters; false when already ended. An ended run is kept
   * for latecomers (`--retention`, up to `--max-topics` of them), so it lets go of the relay
   * (reached through the counters' closures: streams, buffers, the sender's request) and keeps
   * numbers only.
   */
  #stop(): boolean {
    if (this.ended) return false;
    clearInterval(this.#timer);
    this.#timer = undefined;
    const now = this.#now();
    if (this.#state === "streaming") {
      this.#lastBytes = this.#bytes();
      this.#waiting.receivers = this.#receivers();
    }
    this.#bytes = nothing;
    this.#receivers = nothing;
    this.#rate = null;
    this.#startedAt ??= now;
    this.#finishedAt = now;
    this.#updatedAt = now;
    return true;
  }
}
