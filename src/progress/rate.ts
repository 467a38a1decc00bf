/** Options for {@linkcode RateEstimator}. */
export interface RateEstimatorOptions {
  /** The rate is the bytes that moved over about this many milliseconds. @default 3000 */
  window?: number;
  /**
   * A pause up to this long after the last bytes moved does not lower the rate: readers that
   * take bytes in bursts pause between them. Past it, the pause counts as time with no bytes.
   * @default 1000
   */
  pause?: number;
}

/**
 * Bytes per second over a sliding window of (time, running total) samples.
 *
 * Only samples where the total moved are kept, so the window always runs from the end of one
 * burst of bytes to the end of another: a receiver that reads in bursts (`curl --limit-rate`,
 * a slow disk) gets its true average, not the peak a sample taken right after a burst would
 * show. When nothing moves for longer than `pause`, the rate falls, and it is 0 once nothing
 * moved for a whole `window`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RateEstimator } from "./rate.ts";
 * const rate = new RateEstimator();
 * rate.sample(0, 0);
 * rate.sample(1000, 5_000_000);
 * assert.equal(rate.bytesPerSec(1000), 5_000_000);
 * assert.equal(rate.bytesPerSec(9000), 0);
 * ```
 */
export class RateEstimator {
  #window: number;
  #pause: number;
  #times: number[] = [];
  #totals: number[] = [];

  constructor(options: RateEstimatorOptions = {}) {
    this.#window = options.window ?? 3000;
    this.#pause = options.pause ?? 1000;
  }

  /** Adds a sample: `bytes` is the running total at time `now` (ms). */
  sample(now: number, bytes: number): void {
    const times = this.#times;
    if (times.length > 0 && bytes === this.#totals.at(-1)) return;
    times.push(now);
    this.#totals.push(bytes);
    // Keep one sample at or before the window's start, so the window spans all of it.
    while (times.length > 2 && times[1]! <= now - this.#window) {
      times.shift();
      this.#totals.shift();
    }
  }

  /** The rate at time `now` (ms), rounded; 0 before the total first moves. */
  bytesPerSec(now: number): number {
    const times = this.#times;
    if (times.length < 2) return 0;
    const last = times.at(-1)!;
    if (now - last >= this.#window) return 0;
    const end = Math.max(last, now - this.#pause);
    if (end <= times[0]!) return 0;
    const moved = this.#totals.at(-1)! - this.#totals[0]!;
    return Math.round(moved * 1000 / (end - times[0]!));
  }
}
