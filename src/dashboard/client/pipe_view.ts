/**
 * What the pipe dashboard shows, computed from snapshots: the model the page keeps, how each
 * SSE event changes it, and the words and numbers a person reads. Pure, so the server uses it
 * too (the first `<title>` and the no-script summary) and tests run it without a browser.
 *
 * @module
 */

import { isTerminal, type PipeSnapshot, type PipeState } from "../../progress/snapshot.ts";
import { formatBytes, formatElapsed, formatPercent, formatSpeed } from "../../client/format.ts";
import { addSample, type RateSample } from "./throughput.ts";
import { type Connection, withConnection } from "./_live_model.ts";

/** Everything the dashboard knows. */
export interface PipeModel {
  snapshot: PipeSnapshot;
  /** When the current snapshot arrived (ms since the epoch). */
  receivedAt: number;
  /** When bytes were last seen moving (ms since the epoch); `null` before. */
  movedAt: number | null;
  connection: Connection;
  /** Rate history for the sparkline. */
  samples: RateSample[];
}

/** The SSE events a pipe's progress stream sends, all carrying a full snapshot. */
export type PipeEvent = "state" | "progress" | "done" | "error";

/** A change to the model: an SSE event at time `at`, or a change of connection. */
export type PipeAction =
  | { type: "snapshot"; event: PipeEvent; snapshot: PipeSnapshot; at: number }
  | { type: "connection"; connection: Connection };

/** A stream counts as stalled after this long without bytes moving. */
export const stallAfterMs = 3000;

/**
 * The model for a page opened on `snapshot` at `at`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initialModel } from "./pipe_view.ts";
 * import { exampleSnapshot } from "./_example_snapshot.ts";
 * assert.equal(initialModel(exampleSnapshot({ state: "complete" }), 0).connection, "ended");
 * ```
 */
export function initialModel(snapshot: PipeSnapshot, at: number): PipeModel {
  return {
    snapshot,
    receivedAt: at,
    movedAt: snapshot.state === "streaming" ? at : null,
    connection: isTerminal(snapshot.state) ? "ended" : "connecting",
    samples: snapshot.state === "streaming" ? [{ at, bytesPerSec: snapshot.bytesPerSec }] : [],
  };
}

/**
 * Applies one action. Any event proves the link is live; a `done` or `error` event (or a final
 * state) ends it, and the page then closes its EventSource so that it does not reconnect.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initialModel, reducePipeModel } from "./pipe_view.ts";
 * import { exampleSnapshot } from "./_example_snapshot.ts";
 * const model = reducePipeModel(initialModel(exampleSnapshot({ state: "waiting" }), 0), {
 *   type: "snapshot",
 *   event: "progress",
 *   snapshot: exampleSnapshot({ state: "streaming", bytes: 10 }),
 *   at: 250,
 * });
 * assert.equal(model.snapshot.bytes, 10);
 * assert.equal(model.samples.length, 1);
 * ```
 */
export function reducePipeModel(model: PipeModel, action: PipeAction): PipeModel {
  switch (action.type) {
    case "connection":
      return withConnection(model, action.connection);
    case "snapshot": {
      const { snapshot, at, event } = action;
      const moved = snapshot.bytes !== model.snapshot.bytes || event === "progress";
      const streaming = snapshot.state === "streaming";
      return {
        snapshot,
        receivedAt: at,
        movedAt: moved && streaming ? at : streaming ? (model.movedAt ?? at) : model.movedAt,
        connection: event === "done" || event === "error" || isTerminal(snapshot.state)
          ? "ended"
          : "live",
        samples: streaming
          ? addSample(model.samples, { at, bytesPerSec: snapshot.bytesPerSec })
          : model.samples,
      };
    }
  }
}

/** The dashboard in words and numbers. */
export interface PipeView {
  state: PipeState;
  /** One word for the state badge: `Waiting`, `Streaming`, `Done`, `Failed`, `Idle`. */
  label: string;
  /** The state badge's icon: `○` idle, `◌` waiting, `●` streaming, `✓` complete, `✗` failed. */
  icon: string;
  /** A sentence that says what is happening now. */
  headline: string;
  /** The bar's value 0–100, or `null` for an indeterminate bar. */
  percent: number | null;
  /** The big number: the percentage, or bytes when the total is unknown. */
  big: string;
  /** `5.05 GB of 8.16 GB`, or `5.05 GB` when the total is unknown. */
  bytesText: string;
  /** For screen readers: the bar's `aria-valuetext`. */
  valueText: string;
  speedText: string;
  etaText: string;
  elapsedText: string;
  receiversText: string;
  spectatorsText: string;
  /** After the end: bytes, duration and average speed in one line; `null` before. */
  finalLine: string | null;
  /** Why the transfer failed; `null` otherwise. */
  error: string | null;
  /** The tab title: `61% · migration`. */
  title: string;
}

/**
 * Describes a model at time `now` (ms since the epoch). Between events the elapsed time keeps
 * running from the last snapshot, and a stream with no bytes for {@linkcode stallAfterMs}
 * reads as stalled rather than showing a stale speed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describePipe, initialModel } from "./pipe_view.ts";
 * import { exampleSnapshot } from "./_example_snapshot.ts";
 * const view = describePipe(initialModel(exampleSnapshot({}), 0), 0);
 * assert.equal(view.title, "61% · migration");
 * assert.equal(view.bytesText, "5.05 GB of 8.16 GB");
 * ```
 */
export function describePipe(model: PipeModel, now: number): PipeView {
  const s = model.snapshot;
  const sinceReceived = Math.max(0, now - model.receivedAt) / 1000;
  const known = s.total !== null;
  const done = s.state === "complete";
  const before = s.state === "idle" || s.state === "waiting";
  const percent = done ? 100 : known && s.percent !== null ? s.percent : known || before ? 0 : null;
  const streaming = s.state === "streaming";
  const stalled = streaming && model.movedAt !== null && now - model.movedAt >= stallAfterMs;
  const elapsed = streaming ? s.durationSec + sinceReceived : s.durationSec;
  const bytesText = s.total !== null
    ? `${formatBytes(s.bytes)} of ${formatBytes(s.total)}`
    : formatBytes(s.bytes);
  const big = percent !== null ? formatPercent(percent) : formatBytes(s.bytes);
  const average = s.durationSec > 0 ? s.bytes / s.durationSec : 0;
  return {
    state: s.state,
    label: labels[s.state],
    icon: icons[s.state],
    headline: headline(s, stalled),
    percent,
    big,
    bytesText,
    valueText: percent !== null ? `${formatPercent(percent)}, ${bytesText}` : `${bytesText} so far`,
    speedText: streaming
      ? (stalled ? "stalled" : formatSpeed(s.bytesPerSec))
      : done
      ? formatSpeed(average)
      : "–",
    etaText: streaming && !stalled && s.etaSec !== null
      ? formatElapsed(s.etaSec)
      : done
      ? "0 s"
      : "–",
    elapsedText: s.startedAt === null && !streaming ? "–" : formatElapsed(elapsed),
    receiversText: `${s.receivers} of ${s.receiversExpected}`,
    spectatorsText: String(s.spectators),
    finalLine: isTerminal(s.state) && s.startedAt !== null
      ? `${formatBytes(s.bytes)} in ${formatElapsed(s.durationSec)}, average ${
        formatSpeed(average)
      }`
      : null,
    error: s.state === "failed" ? (s.error ?? "The transfer failed.") : null,
    title: `${titlePrefix(s, percent)} · ${s.name}`,
  };
}

const icons: Record<PipeState, string> = {
  idle: "○",
  waiting: "◌",
  streaming: "●",
  complete: "✓",
  failed: "✗",
};

const labels: Record<PipeState, string> = {
  idle: "Idle",
  waiting: "Waiting",
  streaming: "Streaming",
  complete: "Done",
  failed: "Failed",
};

function headline(s: PipeSnapshot, stalled: boolean): string {
  switch (s.state) {
    case "idle":
      return "Nobody is connected yet. The transfer starts when a sender and its receivers arrive.";
    case "waiting":
      return s.receivers < s.receiversExpected
        ? `Waiting for receivers: ${s.receivers} of ${s.receiversExpected} connected.`
        : "Waiting for the sender.";
    case "streaming":
      return stalled ? "Streaming, but no bytes moved in the last few seconds." : "Streaming.";
    case "complete":
      return "Transfer complete: every byte was delivered.";
    case "failed":
      return "Transfer failed.";
  }
}

function titlePrefix(s: PipeSnapshot, percent: number | null): string {
  switch (s.state) {
    case "streaming":
      return percent !== null ? `${Math.floor(percent)}%` : formatBytes(s.bytes);
    case "complete":
      return "✓ 100%";
    case "failed":
      return "✗ failed";
    default:
      return s.state;
  }
}
