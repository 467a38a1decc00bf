import type { Entry, TopicKind } from "./entry.ts";
import type { Log } from "./log.ts";
import type { Topic } from "./progress/topic.ts";

/** Counters for `/metrics` and `/api/v1/stats`. */
export interface TrackerStats {
  /** Entries known now by kind, retained ones included. */
  topics: Record<TopicKind, number>;
  /** Entries of each kind that are busy now (a transfer or a waiting side, a running job…). */
  active: Record<TopicKind, number>;
  /** Runs started since start-up, by kind. */
  started: Record<TopicKind, number>;
  /** Runs ended since start-up, by `kind:state` (`pipe:complete`, `job:failed`…). */
  ended: Record<string, number>;
  /** Pipes known now (= `topics.pipe`). */
  pipes: number;
  /**
   * Entries only spectators hold now (an idle pipe watched before any sender or receiver
   * came), counted against `maxWaitingTopics` rather than `maxTopics`; included in `topics`.
   */
  waiting: number;
  /** Pipe transfers moving bytes now. */
  transfers: number;
  spectators: number;
  bytesRelayed: number;
  transfersComplete: number;
  transfersFailed: number;
}

function perKind(): Record<TopicKind, number> {
  return { pipe: 0, job: 0, process: 0 };
}

/**
 * The registry's run counters, kept beside it: runs started by kind, ended by `kind:state`,
 * and bytes relayed; each start and each end is counted and logged once, whatever number of
 * times the entry says it changed. A run starts when the registry first sees it, or, for an
 * entry that has `transferring` (a pipe), when it first moves bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { JobTopic } from "./job/job_topic.ts";
 * import { RunCounters } from "./tracker_stats.ts";
 * const lines: string[] = [];
 * const counters = new RunCounters((message) => lines.push(message));
 * const topic = new JobTopic("build");
 * const entry = { kind: "job" as const, name: "build", topic, busy: false, abort() {} };
 * counters.start(entry);
 * counters.start(entry);
 * topic.succeed({});
 * assert.equal(counters.end(entry), true);
 * assert.equal(counters.end(entry), false, "an end is counted once");
 * const stats = counters.stats([entry], { waiting: 0, spectators: 0 });
 * assert.deepEqual([stats.started.job, stats.ended, stats.topics.job], [1, { "job:success": 1 }, 1]);
 * assert.deepEqual(lines, ["job success"]);
 * ```
 */
export class RunCounters {
  #log: Log;
  #started = perKind();
  #ended: Record<string, number> = {};
  #bytesEnded = 0;
  /** Runs counted as started, and as ended, by their topic. */
  #starts = new WeakSet<Topic>();
  #ends = new WeakSet<Topic>();

  constructor(log: Log = () => {}) {
    this.#log = log;
  }

  /** Counts and logs the start of the entry's current run, the first time only. */
  start(entry: Entry): void {
    if (this.#starts.has(entry.topic)) return;
    this.#starts.add(entry.topic);
    this.#started[entry.kind]++;
    const line = entry.logLine?.("started");
    if (line) this.#log(...line);
  }

  /** Counts and logs the end of the entry's current run; `false` when counted already. */
  end(entry: Entry): boolean {
    const topic = entry.topic;
    if (this.#ends.has(topic)) return false;
    this.#ends.add(topic);
    const counter = `${entry.kind}:${topic.state}`;
    this.#ended[counter] = (this.#ended[counter] ?? 0) + 1;
    this.#bytesEnded += entry.bytesRelayed ?? 0;
    this.#log(
      ...entry.logLine?.("ended") ?? [`${entry.kind} ${topic.state}`, { [entry.kind]: entry.name }],
    );
    return true;
  }

  /** Whether the end of that run was counted. */
  hasEnded(topic: Topic): boolean {
    return this.#ends.has(topic);
  }

  /** The counters, with what the registry holds now. */
  stats(entries: Iterable<Entry>, now: { waiting: number; spectators: number }): TrackerStats {
    const topics = perKind();
    const active = perKind();
    let transfers = 0;
    let bytesLive = 0;
    for (const entry of entries) {
      topics[entry.kind]++;
      if (entry.busy) active[entry.kind]++;
      if (entry.transferring) {
        transfers++;
        bytesLive += entry.bytesRelayed ?? 0;
      }
    }
    return {
      topics,
      active,
      started: { ...this.#started },
      ended: { ...this.#ended },
      pipes: topics.pipe,
      waiting: now.waiting,
      transfers,
      spectators: now.spectators,
      bytesRelayed: this.#bytesEnded + bytesLive,
      transfersComplete: this.#ended["pipe:complete"] ?? 0,
      transfersFailed: this.#ended["pipe:failed"] ?? 0,
    };
  }
}
