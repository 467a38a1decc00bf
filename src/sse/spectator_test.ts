import assert from "node:assert/strict";
import { AUDIENCE_EVENT, Topic } from "../progress/topic.ts";
import { Spectator } from "./spectator.ts";

class Counter extends Topic {
  count = 0;
  constructor(eventTypes: readonly string[] = ["progress", "done"]) {
    super("counter", "c", eventTypes);
  }
  get state() {
    return this.ended ? "done" : "counting";
  }
  snapshot() {
    return { count: this.count };
  }
  tick() {
    this.count++;
    this.emit("progress", this.snapshot());
  }
  stop() {
    this.emit("done", this.snapshot(), true);
  }
}

const decoder = new TextDecoder();

Deno.test("a heartbeat never replaces the newest progress a slow socket has not taken", async () => {
  const topic = new Counter();
  const spectator = new Spectator(topic, { heartbeat: 10, writeTimeout: 60_000 });
  const reader = spectator.stream.getReader();
  assert.match(decoder.decode((await reader.read()).value), /^retry: 2000\n\n.*event: state\n/s);
  // The socket takes nothing for several heartbeats while the newest progress waits.
  topic.tick();
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.match(decoder.decode((await reader.read()).value), /event: progress\ndata: \{"count":1\}/);
  // With nothing to send, the heartbeat still goes out.
  assert.equal(decoder.decode((await reader.read()).value), ": keepalive\n\n");
  topic.stop();
  assert.match(decoder.decode((await reader.read()).value), /event: done\n/);
  assert.equal((await reader.read()).done, true);
});

/** A topic whose spectator count goes out as `spectators` the moment it is set. */
class Audience extends Counter {
  constructor() {
    super(["progress", "done", AUDIENCE_EVENT]);
  }
  tell(count: number) {
    this.emit(AUDIENCE_EVENT, { spectators: count });
  }
}

Deno.test("the audience count has its own latest-wins slot: it replaces no progress", async () => {
  const topic = new Audience();
  const spectator = new Spectator(topic, { writeTimeout: 60_000 });
  const reader = spectator.stream.getReader();
  assert.match(decoder.decode((await reader.read()).value), /^retry: 2000\n\n/);
  // A slow socket: a progress, then three counts, then a newer progress, none taken yet.
  topic.tick();
  topic.tell(2);
  topic.tell(3);
  topic.tell(4);
  topic.tick();
  // However the runtime chunks them: the newest progress, then the newest count.
  let text = "";
  while (!text.includes("event: spectators")) text += decoder.decode((await reader.read()).value);
  assert.match(
    text,
    /^id: [^\n]+\nevent: progress\ndata: \{"count":2\}\n\nid: [^\n]+\nevent: spectators\ndata: \{"spectators":4\}\n\n$/,
  );
  // The end makes an unsent count moot: nothing follows the terminal event.
  topic.tell(5);
  topic.stop();
  assert.match(decoder.decode((await reader.read()).value), /event: done\n/);
  assert.equal((await reader.read()).done, true);
});

Deno.test("a socket that stops taking while events wait is dropped, with no newer event", async () => {
  const topic = new Counter();
  const { promise: closed, resolve } = Promise.withResolvers<string>();
  const spectator = new Spectator(topic, { latestWins: [], writeTimeout: 50, onClose: resolve });
  const reader = spectator.stream.getReader();
  // More than one write's worth (64 KiB) waits; the socket takes one write and no more.
  for (let i = 0; i < 2000; i++) topic.tick();
  await reader.read();
  const timeout = setTimeout(() => resolve("still open after 5 s"), 5000);
  assert.equal(await closed, "write-timeout");
  clearTimeout(timeout);
  await reader.cancel().catch(() => {});
});

Deno.test("the events of one tick go out in one chunk once the socket asks", async () => {
  const topic = new Counter();
  const spectator = new Spectator(topic, { latestWins: [], writeTimeout: 60_000 });
  const reader = spectator.stream.getReader();
  assert.match(decoder.decode((await reader.read()).value), /^retry: 2000\n\n.*event: state\n/s);
  // The socket is waiting (a read is pending) when three events come in one tick.
  const next = reader.read();
  topic.tick();
  topic.tick();
  topic.tick();
  const text = decoder.decode((await next).value);
  assert.deepEqual([...text.matchAll(/"count":(\d)/g)].map((match) => match[1]), ["1", "2", "3"]);
  spectator.close();
});
