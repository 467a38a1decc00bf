import assert from "node:assert/strict";
import { assertFields } from "./_assert_fields.ts";
import {
  describePipe,
  initialModel,
  type PipeModel,
  reducePipeModel,
  stallAfterMs,
} from "./pipe_view.ts";
import { exampleSnapshot } from "./_example_snapshot.ts";

const waiting = exampleSnapshot({
  state: "waiting",
  receivers: 0,
  bytes: 0,
  total: null,
  percent: null,
  bytesPerSec: 0,
  mbps: 0,
  etaSec: null,
  startedAt: null,
  durationSec: 0,
  spectators: 1,
});

Deno.test("describePipe() opens a waiting pipe at 0 % with nothing running", () => {
  const view = describePipe(initialModel(waiting, 0), 60_000);
  assertFields(view, {
    label: "Waiting",
    headline: "Waiting for receivers: 0 of 1 connected.",
    percent: 0,
    big: "0%",
    speedText: "–",
    etaText: "–",
    elapsedText: "–",
    finalLine: null,
    title: "waiting · migration",
  });
  const idle = describePipe(
    initialModel({ ...waiting, state: "idle", total: 1000, percent: 0 }, 0),
    0,
  );
  assertFields(idle, {
    big: "0%",
    bytesText: "0 B of 1.00 kB",
  });
  assert.equal(
    idle.headline,
    "Nobody is connected yet. The transfer starts when a sender and its receivers arrive.",
  );
});

Deno.test("describePipe() has an indeterminate bar showing bytes while the total is unknown", () => {
  const snapshot = exampleSnapshot({ total: null, percent: null, etaSec: null, bytes: 2_500_000 });
  const view = describePipe(initialModel(snapshot, 0), 0);
  assertFields(view, {
    percent: null,
    big: "2.50 MB",
    bytesText: "2.50 MB",
    valueText: "2.50 MB so far",
    etaText: "–",
    title: "2.50 MB · migration",
  });
});

Deno.test("describePipe() shows percent, speed, ETA and a running elapsed time while streaming", () => {
  const model = initialModel(exampleSnapshot({}), 10_000);
  const view = describePipe(model, 11_500);
  assertFields(view, {
    percent: 61.8,
    big: "61.8%",
    valueText: "61.8%, 5.05 GB of 8.16 GB",
    speedText: "118 MB/s",
    etaText: "26 s",
    elapsedText: "44 s", // 42.7 s in the snapshot + 1.5 s since it arrived
    receiversText: "1 of 1",
    spectatorsText: "5",
    title: "61% · migration",
  });
});

Deno.test("describePipe() says stalled instead of a stale speed when bytes stop moving", () => {
  const model = initialModel(exampleSnapshot({}), 0);
  assert.equal(describePipe(model, stallAfterMs - 1).speedText, "118 MB/s");
  const stalled = describePipe(model, stallAfterMs);
  assertFields(stalled, {
    speedText: "stalled",
    etaText: "–",
  });
  assert.match(stalled.headline, /no bytes moved/);
});

Deno.test("describePipe() gives a latecomer the final line after the end", () => {
  const done = exampleSnapshot({
    state: "complete",
    bytes: 8_160_000_000,
    percent: 100,
    durationSec: 69,
    etaSec: 0,
    bytesPerSec: 0,
  });
  const view = describePipe(initialModel(done, 0), 600_000);
  assertFields(view, {
    percent: 100,
    big: "100%",
    label: "Done",
    finalLine: "8.16 GB in 1 min 09 s, average 118 MB/s",
    elapsedText: "1 min 09 s",
    title: "✓ 100% · migration",
    error: null,
  });
});

Deno.test("describePipe() says a transfer failed, and why", () => {
  const failed = exampleSnapshot({ state: "failed", error: "The sender disconnected" });
  const view = describePipe(initialModel(failed, 0), 0);
  assertFields(view, {
    label: "Failed",
    error: "The sender disconnected",
    title: "✗ failed · migration",
    percent: 61.8,
  });
  assert.match(view.finalLine ?? "", /^5\.05 GB in 42 s/);
  const unexplained = describePipe(initialModel({ ...failed, error: null }, 0), 0);
  assert.equal(unexplained.error, "The transfer failed.");
});

Deno.test("describePipe() on a complete transfer of unknown size still fills the bar", () => {
  const done = exampleSnapshot({ state: "complete", total: null, percent: null, etaSec: null });
  assert.equal(describePipe(initialModel(done, 0), 0).percent, 100);
});

Deno.test("reducePipeModel() follows a transfer from waiting to done", () => {
  let model: PipeModel = initialModel(waiting, 0);
  assert.equal(model.connection, "connecting");
  model = reducePipeModel(model, { type: "connection", connection: "live" });
  model = reducePipeModel(model, { type: "snapshot", event: "state", snapshot: waiting, at: 100 });
  assert.equal(model.samples.length, 0);
  const streaming = exampleSnapshot({ bytes: 1000, bytesPerSec: 4000 });
  model = reducePipeModel(model, {
    type: "snapshot",
    event: "progress",
    snapshot: streaming,
    at: 350,
  });
  model = reducePipeModel(model, {
    type: "snapshot",
    event: "progress",
    snapshot: { ...streaming, bytes: 2000 },
    at: 600,
  });
  assert.deepEqual(model.samples, [{ at: 350, bytesPerSec: 4000 }, { at: 600, bytesPerSec: 4000 }]);
  assertFields(model, {
    movedAt: 600,
    connection: "live",
  });
  model = reducePipeModel(model, { type: "connection", connection: "reconnecting" });
  assert.equal(model.connection, "reconnecting");
  model = reducePipeModel(model, {
    type: "snapshot",
    event: "done",
    snapshot: { ...streaming, state: "complete" },
    at: 900,
  });
  assert.equal(model.connection, "ended");
  assert.equal(model.samples.length, 2);
  // A connection error after the end does not bring back "reconnecting…".
  model = reducePipeModel(model, { type: "connection", connection: "reconnecting" });
  assert.equal(model.connection, "ended");
});

Deno.test("reducePipeModel() makes any event prove the link is live again", () => {
  let model = reducePipeModel(initialModel(waiting, 0), {
    type: "connection",
    connection: "reconnecting",
  });
  model = reducePipeModel(model, { type: "snapshot", event: "state", snapshot: waiting, at: 5 });
  assert.equal(model.connection, "live");
});

Deno.test("reducePipeModel() ends on a server error event", () => {
  const model = reducePipeModel(initialModel(waiting, 0), {
    type: "snapshot",
    event: "error",
    snapshot: { ...waiting, state: "failed", error: "Receiver disconnected" },
    at: 5,
  });
  assert.equal(model.connection, "ended");
  assert.equal(describePipe(model, 5).error, "Receiver disconnected");
});

Deno.test("describePipe() gives each state its badge icon", () => {
  const states = ["idle", "waiting", "streaming", "complete", "failed"] as const;
  const icons = states.map((state) =>
    describePipe(initialModel(exampleSnapshot({ state }), 0), 0).icon
  );
  assert.deepEqual(icons, ["○", "◌", "●", "✓", "✗"]);
});
