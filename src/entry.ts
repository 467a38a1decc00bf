import type { Topic } from "./progress/topic.ts";

/** The kinds of topic the registry holds. */
export type TopicKind = "pipe" | "job" | "process";

/** Every kind, in the order stats and metrics list them. */
export const TOPIC_KINDS: readonly TopicKind[] = ["pipe", "job", "process"];

/**
 * What the registry holds under `kind:name`: a pipe, a job or a process. The entry owns its
 * current run's {@linkcode Topic} (a new run may replace it) and says whether anything besides
 * spectators keeps it alive.
 */
export interface Entry {
  readonly kind: TopicKind;
  readonly name: string;
  /** The current run, or the last one after it ended. */
  readonly topic: Topic;
  /** Whether a sender, receiver, transfer, running job or running process is here now. */
  readonly busy: boolean;
  /** Fails whatever runs now (shutdown). Safe to call twice. */
  abort(reason: string): void;
  /**
   * Whether bytes move here now (a pipe's transfer): `transfers` counts these, and the drain
   * waits for them. An entry that has it starts a run (for `started`) when it first moves
   * bytes; one without it (a job, a process) when the registry first sees the run.
   */
  readonly transferring?: boolean;
  /** The bytes the current run relayed: so far while it transfers, in all once it ended. */
  readonly bytesRelayed?: number;
  /**
   * What the log says when a run starts and when it ends, as message and fields; without it,
   * or when it gives `undefined`, nothing at the start and `KIND STATE` at the end.
   */
  logLine?(moment: "started" | "ended"): [string, Record<string, unknown>] | undefined;
}
