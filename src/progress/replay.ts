/**
 * How a node that only sees a topic's events go by (a topic another node owns, `RemoteTopic`)
 * rebuilds what a new spectator needs and the topic's snapshot. Each kind declares its own on
 * its topic class (`Topic.replay`) and the owner's record in Redis carries it, so the
 * cluster code names no kind.
 */
export interface Replay {
  /**
   * Event types a new spectator gets all of, oldest first, within the history bounds (lines,
   * and bytes of their data's `line` text): a process's `output` and `gap`. The newest of the
   * other events (the audience count aside) greets after them.
   */
  backlog: readonly string[];
  /**
   * The type a greeting gives the newest other event (a pipe greets with `state`, whichever of
   * its events brought the snapshot); `null`: its own type.
   */
  greetAs: string | null;
  /**
   * Where the snapshot after an event is, for hub messages and JSON answers: `data` (every
   * event's data is the whole snapshot: a pipe), `message` (the owner adds it and the state
   * word to each message: a job, whose events carry what it published), `record` (only the
   * record has it, refreshed every `recordInterval`: a process, whose snapshot with its tail
   * is too big to send with every line).
   */
  snapshot: "data" | "message" | "record";
}

/**
 * The replay of a topic that declares none, and of a record from a node older than the field:
 * the newest event greets as it is, and the snapshot comes from the record.
 */
export const LATEST_WINS: Replay = { backlog: [], greetAs: null, snapshot: "record" };
