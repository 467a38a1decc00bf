import type { JobSnapshot, JobState } from "../progress/snapshot.ts";
import type { Replay } from "../progress/replay.ts";
import { AUDIENCE_EVENT, Topic, TopicEvent } from "../progress/topic.ts";

/** Options for {@linkcode JobTopic}. */
export interface JobTopicOptions {
  /** The first snapshot (a start's body). @default {} */
  first?: Record<string, unknown> | null;
  /**
   * At most one `progress` event per this many ms, the newest publish winning; and at most one
   * `spectators` event. 0: no coalescing, every publish is emitted as it comes. @default 250
   */
  progressInterval?: number;
  /** The clock, for tests. @default Date.now */
  now?: () => number;
}

/** The event types of a job topic (the SSE task-progress convention, and `spectators`). */
export const JOB_EVENTS = ["progress", "complete", "error", AUDIENCE_EVENT] as const;

/**
 * The newest `progress` greets; an event carries what was published, so the message brings
 * the snapshot along.
 */
const JOB_REPLAY: Replay = { backlog: [], greetAs: null, snapshot: "message" };

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/**
 * One run of a job as spectators see it: `running`, then `success` or `failed`, and the last
 * published object (cache-last, O(1) memory: one object, whatever the number of publishes).
 *
 * Events: `progress` (the published object with `task_id` and `updated_at` added), then exactly
 * one terminal: `complete` (`{"state":"success",…the finish body}`) or `error`
 * (`{"error":"…"}`). A publish is emitted at once when the topic has been quiet for
 * `progressInterval`; publishes that come faster are coalesced, and the newest one goes out at
 * the end of the interval. So spectators get at most one `progress` per interval however fast
 * the publisher goes, and the fan-out costs the same for 10 publishes a second or 10,000. A
 * coalesced publish still pending when the job ends is emitted before the terminal event. With
 * `progressInterval` 0 nothing is coalesced here: every publish is emitted at once (a spectator
 * whose socket stalls still keeps only the newest, in its latest-wins slot).
 * `spectators` (`{"spectators":N}`) tells them when their number changed, at most once per
 * interval too (the published object is the publisher's: the count is not added to it).
 *
 * A new spectator's greeting is the terminal event after the end, else one `progress` with the
 * cached object (`{}` plus the two fields before the first publish) and one `spectators` (a page
 * opened before its stream came says "Watching 1" at once). Every event has an SSE id,
 * the greeting too (the id of the last event emitted), so a reconnecting EventSource always
 * names where it was; one that names the terminal event has seen the end
 * ({@linkcode Topic.endSeenBy}), and the route answers it `204` so that it stops reconnecting.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { TopicEvent } from "../progress/topic.ts";
 * import { JobTopic } from "./job_topic.ts";
 * const topic = new JobTopic("ci/build-7", { first: { progress: 0 } });
 * const seen: string[] = [];
 * topic.addEventListener("progress", (e) => seen.push(JSON.stringify((e as TopicEvent).data)));
 * topic.publish({ progress: 40 });
 * topic.succeed({ ok: true, url: "https://example.com/artifact" });
 * assert.equal(JSON.parse(seen[0]!).progress, 40);
 * assert.equal(topic.snapshot().state, "success");
 * assert.deepEqual(topic.greeting()[0]!.data, {
 *   state: "success",
 *   ok: true,
 *   url: "https://example.com/artifact",
 * });
 * ```
 */
export class JobTopic extends Topic {
  /** How another node replays its events (see {@linkcode Replay}). */
  override get replay(): Replay {
    return JOB_REPLAY;
  }

  #state: JobState = "running";
  #now: () => number;
  #interval: number;
  #data: Record<string, unknown>;
  #result: Record<string, unknown> | null = null;
  #error: string | null = null;
  #startedAt: number;
  #updatedAt: number;
  #finishedAt: number | null = null;
  /** Armed only while a coalesced publish waits for the end of the interval. */
  #throttle: ReturnType<typeof setTimeout> | undefined;
  /** When the last `progress` went out, on the monotonic clock. */
  #emittedAt = -Infinity;

  constructor(id: string, options: JobTopicOptions = {}) {
    super("job", id, JOB_EVENTS);
    this.#now = options.now ?? Date.now;
    this.#interval = options.progressInterval ?? 250;
    // 0 (no coalescing) still tells the audience, as often as timers turn.
    this.audienceInterval = Math.max(1, this.#interval);
    this.#data = options.first ?? {};
    this.#startedAt = this.#now();
    this.#updatedAt = this.#startedAt;
  }

  get state(): JobState {
    return this.#state;
  }

  /** When the last publish (or the start) happened, in the clock's ms. */
  get updatedAt(): number {
    return this.#updatedAt;
  }

  /**
   * Replaces the cached object and sends it to spectators (see the class doc for the cadence).
   *
   * @returns false when the job has ended (nothing changes then).
   */
  publish(data: Record<string, unknown>): boolean {
    if (this.ended) return false;
    this.#data = data;
    this.#updatedAt = this.#now();
    if (this.#interval === 0) {
      this.#emitProgress();
    } else if (this.#throttle === undefined) {
      // Quiet for an interval: out at once, and no timer (a publisher slower than the interval
      // costs no wake-up of its own). Else the newest goes out when the interval is over.
      const wait = this.#emittedAt + this.#interval - performance.now();
      if (wait <= 0) this.#emitProgress();
      else this.#throttle = setTimeout(() => this.#tick(), wait);
    }
    return true;
  }

  /** The job succeeded: `complete` with the finish body. False when it had ended already. */
  succeed(result: Record<string, unknown>): boolean {
    if (!this.#stop()) return false;
    this.#state = "success";
    this.#result = result;
    // `state` first, as the convention shows it, and never overwritten by the body's own.
    this.emit("complete", Object.assign({ state: "success" }, result, { state: "success" }), true);
    return true;
  }

  /** The job failed: `error` with the reason. False when it had ended already. */
  fail(error: string): boolean {
    if (!this.#stop()) return false;
    this.#state = "failed";
    this.#error = error;
    this.emit("error", { error }, true);
    return true;
  }

  override greeting(): TopicEvent[] {
    if (this.ended) return super.greeting();
    const id = this.lastId;
    return [
      new TopicEvent("progress", this.#progressData(), false, id),
      new TopicEvent(AUDIENCE_EVENT, { spectators: this.spectators }, false, id),
    ];
  }

  protected override announceAudience(): void {
    this.emit(AUDIENCE_EVENT, { spectators: this.spectators });
  }

  snapshot(): JobSnapshot {
    const end = this.#finishedAt ?? this.#now();
    return {
      kind: "job",
      id: this.name,
      state: this.#state,
      data: this.#data,
      result: this.#result,
      error: this.#error,
      startedAt: new Date(this.#startedAt).toISOString(),
      updatedAt: new Date(this.#updatedAt).toISOString(),
      durationSec: round1((end - this.#startedAt) / 1000),
      spectators: this.spectators,
    };
  }

  #progressData(): Record<string, unknown> {
    return {
      ...this.#data,
      task_id: this.name,
      updated_at: new Date(this.#updatedAt).toISOString(),
    };
  }

  #emitProgress(): void {
    this.#emittedAt = performance.now();
    this.emit("progress", this.#progressData());
  }

  #tick(): void {
    this.#throttle = undefined;
    this.#emitProgress();
  }

  /** Flushes a coalesced publish and freezes the clock; false when already ended. */
  #stop(): boolean {
    if (this.ended) return false;
    if (this.#throttle !== undefined) {
      clearTimeout(this.#throttle);
      this.#tick();
    }
    this.#finishedAt = this.#now();
    this.#updatedAt = this.#finishedAt;
    return true;
  }
}
