import type { Config } from "./config.ts";
import type { Log } from "./log.ts";
import { Pipe, PipeError, type PipeOptions } from "./pipe/pipe.ts";
import type { Topic } from "./progress/topic.ts";
import { Spectator } from "./sse/spectator.ts";

/** Counters for `/metrics` and `/api/v1/stats`. */
export interface TrackerStats {
  pipes: number;
  transfers: number;
  spectators: number;
  bytesRelayed: number;
  transfersComplete: number;
  transfersFailed: number;
}

/** Options for {@linkcode Tracker}; the config's limits. */
export type TrackerOptions = Pick<
  Config,
  | "maxTopics"
  | "maxSpectators"
  | "maxTotalSpectators"
  | "retention"
  | "waitTimeout"
  | "progressInterval"
  | "heartbeat"
  | "spectatorTtl"
  | "writeTimeout"
>;

/** An HTTP status and the one line that explains it, for a spectator refused. */
export class LimitError extends Error {
  readonly status: 429 | 503;
  constructor(status: 429 | 503, message: string) {
    super(message);
    this.status = status;
  }
}

/**
 * Every live topic by name, with the limits: topics alive at once, spectators per topic and
 * on the whole server, and retention of ended runs for latecomers. A pipe nobody uses (no
 * sender, receiver or spectator, and no ended run within retention) is forgotten.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfig } from "./config.ts";
 * import { Tracker } from "./tracker.ts";
 * const tracker = new Tracker(defaultConfig());
 * const spectator = tracker.spectate(tracker.pipe("p").topic);
 * assert.equal(tracker.stats().spectators, 1);
 * spectator.close();
 * assert.equal(tracker.stats().pipes, 0);
 * ```
 */
export class Tracker {
  #options: TrackerOptions;
  #pipes = new Map<string, Pipe>();
  /**
   * Ended pipes kept for latecomers, by name, with when they expire. Retention is one duration,
   * so insertion order is expiry order and one timer serves them all (a timer per pipe would
   * be kept as long as the pipe).
   */
  #retained = new Map<string, number>();
  #sweeper: ReturnType<typeof setTimeout> | undefined;
  #pipeOptions: PipeOptions;
  #spectators = new Set<Spectator>();
  #draining = false;
  #complete = 0;
  #failed = 0;
  #bytesEnded = 0;
  #idleWaiters: (() => void)[] = [];
  #log: Log;

  constructor(options: TrackerOptions, log: Log = () => {}) {
    this.#options = options;
    this.#log = log;
    // One options object for every pipe, not one (and one closure) per pipe.
    this.#pipeOptions = {
      waitTimeout: options.waitTimeout,
      progressInterval: options.progressInterval,
      onChange: (changed) => this.#changed(changed),
    };
  }

  /** Whether the server stopped taking new transfers (SIGTERM). */
  get draining(): boolean {
    return this.#draining;
  }

  /**
   * The pipe of that name, created when missing.
   *
   * @throws {PipeError} 503 past `maxTopics`, or while draining when `forTransfer`.
   */
  pipe(name: string, forTransfer = false): Pipe {
    if (forTransfer && this.#draining) {
      throw new PipeError(503, "Server is shutting down; try again shortly");
    }
    const existing = this.#pipes.get(name);
    if (existing) return existing;
    if (this.#pipes.size >= this.#options.maxTopics) {
      throw new PipeError(503, `Too many topics on this server (${this.#options.maxTopics})`);
    }
    const pipe = new Pipe(name, this.#pipeOptions);
    this.#pipes.set(name, pipe);
    return pipe;
  }

  /** The pipe of that name if it exists. */
  findPipe(name: string): Pipe | undefined {
    return this.#pipes.get(name);
  }

  /**
   * Attaches an SSE spectator to a topic.
   *
   * @throws {LimitError} 429 past `maxSpectators` on the topic, 503 past
   * `maxTotalSpectators` on the server.
   */
  spectate(topic: Topic, signal?: AbortSignal): Spectator {
    this.#checkSpectatorRoom(topic);
    const spectator = new Spectator(topic, {
      ...(signal ? { signal } : {}),
      heartbeat: this.#options.heartbeat,
      ttl: this.#options.spectatorTtl,
      writeTimeout: this.#options.writeTimeout,
      onClose: () => {
        this.#spectators.delete(spectator);
        this.#forgetIfUnused(topic.name);
      },
    });
    this.#spectators.add(spectator);
    return spectator;
  }

  /**
   * Attaches an SSE spectator to the pipe of that name, created (idle) when missing so that
   * spectators can wait for a transfer that has not started.
   *
   * @throws {LimitError} or {@linkcode PipeError} as {@linkcode Tracker.spectate} and
   * {@linkcode Tracker.pipe} do.
   */
  spectatePipe(name: string, signal?: AbortSignal): Spectator {
    const pipe = this.pipe(name);
    try {
      return this.spectate(pipe.topic, signal);
    } catch (error) {
      this.#forgetIfUnused(name);
      throw error;
    }
  }

  /** @throws {LimitError} when one more spectator of `topic` would pass a limit. */
  #checkSpectatorRoom(topic: Topic): void {
    if (topic.spectators >= this.#options.maxSpectators) {
      throw new LimitError(
        429,
        `Too many spectators on '${topic.name}' (at most ${this.#options.maxSpectators})`,
      );
    }
    if (this.#spectators.size >= this.#options.maxTotalSpectators) {
      throw new LimitError(
        503,
        `Too many spectators on this server (at most ${this.#options.maxTotalSpectators})`,
      );
    }
  }

  /** The counters. */
  stats(): TrackerStats {
    let transfers = 0;
    let bytesLive = 0;
    for (const pipe of this.#pipes.values()) {
      if (pipe.transferring) {
        transfers++;
        bytesLive += pipe.bytesInFlight;
      }
    }
    return {
      pipes: this.#pipes.size,
      transfers,
      spectators: this.#spectators.size,
      bytesRelayed: this.#bytesEnded + bytesLive,
      transfersComplete: this.#complete,
      transfersFailed: this.#failed,
    };
  }

  /**
   * Stops taking new transfers and resolves when none runs (or at once when none does).
   * Waiting senders and receivers are left to their own timeouts.
   */
  drain(): Promise<void> {
    this.#draining = true;
    if (this.stats().transfers === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Closes every spectator and forgets every timer (shutdown, tests). */
  close(): void {
    for (const spectator of [...this.#spectators]) spectator.close();
    for (const pipe of this.#pipes.values()) pipe.abort("Server is shutting down");
    clearTimeout(this.#sweeper);
    this.#sweeper = undefined;
    this.#retained.clear();
  }

  #changed(pipe: Pipe): void {
    const topic = pipe.topic;
    if (topic.ended && !pipe.busy && !this.#retained.has(pipe.name)) {
      const snapshot = topic.snapshot();
      this.#bytesEnded += snapshot.bytes;
      if (snapshot.state === "complete") this.#complete++;
      else this.#failed++;
      this.#log(`transfer ${snapshot.state}`, {
        pipe: pipe.name,
        bytes: snapshot.bytes,
        durationSec: snapshot.durationSec,
        mbps: snapshot.mbps,
        ...(snapshot.error ? { error: snapshot.error } : {}),
      });
      this.#retained.set(pipe.name, Date.now() + this.#options.retention);
      this.#sweeper ??= setTimeout(() => this.#sweep(), this.#options.retention);
    } else if (pipe.transferring) {
      const snapshot = topic.snapshot();
      this.#log("transfer started", {
        pipe: pipe.name,
        receivers: snapshot.receiversExpected,
        total: snapshot.total,
      });
    }
    if (!topic.ended && this.#retained.has(pipe.name)) {
      this.#retained.delete(pipe.name);
    }
    this.#forgetIfUnused(pipe.name);
    if (this.#idleWaiters.length > 0 && this.stats().transfers === 0) {
      for (const resolve of this.#idleWaiters.splice(0)) resolve();
    }
  }

  /** Forgets the retained pipes whose time is up, then waits for the next one. */
  #sweep(): void {
    this.#sweeper = undefined;
    const now = Date.now();
    for (const [name, expires] of this.#retained) {
      if (expires > now) {
        this.#sweeper = setTimeout(() => this.#sweep(), expires - now);
        return;
      }
      this.#retained.delete(name);
      this.#forgetIfUnused(name);
    }
  }

  #forgetIfUnused(name: string): void {
    const pipe = this.#pipes.get(name);
    if (!pipe || pipe.busy || pipe.topic.spectators > 0 || this.#retained.has(name)) return;
    this.#pipes.delete(name);
  }
}
