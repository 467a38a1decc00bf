import assert from "node:assert/strict";
import { clampPercent, formatBytes, formatElapsed, formatPercent, formatSpeed } from "./format.ts";

/** Asserts `format(input)` for each `[input, expected]`, naming the input when one fails. */
function assertFormats(format: (input: number) => string, cases: [number, string][]): void {
  for (const [input, expected] of cases) {
    assert.equal(format(input), expected, `${format.name}(${input})`);
  }
}

Deno.test("formatBytes() uses SI units with three significant digits", () => {
  assertFormats(formatBytes, [
    [0, "0 B"],
    [999, "999 B"],
    [1000, "1.00 kB"],
    [12_345, "12.3 kB"],
    [999_499, "999 kB"],
    [999_500, "1.00 MB"],
    [8_160_000_000, "8.16 GB"],
    [3e15, "3.00 PB"],
    [-1, "–"],
    [Number.NaN, "–"],
  ]);
});

Deno.test("formatSpeed() reads in MB/s, and kB/s below 0.1 MB/s", () => {
  assertFormats(formatSpeed, [
    [0, "0 MB/s"],
    [999, "1.00 kB/s"],
    [99_999, "100 kB/s"],
    [100_000, "0.10 MB/s"],
    [1_000_000, "1.00 MB/s"],
    [118_400_000, "118 MB/s"],
    [2_500_000_000, "2500 MB/s"],
  ]);
});

Deno.test("formatElapsed() switches units at a minute and an hour", () => {
  assertFormats(formatElapsed, [
    [0, "0 s"],
    [59.9, "59 s"],
    [60, "1 min 00 s"],
    [3599, "59 min 59 s"],
    [3600, "1 h 00 min"],
    [90_061, "25 h 01 min"],
    [Number.POSITIVE_INFINITY, "–"],
  ]);
});

Deno.test("formatPercent() floors so that only a finished transfer reads 100%", () => {
  assertFormats(formatPercent, [
    [0, "0%"],
    [0.05, "0%"],
    [0.15, "0.1%"],
    [50, "50%"],
    [99.999, "99.9%"],
    [100, "100%"],
    [250, "100%"],
  ]);
  assert.equal(clampPercent(-3), 0);
});
