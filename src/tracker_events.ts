import type { Entry } from "./entry.ts";

/**
 * An entry came into the registry (`type` `"entry"`, `present` true) or was forgotten
 * (`present` false); watch links keep their id map by it.
 */
export class EntryEvent extends Event {
  constructor(readonly entry: Entry, readonly present: boolean) {
    super("entry");
  }
}

/**
 * A run starts (`"run"`): a new pipe, job or process, or a fresh run of one; once per run.
 * Several nodes share every run through Redis this way. A listener that starts work the
 * answer must wait for (the run's record and watch link in Redis) hands its promise to
 * `waitUntil`: `Tracker.published` waits for them.
 */
export class RunEvent extends Event {
  #pending: Promise<unknown>[] = [];

  constructor(readonly entry: Entry) {
    super("run");
  }

  /** Makes `Tracker.published` wait for `promise` (settled either way); a bound function. */
  readonly waitUntil = (promise: Promise<unknown>): void => {
    this.#pending.push(promise);
  };

  /** What the listeners handed to `waitUntil`. */
  get pending(): readonly Promise<unknown>[] {
    return this.#pending;
  }
}

/**
 * A run ended (`"end"`), of any kind (a pipe `complete`/`failed`, a job `success`/`failed`, a
 * process `exited`/`killed`/`failed`), once, when the registry counts it: its topic holds its
 * final state and snapshot then. Only the runs this node owns end here. The listener runs on
 * the path that ended the run: it must not wait for anything.
 */
export class EndEvent extends Event {
  constructor(readonly entry: Entry) {
    super("end");
  }
}

/** The tracker's events, by type. */
export interface TrackerEventMap {
  entry: EntryEvent;
  run: RunEvent;
  end: EndEvent;
  [type: string]: Event;
}
