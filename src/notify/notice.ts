import { formatBytes } from "../client/format.ts";

/**
 * What a webhook target gets when a topic ends: one JSON object per end.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { EndNotice } from "./notice.ts";
 * const notice: EndNotice = {
 *   event: "end", kind: "job", name: "ci/7", state: "success", snapshot: {},
 *   url: "https://w.test/api/v1/jobs/ci/7", watch: "https://w.test/w/ID", node: null,
 *   at: "2026-11-22T10:03:12.000Z", text: "✓ job ci/7 succeeded in 3m12s — https://w.test/w/ID",
 * };
 * assert.equal(notice.event, "end");
 * ```
 */
export interface EndNotice {
  event: "end";
  /** `pipe`, `job` or `process`. */
  kind: string;
  name: string;
  /** The final state: `complete`/`failed`, `success`/`failed`, `exited`/`killed`/`failed`. */
  state: string;
  /** The run's final snapshot, as its JSON URL would answer. */
  snapshot: unknown;
  /** The spectator URL (dashboard, SSE, JSON). */
  url: string;
  /** The watch link, which never reveals the name. */
  watch: string;
  /** The node that owned the run (`--node`), `null` on a single unnamed node. */
  node: string | null;
  /** When the run ended, ISO 8601. */
  at: string;
  /** One human line, for chat incoming webhooks (Slack, Mattermost, Google Chat). */
  text: string;
}

/** What {@linkcode endNotice} is made of. */
export interface EndNoticeInput {
  kind: string;
  name: string;
  state: string;
  snapshot: unknown;
  /** The server's public origin, without a trailing slash (`https://watch.example.com`). */
  origin: string;
  /** The topic's watch id. */
  watchId: string;
  node: string | null;
  at: Date;
}

/**
 * The spectator path of a topic (`/api/v1/pipe/NAME?progress`, `/api/v1/jobs/NAME`,
 * `/api/v1/processes/NAME`). Names are URL-safe as they are (`A-Z a-z 0-9 . _ ~ -` and `/`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { spectatorPath } from "./notice.ts";
 * assert.equal(spectatorPath("pipe", "backup/db"), "/api/v1/pipe/backup/db?progress");
 * assert.equal(spectatorPath("job", "ci/7"), "/api/v1/jobs/ci/7");
 * assert.equal(spectatorPath("process", "b1"), "/api/v1/processes/b1");
 * ```
 */
export function spectatorPath(kind: string, name: string): string {
  if (kind === "pipe") return `/api/v1/pipe/${name}?progress`;
  return `/api/v1/${kind === "job" ? "jobs" : "processes"}/${name}`;
}

/**
 * The notice of one end, `text` included (see {@linkcode noticeText}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { endNotice } from "./notice.ts";
 * const notice = endNotice({
 *   kind: "job", name: "ci/build-7", state: "success", snapshot: { durationSec: 192 },
 *   origin: "https://w.test", watchId: "AAAAAAAAAAAAAAAAAAAAAA", node: "n1",
 *   at: new Date("2026-11-22T10:03:12Z"),
 * });
 * assert.equal(notice.url, "https://w.test/api/v1/jobs/ci/build-7");
 * assert.equal(notice.text, "✓ job ci/build-7 succeeded in 3m12s — https://w.test/w/AAAAAAAAAAAAAAAAAAAAAA");
 * assert.equal(notice.at, "2026-11-22T10:03:12.000Z");
 * ```
 */
export function endNotice(input: EndNoticeInput): EndNotice {
  const watch = `${input.origin}/w/${input.watchId}`;
  return {
    event: "end",
    kind: input.kind,
    name: input.name,
    state: input.state,
    snapshot: input.snapshot,
    url: `${input.origin}${spectatorPath(input.kind, input.name)}`,
    watch,
    node: input.node,
    at: input.at.toISOString(),
    text: noticeText(input.kind, input.name, input.snapshot, watch, input.state),
  };
}

/**
 * One human line for an end: `✓` or `✗`, the kind and name, what happened, how long it took,
 * and the watch link. Text a publisher wrote (a job's error) has `<`, `>` and `@` defused, so
 * that a failing job cannot ping a whole chat channel (`<!channel>`, `@here`); the exact text
 * stays in the snapshot.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { noticeText } from "./notice.ts";
 * const url = "https://w.test/w/ID";
 * assert.equal(
 *   noticeText("pipe", "db", { bytes: 1_234_000_000, durationSec: 12.3 }, url, "complete"),
 *   "✓ pipe db complete: 1.23 GB in 12s — https://w.test/w/ID",
 * );
 * assert.equal(
 *   noticeText("job", "ci/7", { durationSec: 61, error: "<!channel> disk full" }, url, "failed"),
 *   "✗ job ci/7 failed after 1m01s: ‹!channel› disk full — https://w.test/w/ID",
 * );
 * assert.equal(
 *   noticeText("process", "b1", { exitCode: 2, durationSec: 3725 }, url, "exited"),
 *   "✗ process b1 exited 2 after 1h02m — https://w.test/w/ID",
 * );
 * ```
 */
export function noticeText(
  kind: string,
  name: string,
  snapshot: unknown,
  watch: string,
  state: string,
): string {
  const fields = (typeof snapshot === "object" && snapshot !== null ? snapshot : {}) as Record<
    string,
    unknown
  >;
  const took = typeof fields.durationSec === "number" ? fields.durationSec : null;
  const error = typeof fields.error === "string" && fields.error !== "" ? fields.error : null;
  const exitCode = typeof fields.exitCode === "number" ? fields.exitCode : null;
  const ok = state === "complete" || state === "success" || (state === "exited" && exitCode === 0);
  let what: string;
  if (kind === "pipe" && state === "complete") {
    const bytes = typeof fields.bytes === "number" ? `${formatBytes(fields.bytes)} ` : "";
    what = `complete: ${bytes}${took === null ? "" : `in ${duration(took)}`}`.trimEnd();
  } else {
    const verb = state === "success"
      ? "succeeded"
      : state === "exited"
      ? `exited ${exitCode ?? "?"}`
      : state === "killed"
      ? "was killed"
      : state === "complete"
      ? "complete"
      : state;
    what = `${verb}${took === null ? "" : ` ${ok ? "in" : "after"} ${duration(took)}`}`;
    if (!ok && error !== null) what += `: ${defuse(error)}`;
  }
  return `${ok ? "✓" : "✗"} ${kind} ${name} ${what} — ${watch}`;
}

/**
 * Seconds as `0.4s`, `45s`, `3m12s`, `1h02m`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { duration } from "./notice.ts";
 * assert.deepEqual([0.42, 45, 192, 3725].map(duration), ["0.4s", "45s", "3m12s", "1h02m"]);
 * ```
 */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  if (seconds < 10) return `${Math.floor(seconds * 10) / 10}s`;
  const whole = Math.floor(seconds);
  if (whole < 60) return `${whole}s`;
  const pad = (n: number) => String(n).padStart(2, "0");
  if (whole < 3600) return `${Math.floor(whole / 60)}m${pad(whole % 60)}s`;
  return `${Math.floor(whole / 3600)}h${pad(Math.floor(whole / 60) % 60)}m`;
}

/** A publisher's text on one line, at most 200 characters, unable to mention anyone. */
function defuse(text: string): string {
  const line = text.replace(/\s+/g, " ").trim()
    .replaceAll("<", "‹").replaceAll(">", "›").replaceAll("@", "@\u200b");
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}
