import assert from "node:assert/strict";
import { defaultConfig } from "./config.ts";
import { startJob } from "./job/job.ts";
import { Process } from "./process/process.ts";
import { type Entry, Tracker } from "./tracker.ts";

function endsOf(tracker: Tracker): string[] {
  const ended: string[] = [];
  tracker.onEnd((entry: Entry) => ended.push(`${entry.kind}:${entry.name}:${entry.topic.state}`));
  return ended;
}

Deno.test("onEnd: a pipe transfer's end, complete or failed, once each", async () => {
  const tracker = new Tracker(defaultConfig());
  const ended = endsOf(tracker);
  const signal = new AbortController().signal;
  const pipe = tracker.pipe("db", true);
  const receiving = pipe.receive({ n: null, signal });
  const log = pipe.send({
    body: ReadableStream.from([new Uint8Array(1000)]),
    n: null,
    total: null,
    headers: new Headers(),
    signal,
  });
  await new Response((await receiving).body).arrayBuffer();
  await new Response(log).text();
  assert.deepEqual(ended, ["pipe:db:complete"]);
  // A second run of the same name, whose sender leaves mid-way: failed.
  const second = tracker.pipe("db", true);
  const sender = new AbortController();
  let push: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (push = c) });
  const receiving2 = second.receive({ n: null, signal });
  const log2 = second.send({
    body,
    n: null,
    total: null,
    headers: new Headers(),
    signal: sender.signal,
  });
  const { body: output } = await receiving2;
  push!.enqueue(new Uint8Array(10));
  push!.error(new Error("cut"));
  await assert.rejects(new Response(output).arrayBuffer());
  await new Response(log2).text().catch(() => {});
  assert.deepEqual(ended, ["pipe:db:complete", "pipe:db:failed"]);
  tracker.close();
});

Deno.test("onEnd: a job's success or failure and a process's final status, never twice", () => {
  const tracker = new Tracker(defaultConfig());
  const ended = endsOf(tracker);
  const { job } = startJob(tracker, "ci/7", { first: null });
  job.finish({ ok: true, result: {} });
  job.finish({ ok: false, error: "late" });
  startJob(tracker, "ci/7", { first: null });
  job.finish({ ok: false, error: "broke" });
  const process = tracker.obtain("process", "b1", (onChange) => new Process("b1", { onChange }));
  process.finish("exited", 3);
  process.finish("killed", null);
  assert.deepEqual(ended, ["job:ci/7:success", "job:ci/7:failed", "process:b1:exited"]);
  tracker.close();
});

Deno.test("onEnd: nothing for a pipe that never ran; the shutdown's aborts are ends", async () => {
  const tracker = new Tracker(defaultConfig());
  const ended = endsOf(tracker);
  // An idle pipe with a spectator, then forgotten: it never ran.
  tracker.spectate(tracker.pipe("idle").topic).close();
  // A receiver that leaves: the pipe goes back to idle, no end.
  const leaving = new AbortController();
  const gone = tracker.pipe("left", true).receive({ n: null, signal: leaving.signal });
  leaving.abort();
  await assert.rejects(gone);
  startJob(tracker, "running", { first: null });
  assert.deepEqual(ended, []);
  tracker.close();
  assert.deepEqual(ended, ["job:running:failed"]);
});

Deno.test("onEnd: a listener that throws does not break the end", () => {
  const logged: string[] = [];
  const tracker = new Tracker(defaultConfig(), (message) => logged.push(message));
  tracker.onEnd(() => {
    throw new Error("boom");
  });
  const ended = endsOf(tracker);
  const { job } = startJob(tracker, "j", { first: null });
  job.finish({ ok: true, result: {} });
  assert.deepEqual(ended, ["job:j:success"]);
  assert.ok(logged.includes("end listener failed"));
  assert.equal(tracker.stats().ended["job:success"], 1);
  tracker.close();
});
