import assert from "node:assert/strict";
import { defaultConfig } from "./config.ts";
import { startJob } from "./job/job.ts";
import { findPipe, obtainPipe, spectatePipe } from "./pipe/pipes.ts";
import { Process } from "./process/process.ts";
import { type Entry, Tracker } from "./tracker.ts";
import { HttpError } from "./http_error.ts";

function endsOf(tracker: Tracker): string[] {
  const ended: string[] = [];
  tracker.addEventListener("end", ({ entry }: { entry: Entry }) => {
    ended.push(`${entry.kind}:${entry.name}:${entry.topic.state}`);
  });
  return ended;
}

Deno.test("onEnd: a pipe transfer's end, complete or failed, once each", async () => {
  const tracker = new Tracker(defaultConfig());
  const ended = endsOf(tracker);
  const signal = new AbortController().signal;
  const pipe = obtainPipe(tracker, "db", true);
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
  const second = obtainPipe(tracker, "db", true);
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
  tracker.spectate(obtainPipe(tracker, "idle").topic).close();
  // A receiver that leaves: the pipe goes back to idle, no end.
  const leaving = new AbortController();
  const gone = obtainPipe(tracker, "left", true).receive({ n: null, signal: leaving.signal });
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
  tracker.addEventListener("end", () => {
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

function tracker(maxTopics: number, maxWaitingTopics: number): Tracker {
  return new Tracker({ ...defaultConfig(), maxTopics, maxWaitingTopics });
}

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof HttpError);
    return `${error.status} ${error.message}`;
  }
  assert.fail("not refused");
}

Deno.test("spectators waiting on pipes that do not exist never take a publisher's room", () => {
  const registry = tracker(2, 3);
  const spectators = ["a", "b", "c"].map((name) => spectatePipe(registry, name));
  assert.equal(registry.stats().waiting, 3);
  // The waiting room is full: the next spectator is refused, with one line…
  assert.equal(
    refusal(() => spectatePipe(registry, "d")),
    "503 Too many topics waiting for a publisher on this server (3)",
  );
  assert.equal(registry.stats().pipes, 3, "a refused spectator leaves no pipe behind");
  // …while the publishers' room is whole: a sender's pipe, a job, a process.
  obtainPipe(registry, "sender", true);
  assert.equal(startJob(registry, "job").created, true);
  assert.equal(
    refusal(() =>
      registry.obtain("process", "p", (changed) => new Process("p", { onChange: changed }))
    ),
    "503 Too many topics on this server (2)",
  );
  assert.deepEqual([registry.stats().topics, registry.stats().waiting], [
    { pipe: 4, job: 1, process: 0 },
    3,
  ]);
  // A pipe that exists is watched whatever the waiting room holds.
  spectatePipe(registry, "sender").close();
  spectatePipe(registry, "a").close();
  for (const spectator of spectators) spectator.close();
  assert.equal(registry.stats().waiting, 0);
  registry.close();
});

Deno.test("a sender on a pipe spectators wait on moves it to the publishers' count", () => {
  const registry = tracker(1, 1);
  const spectator = spectatePipe(registry, "shared");
  assert.equal(registry.stats().waiting, 1);
  const pipe = obtainPipe(registry, "shared", true);
  assert.equal(pipe.topic, findPipe(registry, "shared")!.topic, "the very pipe they watch");
  assert.equal(registry.stats().waiting, 0);
  // The waiting room is free again; the publishers' room is now full.
  const other = spectatePipe(registry, "other");
  assert.equal(
    refusal(() => obtainPipe(registry, "third", true)),
    "503 Too many topics on this server (1)",
  );
  // Promotion counts too: a sender on a waiting pipe is refused when publishers are full.
  assert.equal(
    refusal(() => obtainPipe(registry, "other", true)),
    "503 Too many topics on this server (1)",
  );
  assert.equal(registry.stats().waiting, 1);
  other.close();
  spectator.close();
  assert.equal(registry.stats().pipes, 0, "idle and unwatched: forgotten");
  registry.close();
});

Deno.test("a waiting pipe whose last spectator leaves frees its waiting slot", () => {
  const registry = tracker(10, 1);
  spectatePipe(registry, "first").close();
  assert.deepEqual([registry.stats().pipes, registry.stats().waiting], [0, 0]);
  const second = spectatePipe(registry, "second");
  assert.equal(registry.stats().waiting, 1);
  second.close();
  registry.close();
});

Deno.test("run: once per run; published() waits for what the listeners hand waitUntil", async () => {
  const tracker = new Tracker(defaultConfig());
  const runs: string[] = [];
  const shared = Promise.withResolvers<void>();
  let published = false;
  tracker.addEventListener("run", ({ entry, waitUntil }) => {
    runs.push(`${entry.kind}:${entry.name}`);
    waitUntil(shared.promise);
  });
  const { job } = startJob(tracker, "ci/1");
  startJob(tracker, "ci/1"); // joined: the same run
  const waiting = tracker.published("job", "ci/1").then(() => published = true);
  await Promise.resolve();
  assert.equal(published, false, "the listener's work has not settled");
  shared.reject(new Error("redis is down")); // settled either way
  await waiting;
  job.finish({ ok: true, result: {} });
  startJob(tracker, "ci/1"); // a fresh run of the same job
  assert.deepEqual(runs, ["job:ci/1", "job:ci/1"]);
  await tracker.published("job", "nobody"); // nothing to wait for
  tracker.close();
});

Deno.test("entry: an entry's coming and its forgetting, in order, and a removed listener hears none", () => {
  const tracker = new Tracker(defaultConfig());
  const seen: string[] = [];
  const listener = ({ entry, present }: { entry: Entry; present: boolean }) => {
    seen.push(`${present ? "+" : "-"}${entry.kind}:${entry.name}`);
  };
  tracker.addEventListener("entry", listener);
  spectatePipe(tracker, "idle").close();
  tracker.addEventListener("entry", () => {
    throw new Error("a broken listener");
  });
  const { job } = startJob(tracker, "build");
  tracker.removeEventListener("entry", listener);
  job.abort("gone");
  assert.deepEqual(seen, ["+pipe:idle", "-pipe:idle", "+job:build"]);
  tracker.close();
});
