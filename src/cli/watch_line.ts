/**
 * The one-line pv-style summaries `ringside watch` prints for pipes and jobs.
 *
 * @module
 */

import { formatBytes, formatSpeed } from "../client/format.ts";
import type { PipeSnapshot } from "../progress/snapshot.ts";
import { terminalText } from "./terminal_text.ts";

/**
 * Seconds as a clock: `0:26`, `12:05`, `1:02:03`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatClock } from "./watch_line.ts";
 * assert.equal(formatClock(26.4), "0:26");
 * assert.equal(formatClock(3723), "1:02:03");
 * ```
 */
export function formatClock(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "–";
  const whole = Math.round(seconds);
  const s = String(whole % 60).padStart(2, "0");
  if (whole < 3600) return `${Math.floor(whole / 60)}:${s}`;
  const m = String(Math.floor(whole / 60) % 60).padStart(2, "0");
  return `${Math.floor(whole / 3600)}:${m}:${s}`;
}

/**
 * A pipe's line: `61%  5.05 GB / 8.16 GB  118 MB/s  ETA 0:26` while it streams (without the
 * percent and total while the total is unknown), `… in 1:09` once complete, the waiting state
 * before bytes flow.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pipeLine } from "./watch_line.ts";
 * const line = pipeLine({
 *   state: "streaming", receivers: 1, receiversExpected: 1, bytes: 5_046_464_512,
 *   total: 8_160_000_000, percent: 61.8, bytesPerSec: 118_000_000, etaSec: 26, durationSec: 42.7,
 * });
 * assert.equal(line, "61%  5.05 GB / 8.16 GB  118 MB/s  ETA 0:26");
 * ```
 */
export function pipeLine(
  snapshot: Pick<
    PipeSnapshot,
    | "state"
    | "receivers"
    | "receiversExpected"
    | "bytes"
    | "total"
    | "percent"
    | "bytesPerSec"
    | "etaSec"
    | "durationSec"
  >,
): string {
  const { state } = snapshot;
  if (state === "idle") return "idle  waiting for a sender";
  if (state === "waiting") {
    return `waiting  ${snapshot.receivers}/${snapshot.receiversExpected} receiver(s) connected`;
  }
  const parts: string[] = [];
  if (snapshot.total !== null && snapshot.percent !== null) {
    parts.push(`${Math.floor(snapshot.percent)}%`);
    parts.push(`${formatBytes(snapshot.bytes)} / ${formatBytes(snapshot.total)}`);
  } else {
    parts.push(formatBytes(snapshot.bytes));
  }
  parts.push(formatSpeed(snapshot.bytesPerSec));
  if (state === "complete") parts.push(`in ${formatClock(snapshot.durationSec)}`);
  else if (state === "failed") parts.push("failed");
  else if (snapshot.etaSec !== null) parts.push(`ETA ${formatClock(snapshot.etaSec)}`);
  return parts.join("  ");
}

/**
 * A job's line from its published data: the percent (`progress`), the state word (`state`), the
 * `message` and the ETA (`estimated_time`), whichever are there; `running` when none is. The
 * publisher's text is shown, never run: escape sequences and control characters are dropped,
 * tabs and newlines become spaces ({@linkcode terminalText}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jobLine } from "./watch_line.ts";
 * const data = { state: "transcribing", progress: 40.5, estimated_time: 71, message: "chunk 4/10" };
 * assert.equal(jobLine(data), "40%  transcribing  chunk 4/10  ETA 1:11");
 * assert.equal(jobLine({}), "running");
 * ```
 */
export function jobLine(data: Record<string, unknown>): string {
  const parts: string[] = [];
  const { progress, state, message, estimated_time: eta } = data;
  if (typeof progress === "number" && Number.isFinite(progress)) {
    parts.push(`${Math.floor(Math.min(100, Math.max(0, progress)))}%`);
  }
  if (typeof state === "string" && state !== "") parts.push(printable(state));
  if (typeof message === "string" && message !== "") parts.push(printable(message));
  if (typeof eta === "number" && Number.isFinite(eta)) parts.push(`ETA ${formatClock(eta)}`);
  return parts.length > 0 ? parts.join("  ") : "running";
}

function printable(text: string): string {
  return terminalText(text, { colors: false, oneLine: true });
}
