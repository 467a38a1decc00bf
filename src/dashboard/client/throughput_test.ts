import assert from "node:assert/strict";
import { addSample, type RateSample, sparkline, sparklineWindowMs } from "./throughput.ts";

Deno.test("addSample() keeps a bounded window and leaves its input alone", () => {
  let samples: RateSample[] = [];
  for (let at = 0; at <= 10 * 60_000; at += 250) {
    samples = addSample(samples, { at, bytesPerSec: at });
  }
  assert.equal(samples.length, sparklineWindowMs / 250 + 1);
  assert.equal(samples[0]!.at, 10 * 60_000 - sparklineWindowMs);
  const before = [{ at: 0, bytesPerSec: 1 }];
  addSample(before, { at: 1, bytesPerSec: 2 });
  assert.deepEqual(before, [{ at: 0, bytesPerSec: 1 }]);
});

Deno.test("sparkline() draws nothing without samples", () => {
  assert.deepEqual(sparkline([], { width: 10, height: 10 }), {
    line: "",
    area: "",
    peak: 0,
    spanMs: 0,
  });
});

Deno.test("sparkline() draws one sample as a flat line across the chart", () => {
  const drawn = sparkline([{ at: 5, bytesPerSec: 7 }], { width: 100, height: 20 });
  assert.equal(drawn.line, "M0 0L100 0");
  assert.equal(drawn.peak, 7);
});

Deno.test("sparkline() scales time to the width and rate to the peak", () => {
  const drawn = sparkline(
    [
      { at: 1000, bytesPerSec: 50 },
      { at: 2000, bytesPerSec: 100 },
      { at: 3000, bytesPerSec: 0 },
    ],
    { width: 300, height: 50, now: 5000 },
  );
  assert.equal(drawn.line, "M0 25L75 0L150 50");
  assert.equal(drawn.area, "M0 25L75 0L150 50L150 50L0 50Z");
  assert.equal(drawn.spanMs, 4000);
  assert.equal(drawn.peak, 100);
});

Deno.test("sparkline() keeps a flat zero line on the baseline", () => {
  const drawn = sparkline([{ at: 0, bytesPerSec: 0 }, { at: 10, bytesPerSec: 0 }], {
    width: 10,
    height: 4,
  });
  assert.equal(drawn.line, "M0 4L10 4");
});
