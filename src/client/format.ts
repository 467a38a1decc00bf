/**
 * Human units for the pages, `ringside watch` and notices. Decimal (SI) units throughout, so that
 * bytes and speeds agree with the snapshot's `mbps` (10^6 bytes per second).
 *
 * @module
 */

const byteUnits = ["B", "kB", "MB", "GB", "TB", "PB"] as const;

/**
 * A byte count in SI units with three significant digits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatBytes } from "./format.ts";
 * assert.equal(formatBytes(512), "512 B");
 * assert.equal(formatBytes(5_046_464_512), "5.05 GB");
 * ```
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "–";
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  let value = bytes;
  let unit = 0;
  while (value >= 999.5 && unit < byteUnits.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${threeDigits(value)} ${byteUnits[unit]}`;
}

/**
 * A transfer rate, in MB/s from 0.1 MB/s up (kB/s below, so a slow link does not read as zero).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatSpeed } from "./format.ts";
 * assert.equal(formatSpeed(118_000_000), "118 MB/s");
 * assert.equal(formatSpeed(1_048_576), "1.05 MB/s");
 * assert.equal(formatSpeed(42_000), "42.0 kB/s");
 * ```
 */
export function formatSpeed(bytesPerSec: number): string {
  if (!Number.isFinite(bytesPerSec) || bytesPerSec <= 0) return "0 MB/s";
  if (bytesPerSec < 100_000) return `${threeDigits(bytesPerSec / 1000)} kB/s`;
  return `${threeDigits(bytesPerSec / 1_000_000)} MB/s`;
}

/**
 * Elapsed or remaining seconds the way a person says them: `42 s`, `1 min 09 s`, `2 h 05 min`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatElapsed } from "./format.ts";
 * assert.equal(formatElapsed(0.4), "0 s");
 * assert.equal(formatElapsed(69), "1 min 09 s");
 * assert.equal(formatElapsed(7500), "2 h 05 min");
 * ```
 */
export function formatElapsed(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "–";
  const whole = Math.floor(seconds);
  if (whole < 60) return `${whole} s`;
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${pad2(whole % 60)} s`;
  return `${Math.floor(whole / 3600)} h ${pad2(Math.floor(whole / 60) % 60)} min`;
}

/**
 * A percentage floored to one decimal, so that `100%` only ever means done.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatPercent } from "./format.ts";
 * assert.equal(formatPercent(61.87), "61.8%");
 * assert.equal(formatPercent(99.99), "99.9%");
 * assert.equal(formatPercent(100), "100%");
 * assert.equal(formatPercent(0), "0%");
 * ```
 */
export function formatPercent(percent: number): string {
  const floored = Math.floor(clampPercent(percent) * 10) / 10;
  return `${Number.isInteger(floored) ? floored : floored.toFixed(1)}%`;
}

/**
 * Clamps a percentage to 0–100 (NaN becomes 0).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { clampPercent } from "./format.ts";
 * assert.equal(clampPercent(130), 100);
 * assert.equal(clampPercent(Number.NaN), 0);
 * ```
 */
export function clampPercent(percent: number): number {
  if (Number.isNaN(percent)) return 0;
  return Math.min(100, Math.max(0, percent));
}

function threeDigits(value: number): string {
  if (value >= 99.95) return String(Math.round(value));
  if (value >= 9.995) return value.toFixed(1);
  return value.toFixed(2);
}

function pad2(value: number): string {
  return String(value).padStart(2, "0");
}
