import assert from "node:assert/strict";
import { TopicEvent } from "../progress/topic.ts";
import { Spectator } from "../sse/spectator.ts";
import { JobTopic } from "./job_topic.ts";

function nextEvent(topic: JobTopic, type: string): Promise<TopicEvent> {
  return new Promise((resolve) =>
    topic.addEventListener(type, (event) => resolve(event as TopicEvent), { once: true })
  );
}

async function readFrame(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<string> {
  const { value, done } = await reader.read();
  return done ? "<end>" : new TextDecoder().decode(value);
}

Deno.test("a publish goes out at once; faster ones are coalesced to the newest", async () => {
  const topic = new JobTopic("j", { progressInterval: 20 });
  const seen: unknown[] = [];
  topic.addEventListener("progress", (e) => seen.push((e as TopicEvent).data));
  topic.publish({ n: 1 });
  assert.equal(seen.length, 1);
  const next = nextEvent(topic, "progress");
  for (let n = 2; n <= 100; n++) topic.publish({ n });
  assert.equal(seen.length, 1);
  const event = await next;
  assert.equal((event.data as { n: number }).n, 100);
  assert.equal(seen.length, 2);
  topic.succeed({ ok: true });
});

Deno.test("a publisher slower than the interval: each publish out at once, and no timer", async () => {
  const topic = new JobTopic("j", { progressInterval: 10 });
  const seen: number[] = [];
  topic.addEventListener("progress", (e) => seen.push(((e as TopicEvent).data as { n: number }).n));
  const realSetTimeout = globalThis.setTimeout;
  let timers = 0;
  for (let n = 1; n <= 3; n++) {
    globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
      timers++;
      return realSetTimeout(...args);
    }) as typeof setTimeout;
    try {
      topic.publish({ n });
    } finally {
      globalThis.setTimeout = realSetTimeout;
    }
    assert.deepEqual(seen, Array.from({ length: n }, (_, i) => i + 1));
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
  assert.equal(timers, 0);
  // Two within the interval: the second waits for the rest of it, then goes out.
  topic.publish({ n: 4 });
  topic.publish({ n: 5 });
  assert.deepEqual(seen, [1, 2, 3, 4]);
  await nextEvent(topic, "progress");
  assert.deepEqual(seen, [1, 2, 3, 4, 5]);
  topic.succeed({ ok: true });
});

Deno.test("progressInterval 0: every publish goes out at once, none is coalesced", () => {
  const topic = new JobTopic("j", { progressInterval: 0 });
  const seen: number[] = [];
  topic.addEventListener("progress", (e) => seen.push(((e as TopicEvent).data as { n: number }).n));
  for (let n = 1; n <= 100; n++) topic.publish({ n });
  assert.deepEqual(seen, Array.from({ length: 100 }, (_, i) => i + 1));
  topic.succeed({ ok: true });
});

Deno.test("a coalesced publish is flushed before the terminal event", () => {
  const topic = new JobTopic("j", { progressInterval: 10_000 });
  const types: string[] = [];
  const data: unknown[] = [];
  for (const type of ["progress", "complete", "error"]) {
    topic.addEventListener(type, (e) => {
      types.push(type);
      data.push((e as TopicEvent).data);
    });
  }
  topic.publish({ progress: 10 });
  topic.publish({ progress: 99 });
  topic.fail("disk full");
  assert.deepEqual(types, ["progress", "progress", "error"]);
  assert.equal((data[1] as { progress: number }).progress, 99);
  assert.deepEqual(data[2], { error: "disk full" });
});

Deno.test("progress carries task_id and updated_at; the snapshot keeps the object as published", () => {
  let now = Date.parse("2026-11-29T10:00:00.000Z");
  const topic = new JobTopic("ci/7", { first: { progress: 0 }, now: () => now });
  const [greeting] = topic.greeting();
  assert.equal(greeting!.type, "progress");
  assert.deepEqual(greeting!.data, {
    progress: 0,
    task_id: "ci/7",
    updated_at: "2026-11-29T10:00:00.000Z",
  });
  now += 1500;
  topic.publish({ progress: 40, task_id: "spoofed" });
  assert.deepEqual(topic.snapshot().data, { progress: 40, task_id: "spoofed" });
  assert.equal((topic.greeting()[0]!.data as { task_id: string }).task_id, "ci/7");
  assert.equal(topic.snapshot().durationSec, 1.5);
  topic.succeed({ ok: true });
});

Deno.test("before any publish the greeting is an empty progress", () => {
  const topic = new JobTopic("j");
  assert.deepEqual(Object.keys(topic.greeting()[0]!.data as object), ["task_id", "updated_at"]);
  topic.fail("x");
});

Deno.test("the first end wins; nothing changes after it", () => {
  const topic = new JobTopic("j");
  assert.equal(topic.succeed({ ok: true, state: "not this", n: 1 }), true);
  assert.equal(topic.fail("late"), false);
  assert.equal(topic.succeed({ ok: true, n: 2 }), false);
  assert.equal(topic.publish({ n: 3 }), false);
  const snapshot = topic.snapshot();
  assert.equal(snapshot.state, "success");
  assert.deepEqual(snapshot.result, { ok: true, state: "not this", n: 1 });
  assert.equal(snapshot.error, null);
  const [end] = topic.greeting();
  assert.equal(end!.type, "complete");
  assert.equal(
    JSON.stringify(end!.data),
    '{"state":"success","ok":true,"n":1}',
  );
});

Deno.test("a spectator that does not read gets the newest snapshot, not a backlog", async () => {
  const topic = new JobTopic("j", { progressInterval: 1 });
  const spectator = new Spectator(topic);
  const reader = spectator.stream.getReader();
  let emitted = 0;
  topic.addEventListener("progress", (e) => emitted = ((e as TopicEvent).data as { n: number }).n);
  for (let n = 1; n <= 1000; n++) {
    topic.publish({ n });
    // Let the cadence emit now and then, so several events go past the spectator unread.
    if (n % 100 === 0 && emitted !== n) await nextEvent(topic, "progress");
  }
  assert.equal(emitted, 1000);
  assert.equal(await readFrame(reader), "retry: 2000\n\n");
  const frame = await readFrame(reader);
  assert.match(frame, /^id: \S+\nevent: progress\ndata: \{"n":1000,/);
  topic.succeed({ ok: true });
  assert.match(await readFrame(reader), /^id: \S+\nevent: complete\n/);
  assert.equal(await readFrame(reader), "<end>");
});

Deno.test("a farewell event ends the stream at the TTL", async () => {
  const topic = new JobTopic("j");
  const farewell = new TopicEvent("timeout", { message: "Stream timeout" });
  const closed = Promise.withResolvers<string>();
  const spectator = new Spectator(topic, { ttl: 30, farewell, onClose: closed.resolve });
  const text = await new Response(spectator.stream).text();
  assert.match(
    text,
    /event: progress\n.*\n\nevent: timeout\ndata: \{"message":"Stream timeout"\}\n\n$/s,
  );
  assert.equal(await closed.promise, "end");
  assert.equal(topic.spectators, 0);
  topic.publish({ after: true }); // nobody listens any more
  topic.succeed({ ok: true });
});

Deno.test("every event a spectator gets has an id, the greeting's too", async () => {
  const topic = new JobTopic("j", { progressInterval: 1 });
  const reader = new Spectator(topic).stream.getReader();
  assert.equal(await readFrame(reader), "retry: 2000\n\n");
  const greeting = await readFrame(reader);
  assert.match(greeting, /^id: \w+\.0\nevent: progress\n/);
  topic.publish({ progress: 10 });
  assert.match(await readFrame(reader), /^id: \w+\.1\nevent: progress\n/);
  const late = new Spectator(topic).stream.getReader();
  await readFrame(late);
  // A latecomer's greeting names the last event emitted, as a reconnect would.
  assert.match(await readFrame(late), /^id: \w+\.1\nevent: progress\n/);
  topic.succeed({ ok: true });
  for (const spectator of [reader, late]) {
    assert.match(await readFrame(spectator), /^id: \w+\.2\nevent: complete\n/);
    assert.equal(await readFrame(spectator), "<end>");
  }
});

Deno.test("a reconnect whose Last-Event-ID is the terminal event's has seen the end", () => {
  const topic = new JobTopic("j");
  const greeting = topic.greeting()[0]!;
  topic.publish({ progress: 50 });
  assert.equal(topic.endSeenBy(greeting.id), false);
  assert.equal(topic.endSeenBy(null), false);
  topic.fail("disk full");
  const [terminal] = topic.greeting();
  assert.equal(terminal!.type, "error");
  assert.equal(topic.endSeenBy(terminal!.id), true);
  assert.equal(topic.endSeenBy(greeting.id), false);
  assert.equal(topic.endSeenBy(undefined), false);
});

Deno.test("a running job's greeting tells the newcomer how many watch, the newcomer included", () => {
  const topic = new JobTopic("j");
  topic.spectators = 3;
  const greeting = topic.greeting();
  assert.deepEqual(greeting.map((event) => [event.type, event.data]).slice(1), [
    ["spectators", { spectators: 3 }],
  ]);
  assert.equal(greeting[1]!.id, greeting[0]!.id);
  topic.succeed({ ok: true });
  assert.deepEqual(topic.greeting().map((event) => event.type), ["complete"]);
});
