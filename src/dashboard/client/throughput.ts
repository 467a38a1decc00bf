/**
 * The dashboard's throughput history: a bounded window of rate samples and the SVG path of
 * its sparkline. Pure functions, so they are tested without a browser.
 *
 * @module
 */

/** One rate sample: when it was received (ms since the epoch) and the rate then. */
export interface RateSample {
  at: number;
  bytesPerSec: number;
}

/** How much history the sparkline keeps: 3 minutes. */
export const sparklineWindowMs = 180_000;

/**
 * Appends a sample and drops the ones older than the window, without mutating `samples`.
 * At the 250 ms progress cadence the window holds at most 720 samples.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { addSample } from "./throughput.ts";
 * const samples = addSample([{ at: 0, bytesPerSec: 1 }], { at: 200_000, bytesPerSec: 2 });
 * assert.deepEqual(samples, [{ at: 200_000, bytesPerSec: 2 }]);
 * ```
 */
export function addSample(
  samples: readonly RateSample[],
  sample: RateSample,
  windowMs: number = sparklineWindowMs,
): RateSample[] {
  const from = sample.at - windowMs;
  const kept = samples.filter((s) => s.at >= from && s.at <= sample.at);
  kept.push(sample);
  return kept;
}

/** The drawing of a sparkline in a `width × height` viewBox. */
export interface Sparkline {
  /** `d` of the rate line; empty when there is nothing to draw. */
  line: string;
  /** `d` of the filled area under the line; empty when there is nothing to draw. */
  area: string;
  /** The highest rate in the window. */
  peak: number;
  /** The time the drawing spans, in ms. */
  spanMs: number;
}

/** Options for {@linkcode sparkline}. */
export interface SparklineOptions {
  width: number;
  height: number;
  /** The right edge of the chart (ms since the epoch). @default the last sample's time */
  now?: number;
}

/**
 * Draws samples as a step-free polyline scaled to the peak rate; the time axis spans from the
 * oldest sample to `now`, so a short transfer fills the chart instead of hugging its edge.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sparkline } from "./throughput.ts";
 * const drawn = sparkline(
 *   [{ at: 0, bytesPerSec: 0 }, { at: 1000, bytesPerSec: 10 }],
 *   { width: 100, height: 10 },
 * );
 * assert.equal(drawn.line, "M0 10L100 0");
 * assert.equal(drawn.area, "M0 10L100 0L100 10L0 10Z");
 * assert.equal(drawn.peak, 10);
 * ```
 */
export function sparkline(samples: readonly RateSample[], options: SparklineOptions): Sparkline {
  const { width, height } = options;
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (first === undefined || last === undefined) return { line: "", area: "", peak: 0, spanMs: 0 };
  const now = Math.max(options.now ?? last.at, last.at);
  const spanMs = now - first.at;
  const peak = Math.max(...samples.map((s) => s.bytesPerSec));
  const points = samples.map((s) => {
    const x = spanMs > 0 ? ((s.at - first.at) / spanMs) * width : width;
    const y = peak > 0 ? height - (s.bytesPerSec / peak) * height : height;
    return `${round(x)} ${round(y)}`;
  });
  if (points.length === 1) points.unshift(`0 ${points[0]!.split(" ")[1]}`);
  const line = `M${points.join("L")}`;
  const startX = points[0]!.split(" ")[0];
  const endX = points[points.length - 1]!.split(" ")[0];
  return { line, area: `${line}L${endX} ${height}L${startX} ${height}Z`, peak, spanMs };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
