interface Beat {
  timer: ReturnType<typeof setInterval>;
  members: Set<() => void>;
}

/** One interval per period, shared by every member of that period. */
const beats = new Map<number, Beat>();

/**
 * Calls `tick` every `ms` milliseconds until the returned function is called, on one
 * `setInterval` shared by every caller with the same period (10,000 spectators' heartbeats are
 * one timer, not 10,000): the first tick comes within `ms`, not exactly `ms` after the call. The
 * shared timer stops when its last member leaves.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { every } from "./ticker.ts";
 * let a = 0;
 * let b = 0;
 * const stopA = every(5, () => a++);
 * const stopB = every(5, () => b++);
 * await new Promise((resolve) => setTimeout(resolve, 40));
 * stopA();
 * stopB();
 * assert.ok(a > 0 && b > 0);
 * ```
 */
export function every(ms: number, tick: () => void): () => void {
  let beat = beats.get(ms);
  if (!beat) {
    const members = new Set<() => void>();
    beat = {
      members,
      timer: setInterval(() => {
        for (const member of members) member();
      }, ms),
    };
    beats.set(ms, beat);
  }
  // A wrapper of its own, so that the same function added twice is two members.
  const member = () => tick();
  beat.members.add(member);
  const shared = beat;
  return () => {
    if (!shared.members.delete(member) || shared.members.size > 0) return;
    clearInterval(shared.timer);
    if (beats.get(ms) === shared) beats.delete(ms);
  };
}
