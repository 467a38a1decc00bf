import type { ProcessStatus } from "../progress/snapshot.ts";

/** Linux signal numbers, for the 128+N exit code of a child a signal ended. */
const SIGNALS: Readonly<Record<string, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPWR: 30,
  SIGSYS: 31,
};

/**
 * A child's end as a process status and exit code, the way a shell reports it: `exited` with
 * its code, or `killed` with 128+N when signal N ended it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { exitOf } from "./exit_status.ts";
 * assert.deepEqual(exitOf({ code: 7, signal: null }), { status: "exited", exitCode: 7 });
 * assert.deepEqual(exitOf({ code: null, signal: "SIGTERM" }), { status: "killed", exitCode: 143 });
 * ```
 */
export function exitOf(
  ended: { code: number | null; signal: string | null },
): { status: ProcessStatus; exitCode: number } {
  if (ended.signal !== null) {
    return { status: "killed", exitCode: 128 + (SIGNALS[ended.signal] ?? 0) };
  }
  return { status: "exited", exitCode: ended.code ?? 0 };
}
