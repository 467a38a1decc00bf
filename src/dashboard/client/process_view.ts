/**
 * What the process dashboard shows around its terminal: the status badge with the exit code,
 * the elapsed time, the line and watcher counts, the tab title. Pure, so the server uses it
 * too (the first `<title>` and the no-script summary) and tests run it without a browser. The
 * lines themselves live in a {@linkcode LineBuffer}.
 *
 * @module
 */

import type { ProcessSnapshot, ProcessStatus } from "../../progress/snapshot.ts";
import { formatElapsed } from "../../client/format.ts";
import { type Connection, type LinkAction, reduceLink, withSpectators } from "./_live_model.ts";

/** Everything the process dashboard knows besides its lines. */
export interface ProcessModel {
  /** The latest snapshot; its `tail` is only what the page started with. */
  snapshot: ProcessSnapshot;
  /** When `snapshot.durationSec` was true (ms since the epoch, this browser's clock). */
  durationAt: number;
  connection: Connection;
}

/** A change to the model: a `status` or `spectators` event, a fresh JSON snapshot, or the link. */
export type ProcessAction =
  | { type: "status"; status: ProcessStatus; exitCode: number | null; at: number }
  | { type: "snapshot"; snapshot: ProcessSnapshot; at: number }
  | LinkAction;

const statuses: readonly string[] = ["running", "exited", "killed", "failed"];

/**
 * Whether a value is one of the four statuses.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isProcessStatus } from "./process_view.ts";
 * assert.equal(isProcessStatus("exited"), true);
 * assert.equal(isProcessStatus("done"), false);
 * ```
 */
export function isProcessStatus(value: unknown): value is ProcessStatus {
  return typeof value === "string" && statuses.includes(value);
}

/**
 * The model for a page opened on `snapshot` at `at`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initialProcessModel } from "./process_view.ts";
 * import { exampleProcess } from "./_example_snapshot.ts";
 * assert.equal(initialProcessModel(exampleProcess({}), 0).connection, "connecting");
 * assert.equal(initialProcessModel(exampleProcess({ status: "killed" }), 0).connection, "ended");
 * ```
 */
export function initialProcessModel(snapshot: ProcessSnapshot, at: number): ProcessModel {
  return {
    snapshot,
    durationAt: at,
    connection: snapshot.status === "running" ? "connecting" : "ended",
  };
}

/**
 * Applies one action. The first final status (`exited`, `killed`, `failed`) ends the process
 * and the link, and nothing takes it back to running; a `spectators` event sets the watcher
 * count; a JSON snapshot refreshes the counts and
 * the clock, and ends the page when it reports an end the stream did not deliver.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initialProcessModel, reduceProcessModel } from "./process_view.ts";
 * import { exampleProcess } from "./_example_snapshot.ts";
 * const model = reduceProcessModel(initialProcessModel(exampleProcess({}), 0), {
 *   type: "status", status: "exited", exitCode: 3, at: 5000,
 * });
 * assert.equal(model.snapshot.exitCode, 3);
 * assert.equal(model.snapshot.durationSec, 14);
 * assert.equal(model.connection, "ended");
 * ```
 */
export function reduceProcessModel(model: ProcessModel, action: ProcessAction): ProcessModel {
  const s = model.snapshot;
  const running = s.status === "running";
  switch (action.type) {
    case "connection":
    case "spectators":
      return reduceLink(model, action);
    case "status": {
      if (!running) return { ...model, connection: "ended" };
      if (action.status === "running") return { ...model, connection: "live" };
      const durationSec = s.durationSec + Math.max(0, action.at - model.durationAt) / 1000;
      return {
        snapshot: { ...s, status: action.status, exitCode: action.exitCode, durationSec },
        durationAt: action.at,
        connection: "ended",
      };
    }
    case "snapshot": {
      const fresh = action.snapshot;
      if (!running) {
        return withSpectators(model, fresh.spectators);
      }
      const lines = Math.max(s.lines, fresh.lines);
      return {
        snapshot: { ...fresh, lines, tail: s.tail },
        durationAt: action.at,
        connection: fresh.status === "running" ? model.connection : "ended",
      };
    }
  }
}

/** The status badge's look. */
export type Tone = "active" | "ok" | "failed";

/** The page's header in words. */
export interface ProcessView {
  status: ProcessStatus;
  /** `running`, `exited 0`, `exited 7`, `killed`, `failed`. */
  badge: string;
  icon: string;
  tone: Tone;
  elapsedText: string;
  /** Lines output so far. */
  linesText: string;
  spectatorsText: string;
  /** The tab title: `✗ exited 7 · build-1`. */
  title: string;
}

/**
 * Describes a model at time `now` (ms since the epoch); `lastSeq` is the newest line the page
 * holds, which may be ahead of the last snapshot's count.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeProcess, initialProcessModel } from "./process_view.ts";
 * import { exampleProcess } from "./_example_snapshot.ts";
 * const view = describeProcess(initialProcessModel(exampleProcess({}), 0), 2000, 10);
 * assert.equal(view.badge, "running");
 * assert.equal(view.elapsedText, "11 s");
 * assert.equal(view.linesText, "10");
 * assert.equal(view.title, "● running · build-1");
 * ```
 */
export function describeProcess(model: ProcessModel, now: number, lastSeq = 0): ProcessView {
  const s = model.snapshot;
  const running = s.status === "running";
  const badge = s.status === "exited"
    ? `exited ${s.exitCode ?? "?"}`
    : s.status === "failed" && s.exitCode !== null
    ? `failed (exit ${s.exitCode})`
    : s.status;
  const tone: Tone = running
    ? "active"
    : s.status === "exited" && s.exitCode === 0
    ? "ok"
    : "failed";
  const icon = running ? "●" : tone === "ok" ? "✓" : "✗";
  const elapsed = running
    ? s.durationSec + Math.max(0, now - model.durationAt) / 1000
    : s.durationSec;
  return {
    status: s.status,
    badge,
    icon,
    tone,
    elapsedText: formatElapsed(elapsed),
    linesText: Math.max(s.lines, lastSeq).toLocaleString("en-US"),
    spectatorsText: String(s.spectators),
    title: `${icon} ${badge} · ${s.id}`,
  };
}
