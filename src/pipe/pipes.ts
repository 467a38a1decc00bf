import type { Spectator, SpectatorOptions } from "../sse/spectator.ts";
import type { Entry, Tracker } from "../tracker.ts";
import { Pipe, type PipeOptions } from "./pipe.ts";

/** One options object for every pipe of a tracker, not one (and one closure) per pipe. */
const shared = new WeakMap<Tracker, PipeOptions>();

function create(tracker: Tracker, name: string, changed: (entry: Entry) => void): Pipe {
  let options = shared.get(tracker);
  if (!options) {
    options = {
      waitTimeout: tracker.options.waitTimeout,
      progressInterval: tracker.options.progressInterval,
      onChange: changed,
    };
    shared.set(tracker, options);
  }
  return new Pipe(name, options);
}

/**
 * The pipe of that name for a sender or receiver, created when missing. A pipe only
 * spectators held until now moves to the publishers' count.
 *
 * @throws {HttpError} 503 past `maxTopics`, or while draining when `forTransfer`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfig } from "../config.ts";
 * import { Tracker } from "../tracker.ts";
 * import { findPipe, obtainPipe } from "./pipes.ts";
 * const tracker = new Tracker(defaultConfig());
 * const pipe = obtainPipe(tracker, "p");
 * assert.equal(findPipe(tracker, "p"), pipe);
 * assert.equal(obtainPipe(tracker, "p"), pipe);
 * const spectator = tracker.spectate(pipe.topic);
 * assert.equal(tracker.stats().spectators, 1);
 * spectator.close();
 * assert.equal(tracker.stats().pipes, 0);
 * ```
 */
export function obtainPipe(tracker: Tracker, name: string, forTransfer = false): Pipe {
  return tracker.obtain("pipe", name, (changed) => create(tracker, name, changed), forTransfer);
}

/**
 * The pipe of that name for a spectator: when missing, an idle one is made for spectators to
 * wait on, counted against `maxWaitingTopics` (not `maxTopics`) until a sender or receiver
 * comes ({@linkcode Tracker.watch}).
 *
 * @throws {HttpError} 503 when `maxWaitingTopics` topics already wait (an existing pipe is
 * always returned).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfig } from "../config.ts";
 * import { Tracker } from "../tracker.ts";
 * import { obtainPipe, watchPipe } from "./pipes.ts";
 * const tracker = new Tracker({ ...defaultConfig(), maxTopics: 1, maxWaitingTopics: 1 });
 * const spectator = tracker.spectate(watchPipe(tracker, "early").topic);
 * assert.throws(() => watchPipe(tracker, "another"), /waiting for a publisher/);
 * obtainPipe(tracker, "sender-side"); // the publishers' room is untouched
 * assert.deepEqual([tracker.stats().pipes, tracker.stats().waiting], [2, 1]);
 * spectator.close();
 * tracker.close();
 * ```
 */
export function watchPipe(tracker: Tracker, name: string): Pipe {
  return tracker.watch("pipe", name, (changed) => create(tracker, name, changed));
}

/** The pipe of that name if it exists. */
export function findPipe(tracker: Tracker, name: string): Pipe | undefined {
  return tracker.find<Pipe>("pipe", name);
}

/**
 * Attaches an SSE spectator to the pipe of that name, created (idle) when missing so that
 * spectators can wait for a transfer that has not started.
 *
 * @throws {HttpError} as {@linkcode Tracker.spectate} and {@linkcode watchPipe} do.
 */
export function spectatePipe(
  tracker: Tracker,
  name: string,
  signal?: AbortSignal,
  extra: SpectatorOptions = {},
): Spectator {
  return tracker.spectate(watchPipe(tracker, name).topic, signal ? { ...extra, signal } : extra);
}
