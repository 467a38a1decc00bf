/** The states of a pipe transfer: `idle → waiting → streaming → complete`, or `failed`. */
export type PipeState = "idle" | "waiting" | "streaming" | "complete" | "failed";

/**
 * What a spectator sees of a pipe: every SSE event's `data`, the JSON snapshot, and the
 * dashboard's initial state. JSON, camelCase, complete in every event.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isTerminal } from "./snapshot.ts";
 * assert.equal(isTerminal("complete"), true);
 * ```
 */
export interface PipeSnapshot {
  kind: "pipe";
  name: string;
  state: PipeState;
  /** Receivers connected now. */
  receivers: number;
  /** Receivers the transfer waits for (`?n=`, default 1). */
  receiversExpected: number;
  /** Bytes relayed so far. */
  bytes: number;
  /** Total bytes, from `Content-Length` or `?size=`; `null` while unknown. */
  total: number | null;
  /** `null` while the total is unknown. */
  percent: number | null;
  /**
   * Bytes per second over the last ~3 s, between moments bytes moved (see `RateEstimator`); the
   * transfer's average after the end.
   */
  bytesPerSec: number;
  /** `bytesPerSec` in megabytes (10^6 bytes) per second, one decimal. */
  mbps: number;
  /** `null` while the total is unknown or nothing moves. */
  etaSec: number | null;
  /** When bytes started to flow; `null` before. */
  startedAt: string | null;
  updatedAt: string;
  /** Seconds since `startedAt` (until the end, then the transfer's duration). */
  durationSec: number;
  /** SSE and WebSocket spectators of this pipe now. */
  spectators: number;
  /** Why the transfer failed; `null` otherwise. */
  error: string | null;
}

/**
 * Whether a state is final.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isTerminal } from "./snapshot.ts";
 * assert.equal(isTerminal("failed"), true);
 * assert.equal(isTerminal("streaming"), false);
 * ```
 */
export function isTerminal(state: PipeState): boolean {
  return state === "complete" || state === "failed";
}

/** The states of a job: `running`, then `success` or `failed`. */
export type JobState = "running" | "success" | "failed";

/**
 * What a spectator sees of a job: the JSON snapshot and the dashboard's initial state. On a
 * watch link, `id` is the watch id.
 */
export interface JobSnapshot {
  kind: "job";
  id: string;
  state: JobState;
  /** The last published object (`progress`, `estimated_time`, `state`, `message` are understood). */
  data: Record<string, unknown>;
  /** The finish body of a successful job; `null` before the end or on failure. */
  result: Record<string, unknown> | null;
  /** Why the job failed; `null` otherwise. */
  error: string | null;
  startedAt: string;
  updatedAt: string;
  /** Seconds since `startedAt` (until the end, then the job's duration). */
  durationSec: number;
  /** SSE and WebSocket spectators now. */
  spectators: number;
}

/** One line of a process's output, as every `output` event carries it. */
export interface ProcessLine {
  /** The process's line number, from 1; the SSE event's `id`. */
  seq: number;
  stream: "stdout" | "stderr";
  line: string;
}

/** The statuses of a process: `running`, then one of the final `exited`, `killed`, `failed`. */
export type ProcessStatus = "running" | "exited" | "killed" | "failed";

/** What a spectator sees of a process: the JSON snapshot and the dashboard's initial state. */
export interface ProcessSnapshot {
  kind: "process";
  id: string;
  status: ProcessStatus;
  /** The exit code once `exited` (128+N for a signal when `killed` by one); `null` before. */
  exitCode: number | null;
  /** Lines so far (the last `seq`). */
  lines: number;
  startedAt: string;
  updatedAt: string;
  durationSec: number;
  spectators: number;
  /** The last 100 output lines. */
  tail: ProcessLine[];
}
