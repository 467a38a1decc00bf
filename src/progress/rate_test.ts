import assert from "node:assert/strict";
import { RateEstimator } from "./rate.ts";

const MB = 1_000_000;

Deno.test("a steady flow reads its exact rate", () => {
  const rate = new RateEstimator();
  for (let t = 0; t <= 10_000; t += 250) rate.sample(t, t * 10_000);
  assert.equal(rate.bytesPerSec(10_000), 10 * MB);
});

Deno.test("a bursty reader reads its average, whichever tick after a burst is asked", () => {
  // 10 MB in one go every 1 s, sampled every 250 ms: an average of 10 MB/s.
  const rate = new RateEstimator();
  const seen: number[] = [];
  for (let t = 0; t <= 20_000; t += 250) {
    const bytes = Math.floor(t / 1000) * 10 * MB;
    rate.sample(t, bytes);
    if (t >= 4000 && t % 1000 === 0) seen.push(rate.bytesPerSec(t));
  }
  assert.deepEqual(new Set(seen), new Set([10 * MB]));
});

Deno.test("an uneven bursty reader stays within a few percent of its average", () => {
  // Bursts of 1.5 MB every 150 ms, sampled every 250 ms: 10 MB/s.
  const rate = new RateEstimator();
  for (let t = 0; t <= 30_000; t += 250) {
    const bytes = Math.floor(t / 150) * 1.5 * MB;
    rate.sample(t, bytes);
    if (t >= 4000) {
      const error = Math.abs(rate.bytesPerSec(t) - 10 * MB) / (10 * MB);
      assert.ok(error < 0.06, `${rate.bytesPerSec(t)} at ${t} ms`);
    }
  }
});

Deno.test("a pause up to `pause` keeps the rate; a longer one lowers it, then 0", () => {
  const rate = new RateEstimator({ window: 3000, pause: 1000 });
  for (let t = 0; t <= 4000; t += 250) rate.sample(t, t * 1000);
  assert.equal(rate.bytesPerSec(4000), MB);
  assert.equal(rate.bytesPerSec(4900), MB);
  const later = rate.bytesPerSec(6000);
  assert.ok(later > 0 && later < MB, String(later));
  assert.equal(rate.bytesPerSec(7000), 0);
});

Deno.test("0 before the total moves, and for samples at one instant", () => {
  const rate = new RateEstimator();
  assert.equal(rate.bytesPerSec(0), 0);
  rate.sample(100, 0);
  rate.sample(350, 0);
  assert.equal(rate.bytesPerSec(350), 0);
  rate.sample(100, 5);
  assert.equal(rate.bytesPerSec(100), 0);
});
