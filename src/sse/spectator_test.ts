import assert from "node:assert/strict";
import { Topic } from "../progress/topic.ts";
import { Spectator } from "./spectator.ts";

class Counter extends Topic {
  count = 0;
  constructor() {
    super("counter", "c", ["progress", "done"]);
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
