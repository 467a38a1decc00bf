/** Options for {@linkcode RateEstimator}. */
export interface RateEstimatorOptions {
  /**
   * Smoothing time constant in milliseconds: a change of speed shows at about 63 % after this
   * long.
   * @default 2000
   */
  smoothing?: number;
}

/**
 * A smoothed bytes-per-second estimate from (time, total bytes) samples: an exponentially
 * weighted moving average whose weight follows the real time between samples, so a late timer
 * tick does not skew it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RateEstimator } from "./rate.ts";
 * const rate = new RateEstimator();
 * rate.sample(0, 0);
 * rate.sample(1000, 5_000_000);
 * assert.equal(rate.bytesPerSec, 5_000_000);
 * ```
 */
export class RateEstimator {
  #smoothing: number;
  #lastTime: number | null = null;
  #lastBytes = 0;
  #rate: number | null = null;

  constructor(options: RateEstimatorOptions = {}) {
    this.#smoothing = options.smoothing ?? 2000;
  }

  /** Adds a sample: `bytes` is the running total at time `now` (ms). */
  sample(now: number, bytes: number): void {
    if (this.#lastTime !== null && now > this.#lastTime) {
      const elapsed = now - this.#lastTime;
      const instant = (bytes - this.#lastBytes) * 1000 / elapsed;
      const weight = 1 - Math.exp(-elapsed / this.#smoothing);
      this.#rate = this.#rate === null ? instant : this.#rate + weight * (instant - this.#rate);
    }
    this.#lastTime = now;
    this.#lastBytes = bytes;
  }

  /** The smoothed rate, 0 before two samples. */
  get bytesPerSec(): number {
    return Math.round(this.#rate ?? 0);
  }
}
