import assert from "node:assert/strict";
import { JobTopic } from "../job/job_topic.ts";
import { PipeTopic } from "../pipe/pipe_topic.ts";
import { ProcessTopic } from "../process/process_topic.ts";
import { AUDIENCE_EVENT, Topic, TopicEvent } from "./topic.ts";

/** Records every event of a topic, so a test can await the next one. */
function record(topic: Topic) {
  const events: TopicEvent[] = [];
  let wake: (() => void) | null = null;
  for (const type of topic.eventTypes) {
    topic.addEventListener(type, (event) => {
      events.push(event as TopicEvent);
      wake?.();
    });
  }
  return {
    events,
    async next(count: number): Promise<TopicEvent> {
      while (events.length < count) await new Promise<void>((resolve) => wake = resolve);
      return events[count - 1]!;
    },
  };
}

/** Two spectators come within an interval: the one event that tells them their number. */
async function twoSpectatorsCame(topic: Topic): Promise<TopicEvent> {
  const seen = record(topic);
  topic.spectators = 1;
  topic.spectators = 2;
  const event = await seen.next(1);
  assert.equal(event.type, AUDIENCE_EVENT);
  assert.deepEqual(event.data, { spectators: 2 });
  return event;
}

/** Lets every timer already due run (timers of one delay fire in the order they were set). */
function timersDue(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

Deno.test("a pipe tells its spectators their number with a state snapshot, without a publish", async () => {
  const topic = new PipeTopic("p", { progressInterval: 20 });
  const seen = record(topic);
  topic.spectators++;
  topic.spectators++;
  const event = await seen.next(1);
  assert.equal(event.type, "state");
  assert.equal((event.data as { spectators: number }).spectators, 2);
  assert.equal((event.data as { state: string }).state, "idle");
  topic.fail("over");
});

Deno.test("a job says spectators with {spectators:N}; its published object stays its own", async () => {
  const topic = new JobTopic("j", { progressInterval: 20 });
  topic.publish({ progress: 5 });
  const event = await twoSpectatorsCame(topic);
  assert.match(event.id!, /^\w+\.\d+$/);
  assert.deepEqual(topic.snapshot().data, { progress: 5 });
  assert.equal(topic.snapshot().spectators, 2);
  topic.succeed({ ok: true });
});

Deno.test("a process's spectators event carries the last line's id, so a reconnect resumes right", async () => {
  const topic = new ProcessTopic("build", { progressInterval: 20 });
  topic.output("stdout", "one");
  topic.output("stdout", "two");
  const event = await twoSpectatorsCame(topic);
  assert.equal(event.id, "2");
  assert.deepEqual(
    topic.greeting({ lastEventId: event.id }).map((e) => e.type),
    ["status", AUDIENCE_EVENT],
    "nothing after line 2 but the status and the count",
  );
  topic.setStatus("exited", 0);
});

Deno.test("changes within an interval coalesce into one event with the count then", async () => {
  const topic = new JobTopic("j", { progressInterval: 30 });
  const seen = record(topic);
  topic.spectators = 1;
  topic.spectators = 2;
  assert.deepEqual((await seen.next(1)).data, { spectators: 2 });
  for (const count of [3, 4, 3, 5]) topic.spectators = count;
  await timersDue();
  assert.equal(seen.events.length, 1, "held until the interval is over");
  assert.deepEqual((await seen.next(2)).data, { spectators: 5 });
  await timersDue();
  assert.equal(seen.events.length, 2);
  topic.succeed({ ok: true });
});

Deno.test("nobody is told when nobody else was there, nobody is left, or nothing changed", async () => {
  const topic = new PipeTopic("p", { progressInterval: 60_000 });
  const seen = record(topic);
  topic.spectators = 1; // the one who came knows from its greeting
  topic.spectators = 0; // nobody left to tell
  topic.spectators = 1;
  topic.spectators = 2;
  topic.spectators = 1; // back to what was last told before anyone heard otherwise
  await timersDue();
  assert.equal(seen.events.length, 0);
  topic.spectators = 2;
  assert.equal((await seen.next(1)).type, "state");
  // The next change waits for the interval; the end makes it moot (the test's timer sanitizer
  // would fail on a timer left pending).
  topic.spectators = 3;
  await timersDue();
  topic.fail("over");
  assert.deepEqual(seen.events.map((e) => e.type), ["state", "error"]);
  topic.spectators = 4;
  assert.equal(topic.spectators, 4);
});

Deno.test("an event carries the snapshot it was dispatched with, the same for every listener", () => {
  class Counter extends Topic {
    count = 0;
    constructor() {
      super("counter", "c", ["tick", "done"]);
    }
    snapshot() {
      return { count: this.count };
    }
    get state() {
      return this.ended ? "done" : "counting";
    }
    tick(data: unknown) {
      this.count++;
      return this.emit("tick", data);
    }
    stop() {
      return this.emit("done", null, true);
    }
  }
  const topic = new Counter();
  const seen: unknown[] = [];
  // The first listener changes the topic; the second still gets the dispatch's snapshot.
  topic.addEventListener("tick", (event) => {
    seen.push((event as TopicEvent).snapshot);
    topic.count += 100;
  });
  topic.addEventListener("tick", (event) => seen.push((event as TopicEvent).snapshot));
  const event = topic.tick({ published: "anything" })!;
  assert.deepEqual(seen, [{ count: 1 }, { count: 1 }]);
  assert.equal(event.snapshot, seen[0], "taken once");
  assert.deepEqual(event.data, { published: "anything" }, "the data is untouched");
  const end = topic.stop()!;
  assert.deepEqual(topic.greeting()[0]!.snapshot, { count: 101 }, "the end's, asked late");
  assert.equal(end.snapshot, topic.greeting()[0]!.snapshot);
  assert.equal(new TopicEvent("x", 1).snapshot, undefined);
});

Deno.test("a subscriber gets every event in order, `lost` too, until it unsubscribes", () => {
  class Pair extends Topic {
    constructor() {
      super("pair", "p", ["a", "b"]);
    }
    snapshot() {
      return {};
    }
    get state() {
      return "on";
    }
    send(type: string) {
      this.emit(type, null);
    }
  }
  const topic = new Pair();
  const seen: string[] = [];
  const order: string[] = [];
  topic.addEventListener("a", () => order.push("listener"));
  const unsubscribe = topic.subscribe((event) => {
    seen.push(event.type);
    order.push("subscriber");
  });
  topic.send("a");
  topic.send("b");
  topic.dispatchEvent(new Event("lost"));
  unsubscribe();
  topic.send("a");
  assert.deepEqual(seen, ["a", "b", "lost"]);
  assert.deepEqual(order, ["listener", "subscriber", "subscriber", "subscriber", "listener"]);
});
