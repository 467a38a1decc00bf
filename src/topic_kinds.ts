import { watchJob } from "./job/job.ts";
import { watchPipe } from "./pipe/pipes.ts";
import { watchProcess } from "./process/processes.ts";
import type { Entry, TopicKind, Tracker } from "./tracker.ts";

/** How a spectator that names a topic reaches it (each kind's module says). */
export type Watch = (tracker: Tracker, name: string) => Entry;

/**
 * Each kind's {@linkcode Watch}, the one list of the kinds a spectator can name (the hub's
 * channels): a pipe may be watched before it exists (an idle one is made for spectators to
 * wait on, counted as waiting); a job or a process must exist (`404` otherwise).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfig } from "./config.ts";
 * import { Tracker } from "./tracker.ts";
 * import { WATCH } from "./topic_kinds.ts";
 * const tracker = new Tracker(defaultConfig());
 * assert.equal(WATCH.pipe(tracker, "early").topic.state, "idle");
 * assert.throws(() => WATCH.job(tracker, "nope"), { message: "Job 'nope' not found" });
 * tracker.close();
 * ```
 */
export const WATCH: Readonly<Record<TopicKind, Watch>> = {
  pipe: watchPipe,
  job: watchJob,
  process: watchProcess,
};
