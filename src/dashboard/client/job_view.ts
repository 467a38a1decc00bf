/**
 * What the job dashboard shows, computed from the job's snapshot and its SSE events (the
 * task-progress convention: `progress`, `complete`, `error`, `timeout`). Pure, so the server
 * uses it too (the first `<title>` and the no-script summary) and tests run it without a
 * browser.
 *
 * @module
 */

import type { JobSnapshot, JobState } from "../../progress/snapshot.ts";
import { clampPercent, formatElapsed, formatPercent } from "../../client/format.ts";
import { previewJson } from "./json_preview.ts";
import { type Connection, type LinkAction, reduceLink, withSpectators } from "./_live_model.ts";

/** Everything the job dashboard knows. */
export interface JobModel {
  snapshot: JobSnapshot;
  /** When `snapshot.durationSec` was true (ms since the epoch, this browser's clock). */
  durationAt: number;
  /**
   * When the last data was published (ms since the epoch, this browser's clock), for the ETA
   * countdown and the time since the last update.
   */
  dataAt: number;
  connection: Connection;
}

/** A change to the model: an SSE event or a fresh JSON snapshot at time `at`, or the link. */
export type JobAction =
  | { type: "progress"; data: Record<string, unknown>; at: number }
  | { type: "complete"; body: Record<string, unknown>; at: number }
  | { type: "error"; error: string; at: number }
  | { type: "snapshot"; snapshot: JobSnapshot; at: number }
  | LinkAction;

/** Fields the SSE stream adds to each published object; not part of what was published. */
const streamFields = ["task_id", "updated_at"];

/**
 * The model for a page opened on `snapshot` at `at`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initialJobModel } from "./job_view.ts";
 * import { exampleJob } from "./_example_snapshot.ts";
 * assert.equal(initialJobModel(exampleJob({ state: "success" }), 0).connection, "ended");
 * assert.equal(initialJobModel(exampleJob({}), 0).connection, "connecting");
 * ```
 */
export function initialJobModel(snapshot: JobSnapshot, at: number): JobModel {
  return {
    snapshot,
    durationAt: at,
    dataAt: at - publishedAgoMs(snapshot),
    connection: snapshot.state === "running" ? "connecting" : "ended",
  };
}

/**
 * Applies one action. A `progress` event replaces the data (latest wins); `spectators` the
 * watcher count; `complete` and
 * `error` end the job and the link, and the page then closes its EventSource. A JSON snapshot
 * refreshes the watchers and the elapsed time, and its data only when it is not older than
 * what the stream already delivered; it never takes a finished job back to running (a new run
 * of the same id is a new page).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initialJobModel, reduceJobModel } from "./job_view.ts";
 * import { exampleJob } from "./_example_snapshot.ts";
 * let model = initialJobModel(exampleJob({}), 0);
 * model = reduceJobModel(model, { type: "progress", data: { progress: 50, task_id: "x" }, at: 1000 });
 * assert.deepEqual(model.snapshot.data, { progress: 50 });
 * model = reduceJobModel(model, { type: "complete", body: { state: "success", ok: true }, at: 2000 });
 * assert.equal(model.snapshot.state, "success");
 * assert.equal(model.connection, "ended");
 * ```
 */
export function reduceJobModel(model: JobModel, action: JobAction): JobModel {
  const s = model.snapshot;
  switch (action.type) {
    case "connection":
    case "spectators":
      return reduceLink(model, action);
    case "progress": {
      if (s.state !== "running") return model;
      const data: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(action.data)) {
        if (!streamFields.includes(key)) data[key] = value;
      }
      const updated = action.data.updated_at;
      const updatedAt = typeof updated === "string" ? updated : s.updatedAt;
      return {
        ...model,
        snapshot: { ...s, data, updatedAt },
        dataAt: action.at,
        connection: "live",
      };
    }
    case "complete": {
      if (s.state !== "running") return { ...model, connection: "ended" };
      const result: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(action.body)) {
        if (key !== "state") result[key] = value;
      }
      return {
        ...model,
        snapshot: { ...s, state: "success", result, durationSec: elapsedSec(model, action.at) },
        durationAt: action.at,
        connection: "ended",
      };
    }
    case "error": {
      if (s.state !== "running") return { ...model, connection: "ended" };
      return {
        ...model,
        snapshot: {
          ...s,
          state: "failed",
          error: action.error,
          durationSec: elapsedSec(model, action.at),
        },
        durationAt: action.at,
        connection: "ended",
      };
    }
    case "snapshot": {
      const fresh = action.snapshot;
      if (s.state !== "running" && fresh.state === "running") {
        return withSpectators(model, fresh.spectators);
      }
      const newer = Date.parse(fresh.updatedAt) >= Date.parse(s.updatedAt) ||
        Number.isNaN(Date.parse(s.updatedAt));
      const ended = fresh.state !== "running";
      if (s.state !== "running" || (!newer && !ended)) {
        // Keep what the stream said; take the count and the clock.
        const durationSec = s.state === "running" ? fresh.durationSec : s.durationSec;
        return {
          ...model,
          snapshot: { ...s, spectators: fresh.spectators, durationSec },
          durationAt: s.state === "running" ? action.at : model.durationAt,
        };
      }
      const later = Date.parse(fresh.updatedAt) > Date.parse(s.updatedAt);
      return {
        snapshot: fresh,
        durationAt: action.at,
        dataAt: later ? action.at - publishedAgoMs(fresh) : model.dataAt,
        connection: ended ? "ended" : model.connection,
      };
    }
  }
}

/**
 * How long before the snapshot was taken its data was published, on the server's clock alone
 * (`durationSec` against `updatedAt − startedAt`), so this browser's clock does not matter.
 */
function publishedAgoMs(s: JobSnapshot): number {
  const published = Date.parse(s.updatedAt) - Date.parse(s.startedAt);
  if (s.state !== "running" || !Number.isFinite(published)) return 0;
  return Math.max(0, s.durationSec * 1000 - published);
}

/** Seconds the job has run at `at`: the last known duration plus the time since. */
function elapsedSec(model: JobModel, at: number): number {
  const s = model.snapshot;
  if (s.state !== "running") return s.durationSec;
  return s.durationSec + Math.max(0, at - model.durationAt) / 1000;
}

/** One line of a result or of the published data, for a person to read. */
export interface Entry {
  key: string;
  value: string;
  /** The value spans lines (an object or a long text): show it preformatted. */
  block: boolean;
}

/** The dashboard in words and numbers. */
export interface JobView {
  state: JobState;
  /** The badge: `data.state` while running when it is a string, else `Running`; `Success`; `Failed`. */
  label: string;
  /** The state badge's icon: `●` running, `✓` success, `✗` failed. */
  icon: string;
  /** `data.message` when it is a string, else `null`. */
  message: string | null;
  /** The bar's value 0–100, or `null` for an indeterminate bar. */
  percent: number | null;
  /** The big number: the percentage, or `–` when the job reports none. */
  big: string;
  /** For screen readers: the bar's `aria-valuetext`. */
  valueText: string;
  etaText: string;
  elapsedText: string;
  spectatorsText: string;
  /** The result's fields after success (`ok` left out); `null` before. */
  result: Entry[] | null;
  /** Why the job failed; `null` otherwise. */
  error: string | null;
  /** Published fields the page does not otherwise show (`data` minus the conventional ones). */
  details: Entry[];
  /** The tab title: `40% · transcode-42`. */
  title: string;
}

const conventional = ["progress", "estimated_time", "state", "message"];

/**
 * Describes a model at time `now` (ms since the epoch). While running, the elapsed time keeps
 * counting from the last snapshot and the ETA counts down from the last publish (never below 0).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeJob, initialJobModel } from "./job_view.ts";
 * import { exampleJob } from "./_example_snapshot.ts";
 * const view = describeJob(initialJobModel(exampleJob({}), 0), 0);
 * assert.equal(view.title, "40% · transcode-42");
 * assert.equal(view.label, "transcribing");
 * assert.equal(view.etaText, "1 min 11 s");
 * ```
 */
export function describeJob(model: JobModel, now: number): JobView {
  const s = model.snapshot;
  const running = s.state === "running";
  const progress = s.data.progress;
  const reported = typeof progress === "number" && Number.isFinite(progress)
    ? clampPercent(progress)
    : null;
  const percent = s.state === "success" ? 100 : reported;
  const word = typeof s.data.state === "string" && s.data.state.trim() !== ""
    ? s.data.state
    : "Running";
  const label = running ? word : s.state === "success" ? "Success" : "Failed";
  const message = typeof s.data.message === "string" && s.data.message !== ""
    ? s.data.message
    : null;
  const eta = s.data.estimated_time;
  const etaLeft = typeof eta === "number" && Number.isFinite(eta) && eta >= 0
    ? Math.max(0, eta - Math.max(0, now - model.dataAt) / 1000)
    : null;
  const elapsed = running
    ? s.durationSec + Math.max(0, now - model.durationAt) / 1000
    : s.durationSec;
  const big = percent !== null ? formatPercent(percent) : "–";
  const details = entries(s.data, conventional);
  return {
    state: s.state,
    label,
    icon: icons[s.state],
    message,
    percent,
    big,
    valueText: percent !== null ? `${formatPercent(percent)}, ${label}` : `${label}, no percentage`,
    etaText: running && etaLeft !== null
      ? formatElapsed(etaLeft)
      : s.state === "success"
      ? "0 s"
      : "–",
    elapsedText: formatElapsed(elapsed),
    spectatorsText: String(s.spectators),
    result: s.state === "success" ? entries(s.result ?? {}, ["ok"]) : null,
    error: s.state === "failed" ? (s.error ?? "The job failed.") : null,
    details,
    title: `${titlePrefix(s.state, reported, label)} · ${s.id}`,
  };
}

const icons: Record<JobState, string> = { running: "●", success: "✓", failed: "✗" };

function titlePrefix(state: JobState, percent: number | null, label: string): string {
  switch (state) {
    case "running":
      return percent !== null ? `${Math.floor(percent)}%` : label;
    case "success":
      return "✓ success";
    case "failed":
      return "✗ failed";
  }
}

/**
 * The most entries shown, the longest value and the deepest level written out, so a huge or
 * deep result cannot stall the page (in the server's first render or in a watcher's browser).
 */
const maxEntries = 50;
const maxValueChars = 4000;
const maxValueDepth = 16;

/**
 * An object's fields as readable lines, `omit` left out: strings as they are, numbers and
 * booleans as written, objects and arrays as indented JSON ({@linkcode previewJson}: at most
 * 4000 characters and 16 levels, in time bounded by that, whatever the value's size or depth).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { entries } from "./job_view.ts";
 * assert.deepEqual(entries({ ok: true, file: "a.mp4", size: 3, parts: [1, 2] }, ["ok"]), [
 *   { key: "file", value: "a.mp4", block: false },
 *   { key: "size", value: "3", block: false },
 *   { key: "parts", value: "[\n  1,\n  2\n]", block: true },
 * ]);
 * ```
 */
export function entries(object: Record<string, unknown>, omit: readonly string[] = []): Entry[] {
  const shown: Entry[] = [];
  for (const [key, value] of Object.entries(object)) {
    if (omit.includes(key) || streamFields.includes(key)) continue;
    if (shown.length === maxEntries) {
      shown.push({ key: "…", value: "more fields not shown", block: false });
      break;
    }
    let text = typeof value === "string"
      ? value
      : previewJson(value, { maxChars: maxValueChars, maxDepth: maxValueDepth });
    if (text.length > maxValueChars) text = `${text.slice(0, maxValueChars)}…`;
    shown.push({ key, value: text, block: text.includes("\n") || text.length > 80 });
  }
  return shown;
}
