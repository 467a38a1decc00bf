import assert from "node:assert/strict";
import { defaultConfig } from "./config.ts";
import { HttpError } from "./http_error.ts";
import { startJob } from "./job/job.ts";
import { Process } from "./process/process.ts";
import { Tracker } from "./tracker.ts";

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
  const spectators = ["a", "b", "c"].map((name) => registry.spectatePipe(name));
  assert.equal(registry.stats().waiting, 3);
  // The waiting room is full: the next spectator is refused, with one line…
  assert.equal(
    refusal(() => registry.spectatePipe("d")),
    "503 Too many topics waiting for a publisher on this server (3)",
  );
  assert.equal(registry.stats().pipes, 3, "a refused spectator leaves no pipe behind");
  // …while the publishers' room is whole: a sender's pipe, a job, a process.
  registry.pipe("sender", true);
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
  registry.spectatePipe("sender").close();
  registry.spectatePipe("a").close();
  for (const spectator of spectators) spectator.close();
  assert.equal(registry.stats().waiting, 0);
  registry.close();
});

Deno.test("a sender on a pipe spectators wait on moves it to the publishers' count", () => {
  const registry = tracker(1, 1);
  const spectator = registry.spectatePipe("shared");
  assert.equal(registry.stats().waiting, 1);
  const pipe = registry.pipe("shared", true);
  assert.equal(pipe.topic, registry.findPipe("shared")!.topic, "the very pipe they watch");
  assert.equal(registry.stats().waiting, 0);
  // The waiting room is free again; the publishers' room is now full.
  const other = registry.spectatePipe("other");
  assert.equal(
    refusal(() => registry.pipe("third", true)),
    "503 Too many topics on this server (1)",
  );
  // Promotion counts too: a sender on a waiting pipe is refused when publishers are full.
  assert.equal(
    refusal(() => registry.pipe("other", true)),
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
  registry.spectatePipe("first").close();
  assert.deepEqual([registry.stats().pipes, registry.stats().waiting], [0, 0]);
  const second = registry.spectatePipe("second");
  assert.equal(registry.stats().waiting, 1);
  second.close();
  registry.close();
});
