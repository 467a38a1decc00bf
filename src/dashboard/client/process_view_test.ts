import assert from "node:assert/strict";
import {
  describeProcess,
  initialProcessModel,
  type ProcessModel,
  reduceProcessModel,
} from "./process_view.ts";
import { exampleProcess } from "./_example_snapshot.ts";

Deno.test("describeProcess() badges every status with its exit code", () => {
  const cases: [Parameters<typeof exampleProcess>[0], string, string, string][] = [
    [{}, "running", "active", "● running · build-1"],
    [{ status: "exited", exitCode: 0 }, "exited 0", "ok", "✓ exited 0 · build-1"],
    [{ status: "exited", exitCode: 7 }, "exited 7", "failed", "✗ exited 7 · build-1"],
    [{ status: "killed", exitCode: null }, "killed", "failed", "✗ killed · build-1"],
    [{ status: "failed", exitCode: null }, "failed", "failed", "✗ failed · build-1"],
    [
      { status: "failed", exitCode: 127 },
      "failed (exit 127)",
      "failed",
      "✗ failed (exit 127) · build-1",
    ],
  ];
  for (const [overrides, badge, tone, title] of cases) {
    const view = describeProcess(initialProcessModel(exampleProcess(overrides), 0), 0);
    assert.deepEqual([view.badge, view.tone, view.title], [badge, tone, title]);
  }
});

Deno.test("describeProcess() runs the clock while running and stops it at the end", () => {
  let model: ProcessModel = initialProcessModel(exampleProcess({ durationSec: 9 }), 1000);
  assert.equal(describeProcess(model, 62_000).elapsedText, "1 min 10 s");
  model = reduceProcessModel(model, { type: "status", status: "exited", exitCode: 0, at: 4000 });
  assert.equal(describeProcess(model, 600_000).elapsedText, "12 s");
  assert.equal(describeProcess(model, 0, 12_345).linesText, "12,345");
});

Deno.test("reduceProcessModel(): the first final status wins, and running only proves the link", () => {
  let model = initialProcessModel(exampleProcess({}), 0);
  model = reduceProcessModel(model, { type: "status", status: "running", exitCode: null, at: 1 });
  assert.equal(model.connection, "live");
  assert.equal(model.snapshot.status, "running");
  model = reduceProcessModel(model, { type: "status", status: "killed", exitCode: null, at: 2 });
  model = reduceProcessModel(model, { type: "status", status: "exited", exitCode: 0, at: 3 });
  assert.equal(model.snapshot.status, "killed");
  assert.equal(model.connection, "ended");
  model = reduceProcessModel(model, { type: "connection", connection: "reconnecting" });
  assert.equal(model.connection, "ended");
});

Deno.test("reduceProcessModel() takes counts from JSON snapshots but never reopens an end", () => {
  let model = initialProcessModel(exampleProcess({ lines: 3 }), 0);
  model = reduceProcessModel(model, {
    type: "snapshot",
    snapshot: exampleProcess({ lines: 50, spectators: 9, durationSec: 20, tail: [] }),
    at: 5000,
  });
  assert.deepEqual([model.snapshot.lines, model.snapshot.spectators], [50, 9]);
  assert.equal(model.snapshot.tail.length, 3, "the page's own tail is kept");
  assert.equal(describeProcess(model, 6000).elapsedText, "21 s");
  // An end the stream missed ends the page.
  model = reduceProcessModel(model, {
    type: "snapshot",
    snapshot: exampleProcess({ status: "exited", exitCode: 2, lines: 60 }),
    at: 7000,
  });
  assert.deepEqual([model.snapshot.status, model.snapshot.exitCode, model.connection], [
    "exited",
    2,
    "ended",
  ]);
  // A later snapshot of a new run of the same id does not reopen it.
  model = reduceProcessModel(model, {
    type: "snapshot",
    snapshot: exampleProcess({ status: "running", spectators: 1 }),
    at: 8000,
  });
  assert.deepEqual([model.snapshot.status, model.snapshot.spectators], ["exited", 1]);
});

Deno.test("reduceProcessModel(): a spectators event sets the watcher count and nothing else", () => {
  const model = initialProcessModel(exampleProcess({ spectators: 1 }), 0);
  const next = reduceProcessModel(model, { type: "spectators", spectators: 3 });
  assert.equal(describeProcess(next, 0).spectatorsText, "3");
  assert.deepEqual({ ...next.snapshot, spectators: 1 }, model.snapshot);
  assert.equal(next.connection, model.connection);
});
