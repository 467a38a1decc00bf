import assert from "node:assert/strict";
import { defaultConfig } from "../config.ts";
import type { TopicEvent } from "../progress/topic.ts";
import { Tracker } from "../tracker.ts";
import { Job, startJob } from "./job.ts";
import { HttpError } from "../http_error.ts";

function tracker(overrides: Partial<ReturnType<typeof defaultConfig>> = {}): Tracker {
  return new Tracker({ ...defaultConfig(), ...overrides });
}

function ended(job: Job): Promise<TopicEvent> {
  const topic = job.topic;
  return new Promise((resolve) => {
    for (const type of ["complete", "error"]) {
      topic.addEventListener(type, (event) => resolve(event as TopicEvent), { once: true });
    }
  });
}

Deno.test("start creates, joins a running job, and replaces a finished one", () => {
  const jobs = tracker();
  const first = startJob(jobs, "build", { first: { progress: 0 } });
  assert.equal(first.created, true);
  assert.deepEqual(first.job.topic.snapshot().data, { progress: 0 });
  const again = startJob(jobs, "build", { first: { progress: 50 } });
  assert.equal(again.created, false);
  assert.equal(again.job, first.job);
  // A joiner's body does not overwrite the running job's snapshot.
  assert.deepEqual(first.job.topic.snapshot().data, { progress: 0 });
  const oldRun = first.job.topic;
  first.job.finish({ ok: true, result: { ok: true } });
  const fresh = startJob(jobs, "build", { first: { progress: 1 } });
  assert.equal(fresh.created, true);
  assert.notEqual(fresh.job.topic, oldRun);
  assert.equal(fresh.job.topic.state, "running");
  assert.equal(fresh.job.topic.greeting()[0]!.type, "progress");
  assert.equal(oldRun.state, "success");
  const stats = jobs.stats();
  assert.equal(stats.started.job, 2);
  assert.equal(stats.ended["job:success"], 1);
  assert.equal(stats.active.job, 1);
  jobs.close();
});

Deno.test("--progress-interval 0 reaches every run's topic: every publish is emitted", () => {
  const jobs = tracker({ progressInterval: 0 });
  const { job } = startJob(jobs, "fast");
  let events = 0;
  job.topic.addEventListener("progress", () => events++);
  for (let n = 1; n <= 10; n++) job.publish({ n });
  assert.equal(events, 10);
  job.finish({ ok: true, result: { ok: true } });
  jobs.close();
});

Deno.test("start-or-join joins a retained job and leaves it as it ended", () => {
  const jobs = tracker();
  const { job } = startJob(jobs, "etl");
  job.finish({ ok: false, error: "bad row" });
  const joined = startJob(jobs, "etl", { join: true, first: { progress: 5 } });
  assert.equal(joined.created, false);
  assert.equal(joined.job.topic.state, "failed");
  assert.deepEqual(joined.job.topic.greeting()[0]!.data, { error: "bad row" });
  assert.equal(startJob(jobs, "new", { join: true }).created, true);
  jobs.close();
});

Deno.test("publish after the end is a 409 and changes nothing", () => {
  const job = new Job("j");
  job.publish({ n: 1 });
  job.finish({ ok: true, result: { ok: true } });
  assert.throws(() => job.publish({ n: 2 }), (error) => {
    assert.ok(error instanceof HttpError);
    assert.equal(error.status, 409);
    return true;
  });
  assert.deepEqual(job.topic.snapshot().data, { n: 1 });
});

Deno.test("a job with no publish for the idle time fails", async () => {
  const changes: string[] = [];
  const job = new Job("quiet", { idle: 40, onChange: (j) => changes.push(j.topic.state) });
  const end = await ended(job);
  assert.equal(end.type, "error");
  assert.deepEqual(end.data, { error: "No update for 40ms" });
  assert.equal(job.busy, false);
  assert.deepEqual(changes, ["failed"]);
});

Deno.test("the idle timer follows the run: a replaced run gets its own", async () => {
  const job = new Job("j", { idle: 40 });
  job.finish({ ok: true, result: { ok: true } });
  job.restart(null);
  const end = await ended(job);
  assert.deepEqual(end.data, { error: "No update for 40ms" });
});

Deno.test("a replaced run outlives the old run's retention", async () => {
  const jobs = tracker({ retention: 20 });
  const { job } = startJob(jobs, "r");
  job.finish({ ok: true, result: { ok: true } });
  startJob(jobs, "r");
  // Waiting for something that must not happen: the old run's retention timer firing.
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(jobs.find("job", "r"), job);
  assert.equal(job.topic.state, "running");
  jobs.close();
  assert.equal(job.topic.state, "failed");
  assert.equal(job.topic.snapshot().error, "Server is shutting down");
});

Deno.test("a finished job is forgotten after retention", async () => {
  const jobs = tracker({ retention: 20 });
  const { job } = startJob(jobs, "gone");
  job.finish({ ok: true, result: { ok: true } });
  assert.equal(jobs.find("job", "gone"), job);
  while (jobs.find("job", "gone")) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(jobs.stats().topics.job, 0);
  jobs.close();
});

Deno.test("abort fails a running job once; a finished one stays as it was", () => {
  const running = new Job("a");
  running.abort("Server is shutting down");
  running.abort("again");
  assert.equal(running.topic.snapshot().error, "Server is shutting down");
  const done = new Job("b");
  done.finish({ ok: true, result: { ok: true } });
  done.abort("Server is shutting down");
  assert.equal(done.topic.state, "success");
});

Deno.test("no new run while draining, but a running job can be joined", async () => {
  const jobs = tracker();
  const { job } = startJob(jobs, "d");
  await jobs.drain();
  assert.equal(startJob(jobs, "d").created, false);
  assert.throws(() => startJob(jobs, "other"), /shutting down/);
  job.finish({ ok: true, result: { ok: true } });
  assert.throws(() => startJob(jobs, "d"), /shutting down/);
  jobs.close();
});
