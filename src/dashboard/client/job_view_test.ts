import assert from "node:assert/strict";
import { assertFields } from "./_assert_fields.ts";
import { describeJob, initialJobModel, type JobModel, reduceJobModel } from "./job_view.ts";
import { exampleJob } from "./_example_snapshot.ts";

Deno.test("describeJob() shows the published state word, percent, ETA and message", () => {
  const view = describeJob(initialJobModel(exampleJob({}), 10_000), 11_500);
  assertFields(view, {
    label: "transcribing",
    percent: 40,
    big: "40%",
    valueText: "40%, transcribing",
    message: "chunk 4/10",
    etaText: "1 min 09 s", // 71 s published 1.5 s ago
    elapsedText: "31 s",
    spectatorsText: "3",
    result: null,
    error: null,
  });
  assert.deepEqual(view.details, []);
  assert.equal(view.title, "40% · transcode-42");
});

Deno.test("describeJob() is honest without a percentage: indeterminate bar, no ETA, a plain word", () => {
  const job = exampleJob({ data: { progress: "lots", estimated_time: -1, message: 42 } });
  const view = describeJob(initialJobModel(job, 0), 0);
  assertFields(view, {
    percent: null,
    big: "–",
    label: "Running",
    valueText: "Running, no percentage",
    message: null,
    etaText: "–",
    title: "Running · transcode-42",
  });
  const empty = describeJob(initialJobModel(exampleJob({ data: {} }), 0), 0);
  assertFields(empty, {
    percent: null,
    title: "Running · transcode-42",
  });
  // Out-of-range numbers are clamped, NaN/Infinity ignored.
  const over = describeJob(initialJobModel(exampleJob({ data: { progress: 130 } }), 0), 0);
  assert.equal(over.percent, 100);
  const inf = describeJob(
    initialJobModel(exampleJob({ data: { progress: Infinity, estimated_time: NaN } }), 0),
    0,
  );
  assert.deepEqual([inf.percent, inf.etaText], [null, "–"]);
});

Deno.test("describeJob() counts the ETA down between publishes and stops at 0", () => {
  const model = initialJobModel(exampleJob({ data: { estimated_time: 10 } }), 0);
  assert.equal(describeJob(model, 4_000).etaText, "6 s");
  assert.equal(describeJob(model, 60_000).etaText, "0 s");
});

Deno.test("reduceJobModel() takes each progress event as the whole new data, latest wins", () => {
  let model: JobModel = initialJobModel(exampleJob({}), 0);
  model = reduceJobModel(model, {
    type: "progress",
    data: { progress: 55, task_id: "transcode-42", updated_at: "2026-11-22T10:00:40.000Z" },
    at: 5000,
  });
  assert.equal(model.connection, "live");
  assert.deepEqual(model.snapshot.data, { progress: 55 });
  assert.equal(model.snapshot.updatedAt, "2026-11-22T10:00:40.000Z");
  const view = describeJob(model, 5000);
  assert.equal(view.label, "Running", "the old state word went with the old data");
  assertFields(view, {
    title: "55% · transcode-42",
    etaText: "–",
  });
});

Deno.test("reduceJobModel(): complete shows the result and stops the clock", () => {
  let model = initialJobModel(exampleJob({ durationSec: 30 }), 0);
  model = reduceJobModel(model, {
    type: "complete",
    body: {
      state: "success",
      ok: true,
      output: "s3://bucket/a.mp4",
      frames: 1200,
      meta: { fps: 25 },
    },
    at: 12_000,
  });
  assert.equal(model.connection, "ended");
  const view = describeJob(model, 99_000);
  assertFields(view, {
    label: "Success",
    percent: 100,
    big: "100%",
    etaText: "0 s",
    elapsedText: "42 s",
    title: "✓ success · transcode-42",
  });
  assert.deepEqual(view.result, [
    { key: "output", value: "s3://bucket/a.mp4", block: false },
    { key: "frames", value: "1200", block: false },
    { key: "meta", value: '{\n  "fps": 25\n}', block: true },
  ]);
  // Nothing after the end changes it.
  const after = reduceJobModel(model, { type: "error", error: "late", at: 13_000 });
  assert.equal(after.snapshot.state, "success");
  const progress = reduceJobModel(model, { type: "progress", data: { progress: 1 }, at: 13_000 });
  assert.equal(progress, model);
});

Deno.test("reduceJobModel(): error shows the reason, keeps the last percent, ends the link", () => {
  let model = initialJobModel(exampleJob({}), 0);
  model = reduceJobModel(model, { type: "error", error: "No update for 1h", at: 1000 });
  const view = describeJob(model, 2000);
  assert.equal(model.connection, "ended");
  assertFields(view, {
    label: "Failed",
    error: "No update for 1h",
    percent: 40,
    etaText: "–",
    title: "✗ failed · transcode-42",
    result: null,
  });
  const opened = describeJob(initialJobModel(exampleJob({ state: "failed", error: null }), 0), 0);
  assert.equal(opened.error, "The job failed.");
});

Deno.test("reduceJobModel(): a JSON snapshot refreshes the watchers without undoing newer data", () => {
  let model = initialJobModel(exampleJob({}), 0);
  model = reduceJobModel(model, {
    type: "progress",
    data: { progress: 70, updated_at: "2026-11-22T10:01:00.000Z" },
    at: 1000,
  });
  // An older snapshot (fetched before that event): only the count and the clock are taken.
  model = reduceJobModel(model, {
    type: "snapshot",
    snapshot: exampleJob({ spectators: 8, durationSec: 61 }),
    at: 2000,
  });
  assert.deepEqual(model.snapshot.data, { progress: 70 });
  assert.equal(model.snapshot.spectators, 8);
  assert.equal(describeJob(model, 2000).elapsedText, "1 min 01 s");
  // A newer one replaces the data.
  model = reduceJobModel(model, {
    type: "snapshot",
    snapshot: exampleJob({ data: { progress: 90 }, updatedAt: "2026-11-22T10:01:30.000Z" }),
    at: 3000,
  });
  assert.equal(describeJob(model, 3000).percent, 90);
  // A finished one ends the page (the stream's terminal event was missed).
  model = reduceJobModel(model, {
    type: "snapshot",
    snapshot: exampleJob({ state: "failed", error: "disk full", durationSec: 95 }),
    at: 4000,
  });
  assert.equal(model.connection, "ended");
  assert.equal(describeJob(model, 9000).error, "disk full");
  // And a later running snapshot (a new run of the same id) does not reopen it.
  model = reduceJobModel(model, {
    type: "snapshot",
    snapshot: exampleJob({ state: "running", spectators: 1 }),
    at: 5000,
  });
  assert.equal(model.snapshot.state, "failed");
  assert.equal(model.snapshot.spectators, 1);
});

Deno.test("describeJob() lists the other published fields, bounded", () => {
  const data: Record<string, unknown> = { progress: 1, file: "a.wav", nested: { a: [1] } };
  for (let i = 0; i < 80; i++) data[`k${i}`] = "x".repeat(10_000);
  const view = describeJob(initialJobModel(exampleJob({ data }), 0), 0);
  assert.deepEqual(view.details[0], { key: "file", value: "a.wav", block: false });
  assert.equal(view.details[1]?.block, true);
  assert.equal(view.details.length, 51);
  assert.equal(view.details.at(-1)?.key, "…");
  assert.ok(view.details[2]!.value.length <= 4001);
});

Deno.test("initialJobModel() dates the data by when it was published, on the server's clock", () => {
  // Published at 30 s into the job; the page opens at 45 s: the ETA has run 15 s already.
  const model = initialJobModel(exampleJob({ durationSec: 45 }), 100_000);
  assert.equal(model.dataAt, 85_000);
  assert.equal(describeJob(model, 100_000).etaText, "56 s");
  // A browser clock far off the server's changes nothing.
  const skewed = initialJobModel(exampleJob({ durationSec: 45 }), 9e12);
  assert.equal(describeJob(skewed, 9e12).etaText, "56 s");
  // Unreadable dates: no adjustment.
  const odd = initialJobModel(exampleJob({ startedAt: "?", durationSec: 45 }), 1000);
  assert.equal(odd.dataAt, 1000);
});

Deno.test("describeJob() shows a value 30,000 levels deep as a short preview, not quadratic JSON", () => {
  // The pen test's `{"a":[[[…30,000 deep…]]]}`: indented JSON of it is ~900 million characters
  // (a RangeError or seconds of CPU and gigabytes for every render); the page shows the top.
  let inner: unknown[] = [];
  for (let i = 0; i < 30_000; i++) inner = [inner];
  const job = exampleJob({ data: { progress: 5, a: inner } });
  const view = describeJob(initialJobModel(job, 0), 0);
  assert.equal(view.details.length, 1);
  const entry = view.details[0]!;
  assertFields(entry, {
    key: "a",
    block: true,
  });
  assert.ok(entry.value.startsWith("[\n  [\n    [\n"), entry.value.slice(0, 20));
  assert.ok(entry.value.includes("[…]"), "levels past 16 are folded");
  assert.ok(entry.value.length <= 4001, String(entry.value.length));
});

Deno.test("reduceJobModel(): a spectators event sets the watcher count and nothing else", () => {
  const model = initialJobModel(exampleJob({ spectators: 1, data: { progress: 30 } }), 0);
  const next = reduceJobModel(model, { type: "spectators", spectators: 2 });
  assert.equal(describeJob(next, 0).spectatorsText, "2");
  assert.deepEqual({ ...next.snapshot, spectators: 1 }, model.snapshot);
  assert.equal(next.connection, model.connection);
});

Deno.test("describeJob() gives each state its badge icon", () => {
  const states = ["running", "success", "failed"] as const;
  const icons = states.map((state) =>
    describeJob(initialJobModel(exampleJob({ state }), 0), 0).icon
  );
  assert.deepEqual(icons, ["●", "✓", "✗"]);
});
