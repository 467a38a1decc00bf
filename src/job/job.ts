import { formatFlagDuration } from "../flag_units.ts";
import type { Entry, Tracker } from "../tracker.ts";
import { JobTopic } from "./job_topic.ts";
import { HttpError } from "../http_error.ts";

/** Options for {@linkcode Job}. */
export interface JobOptions {
  /** The first run's first snapshot (a start's body). @default none */
  first?: Record<string, unknown> | null;
  /** Passed to every run's {@linkcode JobTopic}. @default 250 */
  progressInterval?: number;
  /** A running job with no publish for this many ms fails. @default 3600000 */
  idle?: number;
  /** Called when a run starts or ends; the tracker listens. */
  onChange?: (job: Job) => void;
}

/** What ends a job: a finish body, checked. */
export type Outcome = { ok: true; result: Record<string, unknown> } | { ok: false; error: string };

/**
 * Reads a finish body: `{"ok":true,…}` succeeds with the whole body as the result,
 * `{"ok":false,"error":"…"}` fails with that reason ("Job failed" without one). An empty body
 * (`null`) is `{"ok":true}`.
 *
 * @throws {HttpError} 400 when `ok` is not a boolean or `error` not a string.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseOutcome } from "./job.ts";
 * assert.deepEqual(parseOutcome({ ok: false, error: "disk full" }), { ok: false, error: "disk full" });
 * assert.throws(() => parseOutcome({ ok: "yes" }), /"ok": true or false/);
 * ```
 */
export function parseOutcome(body: Record<string, unknown> | null): Outcome {
  if (body === null) return { ok: true, result: { ok: true } };
  if (typeof body.ok !== "boolean") {
    throw new HttpError(400, 'A finish body needs "ok": true or false');
  }
  if (body.error !== undefined && typeof body.error !== "string") {
    throw new HttpError(400, 'A finish body\'s "error" must be a string');
  }
  if (body.ok) return { ok: true, result: body };
  return { ok: false, error: (body.error as string | undefined) || "Job failed" };
}

/**
 * One job id in the registry: its current run ({@linkcode JobTopic}) and the rules around it.
 * A job is busy while its run is running; a finished run stays for latecomers (the tracker's
 * retention) until a new start replaces it with a fresh run, whose spectators never see the
 * old run's end. A run with no publish for `idle` fails with `No update for 1h` (the duration
 * as the flag gives it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Job } from "./job.ts";
 * const job = new Job("nightly", { first: { progress: 0 } });
 * job.publish({ progress: 50 });
 * assert.equal(job.finish({ ok: true, result: { ok: true } }), true);
 * assert.equal(job.finish({ ok: false, error: "late" }), false); // the first one wins
 * const first = job.topic;
 * assert.equal(job.restart(null), true);
 * assert.notEqual(job.topic, first);
 * assert.equal(job.topic.state, "running");
 * job.abort("test over");
 * ```
 */
export class Job implements Entry {
  readonly kind = "job" as const;
  readonly name: string;
  #options: JobOptions;
  #topic: JobTopic;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(name: string, options: JobOptions = {}) {
    this.name = name;
    this.#options = options;
    this.#topic = this.#newRun(options.first ?? null);
  }

  /** The current run, or the last one after it ended. */
  get topic(): JobTopic {
    return this.#topic;
  }

  /** Whether the current run is running. */
  get busy(): boolean {
    return !this.#topic.ended;
  }

  /**
   * Replaces a finished run with a fresh one (`first` its first snapshot).
   *
   * @returns false, changing nothing, when the current run is still running.
   */
  restart(first: Record<string, unknown> | null): boolean {
    if (!this.#topic.ended) return false;
    this.#topic = this.#newRun(first);
    this.#options.onChange?.(this);
    return true;
  }

  /**
   * Replaces the run's cached snapshot and sends it to spectators.
   *
   * @throws {HttpError} 409 when the run has ended.
   */
  publish(data: Record<string, unknown>): void {
    if (!this.#topic.publish(data)) {
      throw new HttpError(409, `Job '${this.name}' has ended (${this.#topic.state})`);
    }
  }

  /**
   * Ends the run with `outcome`.
   *
   * @returns true when this call ended it, false when it had ended already (nothing changes).
   */
  finish(outcome: Outcome): boolean {
    const topic = this.#topic;
    const ended = outcome.ok ? topic.succeed(outcome.result) : topic.fail(outcome.error);
    if (ended) this.#ended();
    return ended;
  }

  /** Fails the running run with `reason` (shutdown). Safe to call twice. */
  abort(reason: string): void {
    if (this.#topic.fail(reason)) this.#ended();
  }

  #ended(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    this.#options.onChange?.(this);
  }

  #newRun(first: Record<string, unknown> | null): JobTopic {
    const topic = new JobTopic(this.name, {
      first,
      // 0 is a cadence too (every publish): only a missing one means the topic's default.
      ...(this.#options.progressInterval === undefined
        ? {}
        : { progressInterval: this.#options.progressInterval }),
    });
    this.#watchIdle(topic);
    return topic;
  }

  /** One timer per run, re-armed for the time left rather than reset on every publish. */
  #watchIdle(topic: JobTopic): void {
    clearTimeout(this.#idleTimer);
    const idle = this.#options.idle ?? 60 * 60_000;
    const check = () => {
      if (topic !== this.#topic || topic.ended) return;
      const quiet = Date.now() - topic.updatedAt;
      if (quiet >= idle) {
        this.#idleTimer = undefined;
        if (topic.fail(`No update for ${formatFlagDuration(idle)}`)) this.#ended();
      } else {
        this.#idleTimer = setTimeout(check, idle - quiet);
      }
    };
    this.#idleTimer = setTimeout(check, idle);
  }
}

/** Options for {@linkcode startJob}. */
export interface StartJobOptions {
  /** Start-or-join: a retained (finished) job is joined rather than replaced. */
  join?: boolean;
  /** The first snapshot, when this start creates a run. */
  first?: Record<string, unknown> | null;
  /** A running job with no publish for this many ms fails. @default 3600000 */
  idle?: number;
}

/**
 * Starts the job `id` in the tracker, or joins it. Start: none → created; running → joined;
 * finished → replaced by a fresh run (created). With `join`: running or finished → joined;
 * none → created. `first` is used only when a run is created. Synchronous, so concurrent
 * starts of one id create exactly one run.
 *
 * @throws {HttpError} 503 past `--max-topics` or while draining, when a run would be created.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfig } from "../config.ts";
 * import { Tracker } from "../tracker.ts";
 * import { startJob } from "./job.ts";
 * const tracker = new Tracker(defaultConfig());
 * assert.equal(startJob(tracker, "a").created, true);
 * assert.equal(startJob(tracker, "a").created, false);
 * tracker.close();
 * ```
 */
export function startJob(
  tracker: Tracker,
  id: string,
  options: StartJobOptions = {},
): { job: Job; created: boolean } {
  const existing = tracker.find<Job>("job", id);
  if (existing && (options.join || existing.busy)) return { job: existing, created: false };
  const first = options.first ?? null;
  if (existing) {
    if (tracker.draining) throw new HttpError(503, "Server is shutting down; try again shortly");
    existing.restart(first);
    return { job: existing, created: true };
  }
  const job = tracker.obtain(
    "job",
    id,
    (changed) =>
      new Job(id, {
        first,
        progressInterval: tracker.options.progressInterval,
        ...(options.idle === undefined ? {} : { idle: options.idle }),
        onChange: changed,
      }),
    true,
  );
  return { job, created: true };
}

/**
 * The job of that id for a spectator that names it (a hub channel): a job is watched once it
 * started, never made for a spectator.
 *
 * @throws {HttpError} 404 when no job has that id.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfig } from "../config.ts";
 * import { Tracker } from "../tracker.ts";
 * import { startJob, watchJob } from "./job.ts";
 * const tracker = new Tracker(defaultConfig());
 * assert.throws(() => watchJob(tracker, "build"), {
 *   status: 404,
 *   message: "Job 'build' not found",
 * });
 * const { job } = startJob(tracker, "build");
 * assert.equal(watchJob(tracker, "build"), job);
 * tracker.close();
 * ```
 */
export function watchJob(tracker: Tracker, id: string): Job {
  const job = tracker.find<Job>("job", id);
  if (!job) throw new HttpError(404, `Job '${id}' not found`);
  return job;
}
