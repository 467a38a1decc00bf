import assert from "node:assert/strict";
import { formatClock, jobLine, pipeLine } from "./watch_line.ts";

const BASE = {
  receivers: 1,
  receiversExpected: 1,
  bytes: 0,
  total: null,
  percent: null,
  bytesPerSec: 0,
  etaSec: null,
  durationSec: 0,
};

Deno.test("pipeLine: every state", () => {
  assert.equal(pipeLine({ ...BASE, state: "idle", receivers: 0 }), "idle  waiting for a sender");
  assert.equal(
    pipeLine({ ...BASE, state: "waiting", receivers: 1, receiversExpected: 3 }),
    "waiting  1/3 receiver(s) connected",
  );
  assert.equal(
    pipeLine({ ...BASE, state: "streaming", bytes: 1_500_000, bytesPerSec: 2_000_000 }),
    "1.50 MB  2.00 MB/s",
  );
  assert.equal(
    pipeLine({
      ...BASE,
      state: "streaming",
      bytes: 999,
      total: 1000,
      percent: 99.9,
      bytesPerSec: 50_000,
      etaSec: 0.02,
    }),
    "99%  999 B / 1.00 kB  50.0 kB/s  ETA 0:00",
  );
  assert.equal(
    pipeLine({
      ...BASE,
      state: "complete",
      bytes: 8_160_000_000,
      total: 8_160_000_000,
      percent: 100,
      bytesPerSec: 118_000_000,
      durationSec: 69.2,
    }),
    "100%  8.16 GB / 8.16 GB  118 MB/s  in 1:09",
  );
  assert.equal(
    pipeLine({ ...BASE, state: "failed", bytes: 10, total: 100, percent: 10 }),
    "10%  10 B / 100 B  0 MB/s  failed",
  );
});

Deno.test("jobLine: whatever fields the publisher sent", () => {
  assert.equal(jobLine({ progress: 140 }), "100%");
  assert.equal(jobLine({ progress: -3, message: "two\nlines" }), "0%  two lines");
  assert.equal(jobLine({ progress: "40", state: "" }), "running");
  assert.equal(jobLine({ estimated_time: 3725 }), "ETA 1:02:05");
  assert.equal(jobLine({ state: "success", task_id: "x", updated_at: "…" }), "success");
});

Deno.test("formatClock: rounding and bad input", () => {
  assert.equal(formatClock(0), "0:00");
  assert.equal(formatClock(59.6), "1:00");
  assert.equal(formatClock(3599.4), "59:59");
  assert.equal(formatClock(-1), "–");
  assert.equal(formatClock(Number.POSITIVE_INFINITY), "–");
});

Deno.test("jobLine: a publisher's control characters never reach the terminal", () => {
  // ESC would let a published message clear the watcher's screen or set its title; a tab or a
  // backspace would break the line redrawn in place. Whole sequences go, not just their ESC.
  const line = jobLine({
    state: "up\x07load",
    message: "a\tb\x1b[2J\x1b]0;title\x07c\x7f\x9bde\x1b[31mred\x1b[0m\nnext",
  });
  assert.equal(line, "upload  a bcered next");
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(line, /[\x00-\x1f\x7f-\x9f]/);
});
