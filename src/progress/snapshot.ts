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

/** The states of a job: `running`, then `success` or `failed` once. */
export type JobState = "running" | "success" | "failed";

/**
 * What a spectator sees of a job: the JSON snapshot and the dashboard's initial state. On a watch
 * link `id` is the watch id, so the job's name never reaches the page.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { JobSnapshot } from "./snapshot.ts";
 * const job: JobSnapshot = {
 *   kind: "job", id: "transcode-42", state: "running", data: { progress: 40 }, result: null,
 *   error: null, startedAt: "2026-11-22T10:00:00.000Z", updatedAt: "2026-11-22T10:00:30.000Z",
 *   durationSec: 30, spectators: 1,
 * };
 * assert.equal(job.data.progress, 40);
 * ```
 */
export interface JobSnapshot {
  kind: "job";
  /** The job's id, or its watch id when seen through a watch link. */
  id: string;
  state: JobState;
  /**
   * The last published object. Conventional fields: `progress` (0–100), `estimated_time`
   * (seconds left), `state` (a word), `message` (a line).
   */
  data: Record<string, unknown>;
  /** The finish body once the job succeeded; `null` before. */
  result: Record<string, unknown> | null;
  /** Why the job failed; `null` otherwise. */
  error: string | null;
  startedAt: string;
  updatedAt: string;
  /** Seconds since the start (until the end, then the job's duration). */
  durationSec: number;
  /** SSE and WebSocket spectators of this job now. */
  spectators: number;
}

/** A process's status: `running`, then one final `exited`, `killed` or `failed`. */
export type ProcessStatus = "running" | "exited" | "killed" | "failed";

/**
 * One line of a process's output, as an SSE `output` event carries it (`id:` is `seq`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ProcessLine } from "./snapshot.ts";
 * const line: ProcessLine = { seq: 17, stream: "stdout", line: "compiling…" };
 * assert.equal(line.seq, 17);
 * ```
 */
export interface ProcessLine {
  /** The process's line number, from 1, over both streams. */
  seq: number;
  stream: "stdout" | "stderr";
  /** The line without its ending; may hold ANSI escape sequences. */
  line: string;
}

/**
 * What a spectator sees of a process: the JSON snapshot and the dashboard's initial state.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ProcessSnapshot } from "./snapshot.ts";
 * const build: ProcessSnapshot = {
 *   kind: "process", id: "build-1", status: "exited", exitCode: 0, lines: 1,
 *   startedAt: "2026-11-22T10:00:00.000Z", updatedAt: "2026-11-22T10:00:09.000Z",
 *   durationSec: 9, spectators: 0, tail: [{ seq: 1, stream: "stdout", line: "ok" }],
 * };
 * assert.equal(build.tail.length, build.lines);
 * ```
 */
export interface ProcessSnapshot {
  kind: "process";
  /** The process's id, or its watch id when seen through a watch link. */
  id: string;
  status: ProcessStatus;
  /** The exit code once `exited` (or a code a `failed` status reported); `null` otherwise. */
  exitCode: number | null;
  /** Lines output so far (the last `seq`). */
  lines: number;
  startedAt: string;
  updatedAt: string;
  /** Seconds since the start (until the end, then the process's duration). */
  durationSec: number;
  /** SSE and WebSocket spectators of this process now. */
  spectators: number;
  /** The last 100 lines, oldest first. */
  tail: ProcessLine[];
}
