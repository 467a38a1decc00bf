/**
 * What crosses Redis between nodes: topic events as JSON messages, and the record of a topic
 * (what a new spectator is greeted with, its snapshot, and the last message it covers).
 *
 * @module
 */

import type { Replay } from "../progress/replay.ts";

/** One topic event on the wire: `PUBLISH ringside:{kind}:{name} <json>`. */
export interface WireEvent {
  /** Counts the messages of one topic run on its owner, from 1; a record covers up to its `seq`. */
  seq: number;
  /** The owner's run of the topic: a new run restarts `seq`. */
  run: string;
  type: string;
  data: unknown;
  /** The SSE id, when the kind gives one. */
  id: string | null;
  terminal: boolean;
  /**
   * The owner's snapshot after this event, when the kind's replay says the message brings it
   * (`snapshot: "message"`: a job's events carry the published object): hub messages and JSON
   * answers need it.
   */
  snapshot?: unknown;
  /** The owner's state after this event, with `snapshot`. */
  state?: string;
}

/** The latest state of a topic, kept under the key `ringside:{kind}:{name}`. */
export interface WireRecord {
  /** The last message this record covers. */
  seq: number;
  run: string;
  /** The node that owns the topic. */
  node: string;
  /** What a new spectator gets at once, as the owner would greet it. */
  greeting: Omit<WireEvent, "seq" | "run">[];
  /** The topic's snapshot (JSON answers and first paint). */
  snapshot: unknown;
  /** The state word of the snapshot. */
  state: string;
  ended: boolean;
  /** The event types the topic's spectators subscribe to (the owner's `Topic.eventTypes`). */
  eventTypes: string[];
  /**
   * How this node rebuilds a greeting and the snapshot from the events (the kind's own); a
   * record from a node older than the field has none: `LATEST_WINS` then.
   */
  replay?: Replay;
}

/** The Redis channel and key of a topic. */
export function topicKey(kind: string, name: string): string {
  return `ringside:${kind}:${name}`;
}

/** The Redis key of a watch link's target (`kind:name`). */
export function watchKey(watchId: string): string {
  return `ringside:watch:${watchId}`;
}

/** The key under which the first node stores the cluster's shared secret. */
export const SECRET_KEY = "ringside:secret";

/**
 * Parses a message or record, `null` when it is not one (another program on the same Redis).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseWire } from "./wire.ts";
 * assert.equal(parseWire("nope"), null);
 * assert.equal(parseWire('{"seq":1,"run":"r","type":"state","data":{},"id":null,"terminal":false}')?.seq, 1);
 * ```
 */
export function parseWire<T extends { seq: number; run: string }>(text: string | null): T | null {
  if (text === null) return null;
  try {
    const value = JSON.parse(text);
    if (typeof value === "object" && value !== null && typeof value.seq === "number") return value;
  } catch {
    // not ours
  }
  return null;
}
