// The Redis bridge between nodes, against a real redis-server: two bridges in this process
// stand for two nodes (one owns a topic, the other serves its spectators).
import assert from "node:assert/strict";
import { Bridge } from "../src/cluster/bridge.ts";
import type { RemoteTopic } from "../src/cluster/remote_topic.ts";
import { PipeTopic } from "../src/pipe/pipe_topic.ts";
import { Topic, TopicEvent } from "../src/progress/topic.ts";
import { startRedis } from "./_redis.ts";

/** A job-like topic that emits numbered progress events on demand. */
class Counter extends Topic {
  count = 0;
  constructor(name: string) {
    super("job", name, ["progress", "complete", "error", "timeout"]);
  }
  get state() {
    return this.ended ? "success" : "running";
  }
  snapshot() {
    return { count: this.count };
  }
  override greeting(): TopicEvent[] {
    return this.ended ? super.greeting() : [new TopicEvent("progress", this.snapshot())];
  }
  tick() {
    this.count++;
    this.emit("progress", this.snapshot());
  }
  finish() {
    this.emit("complete", this.snapshot(), true);
  }
}

/** Collects a remote topic's events until its terminal one. */
function follow(topic: RemoteTopic): Promise<TopicEvent[]> {
  const events: TopicEvent[] = [...topic.greeting()];
  return new Promise((resolve) => {
    if (topic.ended) resolve(events);
    for (const type of topic.eventTypes) {
      topic.addEventListener(type, (event) => {
        events.push(event as TopicEvent);
        if ((event as TopicEvent).terminal) resolve(events);
      });
    }
  });
}

/**
 * Two nodes, bridges `a` and `b`, on a redis-server of their own (`redis`, for outage tests);
 * disposing closes both bridges, then stops Redis.
 */
async function nodes(retention = 60_000) {
  const redis = await startRedis();
  try {
    const { url } = redis;
    const a = await Bridge.connect({ url, node: "a", retention, recordInterval: 20 });
    const b = await Bridge.connect({ url, node: "b", retention, recordInterval: 20 });
    return {
      redis,
      a,
      b,
      [Symbol.asyncDispose]: async () => {
        await Promise.all([a.close(), b.close()]);
        await redis[Symbol.asyncDispose]();
      },
    };
  } catch (error) {
    await redis[Symbol.asyncDispose]();
    throw error;
  }
}

Deno.test("a remote spectator gets the owner's greeting, then every pipe event once, in order", async () => {
  await using cluster = await nodes();
  const topic = new PipeTopic("backup", { progressInterval: 10 });
  topic.wait({ receivers: 0, receiversExpected: 1, hasSender: true });
  await cluster.a.share(topic);
  const remote = (await cluster.b.remote("pipe", "backup"))!;
  assert.equal(remote.node, "a");
  const followed = follow(remote);
  let bytes = 0;
  topic.start({ bytes: () => bytes, receivers: () => 1, total: 3000 });
  for (let i = 0; i < 3; i++) {
    bytes += 1000;
    await new Promise((resolve) => topic.addEventListener("progress", resolve, { once: true }));
  }
  topic.complete();
  const events = await followed;
  const types = events.map((event) => event.type);
  assert.equal(types[0], "state");
  assert.equal((events[0]!.data as { state: string }).state, "waiting");
  assert.equal(types.at(-1), "done");
  const progress = events.filter((event) => event.type === "progress")
    .map((event) => (event.data as { bytes: number }).bytes);
  assert.deepEqual(progress, [1000, 2000, 3000]);
  cluster.b.release(remote);
});

Deno.test("events published while a node subscribes are neither lost nor doubled", async () => {
  await using cluster = await nodes();
  const topic = new Counter("burst");
  await cluster.a.share(topic);
  // The remote subscribes and reads the record while the owner keeps publishing.
  const joining = cluster.b.remote("job", "burst");
  for (let i = 0; i < 500; i++) {
    topic.tick();
    if (i % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const remote = (await joining)!;
  const followed = follow(remote);
  for (let i = 0; i < 500; i++) topic.tick();
  topic.finish();
  const counts = (await followed).map((event) => (event.data as { count: number }).count);
  // The greeting's count, then each later count exactly once, up to the end.
  for (let i = 1; i < counts.length; i++) {
    assert.equal(counts[i], counts[i - 1]! + (i === counts.length - 1 ? 0 : 1), `at ${i}`);
  }
  assert.equal(counts.at(-1), 1000);
  cluster.b.release(remote);
});

Deno.test("a latecomer on another node gets the terminal event from the record", async () => {
  await using cluster = await nodes();
  const topic = new Counter("late");
  await cluster.a.share(topic);
  topic.tick();
  topic.finish();
  // The owner writes the record right after the terminal event.
  let remote: RemoteTopic | null = null;
  while (!remote?.ended) {
    if (remote) cluster.b.release(remote);
    remote = await cluster.b.remote("job", "late");
  }
  assert.deepEqual(remote.greeting().map((event) => event.type), ["complete"]);
  assert.equal(await cluster.b.remote("job", "never-started"), null);
  cluster.b.release(remote);
});

Deno.test("nodes share one watch-link secret and resolve each other's watch ids", async () => {
  await using cluster = await nodes();
  const secret = await cluster.a.sharedSecret();
  assert.ok(secret && secret.length >= 32);
  assert.equal(await cluster.b.sharedSecret(), secret);
  await cluster.a.share(new Counter("ci/build-7"), "W4tchIdW4tchIdW4tchId0");
  assert.equal(await cluster.b.resolveWatch("W4tchIdW4tchIdW4tchId0"), "job:ci/build-7");
  assert.equal(await cluster.b.resolveWatch("unknown"), null);
});

Deno.test("an ended topic's record expires after retention", async () => {
  await using cluster = await nodes(200);
  const topic = new Counter("short");
  await cluster.a.share(topic);
  topic.finish();
  while ((await cluster.b.record("job", "short"))?.ended !== true) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  // Gone by itself: bounded wait for the expiry, not a timing assertion.
  for (let i = 0; i < 500 && await cluster.b.record("job", "short"); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(await cluster.b.record("job", "short"), null);
});

Deno.test("a topic forgotten before its end is unshared: record and watch link deleted", async () => {
  await using cluster = await nodes(200);
  const topic = new Counter("forgotten");
  await cluster.a.share(topic, "F0rg0ttenF0rg0ttenF0r0");
  assert.notEqual(await cluster.b.record("job", "forgotten"), null);
  cluster.a.unshare(topic);
  // DEL goes out after every SET before it on the same connection: gone once it is read.
  await cluster.a.sharedSecret();
  assert.equal(await cluster.b.record("job", "forgotten"), null);
  assert.equal(await cluster.b.resolveWatch("F0rg0ttenF0rg0ttenF0r0"), null);
  // No event or keep-alive brings it back, and a share after the unshare is refused.
  topic.tick();
  await cluster.a.share(topic);
  await cluster.a.sharedSecret();
  assert.equal(await cluster.b.record("job", "forgotten"), null);
  // Unshared before it was shared (forgotten while its watch id was being computed).
  const early = new Counter("never");
  cluster.a.unshare(early);
  await cluster.a.share(early);
  assert.equal(await cluster.b.record("job", "never"), null);
});

Deno.test("Redis gone: the owner publishes on, other nodes are told; back again, it serves", async () => {
  await using cluster = await nodes();
  const lost = new Promise<void>((resolve) =>
    cluster.b.addEventListener("lost", () => resolve(), { once: true })
  );
  const topic = new Counter("through-outage");
  await cluster.a.share(topic);
  const remote = (await cluster.b.remote("job", "through-outage"))!;
  await cluster.redis.stop();
  await lost;
  assert.equal(cluster.b.connected, false);
  // Publishing never waits on Redis and never throws: emit is synchronous, the publish
  // fails on its own.
  for (let i = 0; i < 1000; i++) topic.tick();
  await assert.rejects(cluster.b.remote("job", "through-outage"));
  cluster.b.release(remote);
  await cluster.redis.restart();
  while (!cluster.a.connected || !cluster.b.connected) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const after = new Counter("after-outage");
  await cluster.a.share(after);
  after.tick();
  const again = (await cluster.b.remote("job", "after-outage"))!;
  const followed = follow(again);
  after.finish();
  assert.equal((await followed).at(-1)?.type, "complete");
  cluster.b.release(again);
});
