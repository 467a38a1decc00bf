import { HttpError } from "../http_error.ts";
import type { Tracker } from "../tracker.ts";
import { Process, type ProcessOptions } from "./process.ts";

/** Options for {@linkcode obtainProcess}. */
export interface ObtainProcessOptions
  extends Pick<ProcessOptions, "historyLines" | "historyBytes" | "idle"> {
  /** A task start: refused (`503`) while the server drains, even when the id exists. */
  newWork?: boolean;
  /** Called when this call creates the process. */
  onCreate?: () => void;
}

/**
 * The process of that id, created when missing (`onCreate` is then called). While the server
 * drains, creating one is refused (`503`), and so is anything with `newWork` (a task start); a
 * post to a process that exists is not new work: a running one goes on to its end.
 *
 * @throws {HttpError} 503 past `maxTopics`, or while draining when a process would be created.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfig } from "../config.ts";
 * import { Tracker } from "../tracker.ts";
 * import { obtainProcess } from "./processes.ts";
 * const tracker = new Tracker(defaultConfig());
 * let created = 0;
 * const first = obtainProcess(tracker, "deploy", { onCreate: () => created++ });
 * assert.equal(obtainProcess(tracker, "deploy", { onCreate: () => created++ }), first);
 * assert.equal(created, 1);
 * tracker.drain();
 * assert.throws(() => obtainProcess(tracker, "other"), /shutting down/);
 * tracker.close();
 * ```
 */
export function obtainProcess(
  tracker: Tracker,
  id: string,
  options: ObtainProcessOptions = {},
): Process {
  const { newWork = false, onCreate, ...limits } = options;
  const existing = newWork ? undefined : tracker.find<Process>("process", id);
  return existing ?? tracker.obtain(
    "process",
    id,
    (changed) => {
      onCreate?.();
      return new Process(id, {
        ...limits,
        progressInterval: tracker.options.progressInterval,
        onChange: changed,
      });
    },
    true,
  );
}

/**
 * The process of that id for a spectator that names it (its URL, a hub channel): a process is
 * watched once it exists, never made for a spectator.
 *
 * @throws {HttpError} 404 when no process has that id.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfig } from "../config.ts";
 * import { Tracker } from "../tracker.ts";
 * import { obtainProcess, watchProcess } from "./processes.ts";
 * const tracker = new Tracker(defaultConfig());
 * assert.throws(() => watchProcess(tracker, "deploy"), {
 *   status: 404,
 *   message: "Process 'deploy' not found",
 * });
 * const process = obtainProcess(tracker, "deploy");
 * assert.equal(watchProcess(tracker, "deploy"), process);
 * tracker.close();
 * ```
 */
export function watchProcess(tracker: Tracker, id: string): Process {
  const process = tracker.find<Process>("process", id);
  if (!process) throw new HttpError(404, `Process '${id}' not found`);
  return process;
}
