import { LATEST_WINS, type Replay } from "../progress/replay.ts";
import { AUDIENCE_EVENT, Topic, TopicEvent } from "../progress/topic.ts";
import { utf8Length } from "../progress/utf8_length.ts";
import type { WireEvent, WireRecord } from "./wire.ts";

/** Options for {@linkcode RemoteTopic}. */
export interface RemoteTopicOptions {
  /** Backlog events (a process's lines) kept for a new spectator. @default 1000 */
  historyLines?: number;
  /**
   * Bytes of backlog `line` text (UTF-8) kept for a new spectator; the newest event always
   * stays. @default 1048576
   */
  historyBytes?: number;
}

function event(wire: Omit<WireEvent, "seq" | "run">): TopicEvent {
  return new TopicEvent(wire.type, wire.data, wire.terminal, wire.id);
}

/**
 * A topic owned by another node, as this node's spectators see it: greeted from the owner's
 * record in Redis, then fed the owner's events from its channel. It holds what a new
 * spectator needs as the kind's {@linkcode Replay} (in the record) says: the recent backlog
 * events (a process's lines), then the newest other event (a pipe's or job's snapshot, a
 * process's status), so spectators attach to it exactly as to a local topic. It knows no kind:
 * the record names the event types and the replay.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RemoteTopic } from "./remote_topic.ts";
 * const topic = new RemoteTopic("pipe", "p", {
 *   seq: 1, run: "r", node: "a", state: "waiting", ended: false, snapshot: { state: "waiting" },
 *   eventTypes: ["state", "progress", "done", "error"],
 *   replay: { backlog: [], greetAs: "state", snapshot: "data" },
 *   greeting: [{ type: "state", data: { state: "waiting" }, id: "r.1", terminal: false }],
 * });
 * topic.deliver({ seq: 2, run: "r", type: "done", data: { state: "complete" }, id: "r.2", terminal: true });
 * assert.equal(topic.ended, true);
 * assert.deepEqual(topic.greeting().map((e) => e.type), ["done"]);
 * ```
 */
export class RemoteTopic extends Topic {
  #record: WireRecord;
  #historyLines: number;
  #historyBytes: number;
  #seq: number;
  #replay: Replay;
  /** The recent backlog events (with the bytes each counts). */
  #backlog: TopicEvent[] = [];
  #backlogBytes: number[] = [];
  #bytes = 0;
  /** The newest event outside the backlog (as the greeting gives it). */
  #latest: TopicEvent | null = null;
  #end: TopicEvent | null = null;

  constructor(kind: string, name: string, record: WireRecord, options: RemoteTopicOptions = {}) {
    // The owner's record names the event types its spectators subscribe to: this node need not
    // know the kind's events (a record from a node older than the field has none).
    super(kind, name, record.eventTypes ?? []);
    this.#record = record;
    this.#replay = record.replay ?? LATEST_WINS;
    this.#seq = record.seq;
    this.#historyLines = options.historyLines ?? 1000;
    this.#historyBytes = options.historyBytes ?? 1_048_576;
    for (const wire of record.greeting) {
      this.#remember(event(wire));
      // An ended run: mark this topic ended too (nobody listens yet).
      if (wire.terminal) this.emit(wire.type, wire.data, true, wire.id);
    }
  }

  /** The owner's node. */
  get node(): string {
    return this.#record.node;
  }

  get state(): string {
    return this.#record.state;
  }

  /** The owner's last snapshot (refreshed with each record read). */
  snapshot(): unknown {
    return this.#record.snapshot;
  }

  /** Takes a newer record of the same run (a JSON answer reads one). */
  refresh(record: WireRecord): void {
    if (record.run === this.#record.run && record.seq >= this.#record.seq) this.#record = record;
  }

  override greeting(): TopicEvent[] {
    const last = this.#end ?? this.#latest;
    return last ? [...this.#backlog, last] : [...this.#backlog];
  }

  /**
   * Takes one message from the owner's channel: messages the record already covers, or from
   * another run, are dropped; the rest are dispatched to spectators in order.
   */
  deliver(wire: WireEvent): void {
    if (wire.run !== this.#record.run || wire.seq <= this.#seq || this.#end) return;
    this.#seq = wire.seq;
    // Where the snapshot is, the kind's replay says (the event's data, or the message's own).
    const snapshot = wire.snapshot ?? (this.#replay.snapshot === "data" ? wire.data : undefined);
    if (snapshot !== undefined) {
      const state = wire.state ?? (snapshot as { state?: unknown } | null)?.state;
      this.#record = {
        ...this.#record,
        seq: wire.seq,
        snapshot,
        state: typeof state === "string" ? state : this.#record.state,
        ended: wire.terminal,
      };
    }
    const topicEvent = event(wire);
    this.#remember(topicEvent);
    this.emit(wire.type, wire.data, wire.terminal, wire.id);
  }

  /**
   * The link to the owner is gone (Redis unreachable): a plain `lost` event tells this topic's
   * spectators, which end (SSE after a comment, the hub with an `error` message).
   */
  lose(): void {
    this.dispatchEvent(new Event("lost"));
  }

  /** Keeps what a new spectator needs (not the audience count: a greeting carries its own). */
  #remember(topicEvent: TopicEvent): void {
    if (topicEvent.type === AUDIENCE_EVENT) return;
    if (topicEvent.terminal) {
      this.#end = topicEvent;
    } else if (this.#replay.backlog.includes(topicEvent.type)) {
      const line = (topicEvent.data as { line?: unknown } | null)?.line;
      const bytes = typeof line === "string" ? utf8Length(line) : 0;
      this.#backlog.push(topicEvent);
      this.#backlogBytes.push(bytes);
      this.#bytes += bytes;
      while (
        this.#backlog.length > this.#historyLines ||
        (this.#bytes > this.#historyBytes && this.#backlog.length > 1)
      ) {
        this.#backlog.shift();
        this.#bytes -= this.#backlogBytes.shift()!;
      }
    } else {
      // The newest greets, as the owner's own greeting would (a pipe greets with `state`).
      const { greetAs } = this.#replay;
      this.#latest = greetAs !== null && topicEvent.type !== greetAs
        ? new TopicEvent(greetAs, topicEvent.data, false, topicEvent.id)
        : topicEvent;
    }
  }
}
