import assert from "node:assert/strict";
import { clampPercent, formatBytes, formatElapsed, formatPercent, formatSpeed } from "./format.ts";

Deno.test("formatBytes() uses SI units with three significant digits", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(999), "999 B");
  assert.equal(formatBytes(1000), "1.00 kB");
  assert.equal(formatBytes(12_345), "12.3 kB");
  assert.equal(formatBytes(999_499), "999 kB");
  assert.equal(formatBytes(999_500), "1.00 MB");
  assert.equal(formatBytes(8_160_000_000), "8.16 GB");
  assert.equal(formatBytes(3e15), "3.00 PB");
  assert.equal(formatBytes(-1), "–");
  assert.equal(formatBytes(Number.NaN), "–");
});

Deno.test("formatSpeed() reads in MB/s, and kB/s below 0.1 MB/s", () => {
  assert.equal(formatSpeed(0), "0 MB/s");
  assert.equal(formatSpeed(999), "1.00 kB/s");
  assert.equal(formatSpeed(99_999), "100 kB/s");
  assert.equal(formatSpeed(100_000), "0.10 MB/s");
  assert.equal(formatSpeed(1_000_000), "1.00 MB/s");
  assert.equal(formatSpeed(118_400_000), "118 MB/s");
  assert.equal(formatSpeed(2_500_000_000), "2500 MB/s");
});

Deno.test("formatElapsed() switches units at a minute and an hour", () => {
  assert.equal(formatElapsed(0), "0 s");
  assert.equal(formatElapsed(59.9), "59 s");
  assert.equal(formatElapsed(60), "1 min 00 s");
  assert.equal(formatElapsed(3599), "59 min 59 s");
  assert.equal(formatElapsed(3600), "1 h 00 min");
  assert.equal(formatElapsed(90_061), "25 h 01 min");
  assert.equal(formatElapsed(Number.POSITIVE_INFINITY), "–");
});

Deno.test("formatPercent() floors so that only a finished transfer reads 100%", () => {
  assert.equal(formatPercent(0), "0%");
  assert.equal(formatPercent(0.05), "0%");
  assert.equal(formatPercent(0.15), "0.1%");
  assert.equal(formatPercent(50), "50%");
  assert.equal(formatPercent(99.999), "99.9%");
  assert.equal(formatPercent(100), "100%");
  assert.equal(formatPercent(250), "100%");
  assert.equal(clampPercent(-3), 0);
});
