import type { Config } from "./config.ts";
import type { Log } from "./log.ts";
import type { Topic } from "./progress/topic.ts";
import { Spectator, type SpectatorOptions } from "./sse/spectator.ts";
import { HttpError } from "./http_error.ts";
import type { Entry, TopicKind } from "./entry.ts";
import { Retention } from "./retention.ts";
import { RunCounters, type TrackerStats } from "./tracker_stats.ts";
import { EndEvent, EntryEvent, RunEvent, type TrackerEventMap } from "./tracker_events.ts";
import { TypedEventTarget } from "./typed_events.ts";

export { TOPIC_KINDS } from "./entry.ts";
export type { Entry, TopicKind } from "./entry.ts";
export type { TrackerStats } from "./tracker_stats.ts";
export { EndEvent, EntryEvent, RunEvent } from "./tracker_events.ts";

/** Options for {@linkcode Tracker}; the config's limits. */
export type TrackerOptions = Pick<
  Config,
  | "maxTopics"
  | "maxWaitingTopics"
  | "maxSpectators"
  | "maxTotalSpectators"
  | "retention"
  | "waitTimeout"
  | "progressInterval"
  | "heartbeat"
  | "spectatorTtl"
  | "writeTimeout"
>;

/**
 * The one registry of every topic, by `kind:name` (pipes, jobs, processes), with the limits:
 * topics alive at once, spectators per topic and on the whole server, and retention of ended
 * runs for latecomers. An entry nobody uses (not busy, no spectator, and no ended run within
 * retention) is forgotten.
 *
 * Topics that only spectators hold are counted apart: an entry watched before anyone publishes
 * ({@linkcode Tracker.watch}, a pipe's spectators waiting for its transfer) counts against
 * `maxWaitingTopics`, never `maxTopics`, until a publisher obtains it
 * ({@linkcode Tracker.obtain}), when it moves to `maxTopics`. So anonymous spectators naming
 * topics that do not exist can fill the waiting room, never the room that senders, jobs and
 * processes need.
 *
 * The registry knows no kind: each kind's module makes its entries through `obtain` and
 * `watch` (`startJob`, `obtainPipe`, `obtainProcess`), and an entry tells what the counters
 * need (`busy`, `transferring`, `bytesRelayed`).
 *
 * Entries tell the tracker when they change through the `changed` callback they are created
 * with; a run that ends while nothing keeps its entry busy is counted, logged and retained.
 * The tracker is an `EventTarget` of `entry` ({@linkcode EntryEvent}: an entry came or was
 * forgotten), `run` ({@linkcode RunEvent}: a run starts, once) and `end`
 * ({@linkcode EndEvent}: a run ended, once).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfig } from "./config.ts";
 * import { startJob } from "./job/job.ts";
 * import { Tracker } from "./tracker.ts";
 * const tracker = new Tracker(defaultConfig());
 * const { job } = startJob(tracker, "build");
 * const spectator = tracker.spectate(job.topic);
 * assert.equal(tracker.stats().spectators, 1);
 * job.finish({ ok: true, result: {} });
 * assert.deepEqual(tracker.stats().ended, { "job:success": 1 });
 * spectator.close();
 * tracker.close();
 * ```
 */
export class Tracker extends TypedEventTarget<TrackerEventMap> {
  #options: TrackerOptions;
  #entries = new Map<string, Entry>();
  /** Keys of entries only spectators have held so far (no sender, receiver or publisher). */
  #waiting = new Set<string>();
  /** Ended runs kept for latecomers, by `kind:name`. */
  #retained: Retention;
  /** One callback for every entry, not one closure per entry. */
  #changedCallback = (entry: Entry) => this.#changed(entry);
  #seen = new WeakSet<Topic>();
  #counters: RunCounters;
  /** Every spectator's way to end it at shutdown (SSE streams and hub subscriptions). */
  #subscribers = new Set<() => void>();
  #draining = false;
  #idleWaiters: (() => void)[] = [];
  #sharing = new WeakMap<Topic, Promise<unknown>>();
  #log: Log;

  constructor(options: TrackerOptions, log: Log = () => {}) {
    // A listener's fault must not break the path that dispatched (an end, a new entry…).
    super((error, event) => log(`${event.type} listener failed`, { error: String(error) }));
    this.#options = options;
    this.#log = log;
    this.#counters = new RunCounters(log);
    this.#retained = new Retention(options.retention, (key) => this.#forgetIfUnused(key));
  }

  /** Whether the server stopped taking new work (SIGTERM). */
  get draining(): boolean {
    return this.#draining;
  }

  /**
   * Resolves once what the `run` listeners handed to `waitUntil` for the current run of `kind:name` has
   * settled (with several nodes: its record and watch link written to Redis), or after
   * `timeout` ms, so that an answer carrying a watch link is only given once every node can
   * resolve it, and a slow Redis delays it by no more than `timeout`.
   */
  async published(kind: TopicKind, name: string, timeout = 2000): Promise<void> {
    const topic = this.find(kind, name)?.topic;
    const sharing = topic && this.#sharing.get(topic);
    if (!sharing) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      sharing,
      new Promise((resolve) => timer = setTimeout(resolve, timeout)),
    ]);
    clearTimeout(timer);
  }

  /** The limits this registry enforces. */
  get options(): Readonly<TrackerOptions> {
    return this.#options;
  }

  /** The entry under `kind:name`, if any. */
  find<T extends Entry = Entry>(kind: TopicKind, name: string): T | undefined {
    return this.#entries.get(`${kind}:${name}`) as T | undefined;
  }

  /**
   * The entry under `kind:name`, made by `create` when missing. `create` gets the callback the
   * entry calls whenever it changes (a side joins or leaves, a run starts or ends).
   *
   * @throws {HttpError} 503 past `maxTopics`, or while draining when `forNewWork`.
   */
  obtain<T extends Entry>(
    kind: TopicKind,
    name: string,
    create: (changed: (entry: Entry) => void) => T,
    forNewWork = false,
  ): T {
    if (forNewWork && this.#draining) {
      throw new HttpError(503, "Server is shutting down; try again shortly");
    }
    const key = `${kind}:${name}`;
    const existing = this.#entries.get(key);
    if (existing) {
      if (this.#waiting.has(key)) {
        // Spectators made it; from now on it is a publisher's, and counts as one.
        this.#checkTopicRoom();
        this.#waiting.delete(key);
      }
      return existing as T;
    }
    this.#checkTopicRoom();
    return this.#add(key, create(this.#changedCallback));
  }

  /** @throws {HttpError} 503 when publishers' topics are at `maxTopics`. */
  #checkTopicRoom(): void {
    if (this.#entries.size - this.#waiting.size >= this.#options.maxTopics) {
      throw new HttpError(503, `Too many topics on this server (${this.#options.maxTopics})`);
    }
  }

  #add<T extends Entry>(key: string, entry: T): T {
    this.#entries.set(key, entry);
    this.dispatchEvent(new EntryEvent(entry, true));
    this.#seeRun(entry);
    return entry;
  }

  /**
   * The entry under `kind:name` for a spectator: when missing, `create` makes one for
   * spectators to wait on, counted against `maxWaitingTopics` (not `maxTopics`) until a
   * publisher {@linkcode Tracker.obtain}s it. It is forgotten when its last spectator leaves,
   * as any unused entry is.
   *
   * @throws {HttpError} 503 when `maxWaitingTopics` topics already wait (an existing entry is
   * always returned).
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { defaultConfig } from "./config.ts";
   * import { Job } from "./job/job.ts";
   * import { Tracker } from "./tracker.ts";
   * const tracker = new Tracker({ ...defaultConfig(), maxTopics: 1, maxWaitingTopics: 1 });
   * const idle = (changed: (job: Job) => void) => new Job("early", { onChange: changed });
   * const early = tracker.watch("job", "early", idle);
   * const spectator = tracker.spectate(early.topic);
   * assert.throws(() => tracker.watch("job", "another", idle), /waiting for a publisher/);
   * assert.equal(tracker.watch("job", "early", idle), early);
   * assert.deepEqual([tracker.stats().topics.job, tracker.stats().waiting], [1, 1]);
   * spectator.close();
   * tracker.close();
   * ```
   */
  watch<T extends Entry>(
    kind: TopicKind,
    name: string,
    create: (changed: (entry: Entry) => void) => T,
  ): T {
    const key = `${kind}:${name}`;
    const existing = this.#entries.get(key);
    if (existing) return existing as T;
    if (this.#waiting.size >= this.#options.maxWaitingTopics) {
      throw new HttpError(
        503,
        `Too many topics waiting for a publisher on this server (${this.#options.maxWaitingTopics})`,
      );
    }
    this.#waiting.add(key);
    return this.#add(key, create(this.#changedCallback));
  }

  /**
   * Counts one more spectator of `topic` (an SSE stream, a hub subscription) against the
   * per-topic and server-wide limits: `topic.spectators` and the server's count include it
   * until the returned function releases it (safe to call twice). `close` ends the spectator
   * at shutdown ({@linkcode Tracker.close}).
   *
   * @throws {HttpError} 429 past `maxSpectators` on the topic, 503 past
   * `maxTotalSpectators` on the server. An idle pipe nobody else uses is forgotten then.
   */
  subscribe(topic: Topic, close: () => void): () => void {
    const key = `${topic.kind}:${topic.name}`;
    try {
      this.#checkSpectatorRoom(topic);
    } catch (error) {
      this.#forgetIfUnused(key);
      throw error;
    }
    const end = () => close();
    this.#subscribers.add(end);
    topic.spectators++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#subscribers.delete(end);
      topic.spectators--;
      this.#forgetIfUnused(key);
    };
  }

  /**
   * Attaches an SSE spectator to a topic, counted through {@linkcode Tracker.subscribe}.
   * `options` adds to the server's heartbeat, TTL and write timeout (a kind's latest-wins
   * events, a shorter TTL…).
   *
   * @throws {HttpError} 429 past `maxSpectators` on the topic, 503 past
   * `maxTotalSpectators` on the server.
   */
  spectate(topic: Topic, options: SpectatorOptions = {}): Spectator {
    const release = this.subscribe(topic, () => spectator.close());
    const spectator: Spectator = new Spectator(topic, {
      heartbeat: this.#options.heartbeat,
      ttl: this.#options.spectatorTtl,
      writeTimeout: this.#options.writeTimeout,
      ...options,
      onClose: (reason) => {
        release();
        options.onClose?.(reason);
      },
    });
    return spectator;
  }

  /** @throws {HttpError} when one more spectator of `topic` would pass a limit. */
  #checkSpectatorRoom(topic: Topic): void {
    if (topic.spectators >= this.#options.maxSpectators) {
      throw new HttpError(
        429,
        `Too many spectators on '${topic.name}' (at most ${this.#options.maxSpectators})`,
      );
    }
    if (this.#subscribers.size >= this.#options.maxTotalSpectators) {
      throw new HttpError(
        503,
        `Too many spectators on this server (at most ${this.#options.maxTotalSpectators})`,
      );
    }
  }

  /** The counters. */
  stats(): TrackerStats {
    return this.#counters.stats(this.#entries.values(), {
      waiting: this.#waiting.size,
      spectators: this.#subscribers.size,
    });
  }

  /**
   * Stops taking new transfers and resolves when none runs (or at once when none does).
   * Waiting senders and receivers stay until {@linkcode Tracker.close} fails them (nothing can
   * join them meanwhile: a new side gets `503`) or their own wait timeout ends.
   */
  drain(): Promise<void> {
    this.#draining = true;
    if (this.stats().transfers === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Closes every spectator, aborts every entry and forgets every timer (shutdown, tests). */
  close(): void {
    for (const close of [...this.#subscribers]) close();
    for (const entry of [...this.#entries.values()]) entry.abort("Server is shutting down");
    this.#retained.clear();
  }

  /** Counts a run the first time the registry sees its topic. */
  #seeRun(entry: Entry): void {
    if (this.#seen.has(entry.topic)) return;
    this.#seen.add(entry.topic);
    const run = new RunEvent(entry);
    this.dispatchEvent(run);
    if (run.pending.length > 0) this.#sharing.set(entry.topic, Promise.allSettled(run.pending));
    if (entry.transferring === undefined) this.#counters.start(entry);
  }

  #changed(entry: Entry): void {
    const key = `${entry.kind}:${entry.name}`;
    if (this.#entries.get(key) !== entry) return;
    const topic = entry.topic;
    // Whatever made it busy came through `obtain` and moved it already; this is the backstop.
    if (entry.busy) this.#waiting.delete(key);
    this.#seeRun(entry);
    if (topic.ended && !entry.busy && this.#counters.end(entry)) {
      this.dispatchEvent(new EndEvent(entry));
      this.#retained.keep(key);
    } else if (entry.transferring) {
      this.#counters.start(entry);
    }
    // A new run replaced the retained one: the old run's expiry must not end the new one.
    if (!topic.ended) this.#retained.drop(key);
    this.#forgetIfUnused(key);
    if (this.#idleWaiters.length > 0 && this.stats().transfers === 0) {
      for (const resolve of this.#idleWaiters.splice(0)) resolve();
    }
  }

  #forgetIfUnused(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry || entry.busy || entry.topic.spectators > 0 || this.#retained.has(key)) return;
    // A spectator may leave while the end is dispatched, before the entry says it changed:
    // the run is then still to be counted and retained.
    if (entry.topic.ended && !this.#counters.hasEnded(entry.topic)) return;
    this.#entries.delete(key);
    this.#waiting.delete(key);
    this.dispatchEvent(new EntryEvent(entry, false));
  }
}
