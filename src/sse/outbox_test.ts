import assert from "node:assert/strict";
import { Outbox } from "./outbox.ts";

function drain(outbox: Outbox<string>): string[] {
  const frames: string[] = [];
  for (let frame = outbox.take(); frame !== undefined; frame = outbox.take()) frames.push(frame);
  return frames;
}

Deno.test("frames go out in the order they came", () => {
  const outbox = new Outbox<string>();
  for (const frame of ["a", "b", "c"]) outbox.push(frame);
  outbox.replace("progress", "p");
  outbox.push("d");
  assert.deepEqual(drain(outbox), ["a", "b", "c", "p", "d"]);
  assert.equal(outbox.waiting, 0);
  outbox.close();
});

Deno.test("a latest-wins frame replaces only its own slot's unsent frame, where it stands", () => {
  const outbox = new Outbox<string>();
  outbox.replace("progress", "p1");
  outbox.replace("audience", "a1");
  outbox.push("line");
  outbox.replace("progress", "p2");
  outbox.replace("audience", "a2");
  assert.deepEqual(drain(outbox), ["p2", "a2", "line"]);
  // Once taken, the slot is free: the next one is queued after what waits.
  outbox.push("x");
  outbox.replace("progress", "p3");
  assert.deepEqual(drain(outbox), ["x", "p3"]);
  outbox.close();
});

Deno.test("a slot held aside goes out when nothing else waits, newest only", () => {
  const outbox = new Outbox<string>();
  outbox.replaceAside("audience", "a1");
  outbox.push("state");
  outbox.replace("progress", "p1");
  outbox.replaceAside("audience", "a2");
  assert.equal(outbox.waiting, 3);
  assert.deepEqual(outbox.takeUpTo(100), ["state"]);
  outbox.replace("progress", "p2");
  assert.deepEqual(drain(outbox), ["p2", "a2"]);
  outbox.replaceAside("audience", "a3");
  outbox.discard("audience");
  assert.deepEqual([outbox.take(), outbox.bytes], [undefined, 0]);
  outbox.close();
});

Deno.test("pushed and superseding frames are never replaced nor dropped", () => {
  const outbox = new Outbox<string>();
  outbox.replace("progress", "p1");
  outbox.supersede("progress", "state");
  outbox.replace("progress", "p2");
  outbox.supersede("progress", "done");
  outbox.supersede("other", "error");
  outbox.discard("progress");
  outbox.discard("audience");
  assert.deepEqual(drain(outbox), ["state", "done", "error"]);
  outbox.close();
});

Deno.test("discard drops the slot's unsent frame and its bytes", () => {
  const outbox = new Outbox<string>();
  outbox.push("abc");
  outbox.replace("audience", "12345");
  assert.equal(outbox.bytes, 8);
  outbox.discard("audience");
  assert.equal(outbox.bytes, 3);
  assert.deepEqual(drain(outbox), ["abc"]);
  outbox.close();
});

Deno.test("past maxBytes onOverflow is called once and the outbox goes on", () => {
  let overflows = 0;
  const outbox = new Outbox<string>({ maxBytes: 5, onOverflow: () => overflows++ });
  outbox.push("abc");
  outbox.replace("progress", "de");
  assert.equal(overflows, 0);
  outbox.replace("progress", "def"); // a replacement counts its growth
  assert.equal(overflows, 1);
  outbox.push("more");
  assert.equal(overflows, 1);
  assert.deepEqual(drain(outbox), ["abc", "def", "more"]);
  outbox.close();
});

Deno.test("limit bounds what comes from now on, beyond what waits", () => {
  let overflows = 0;
  const outbox = new Outbox<string>({ onOverflow: () => overflows++ });
  outbox.push("greeting greeting");
  outbox.limit(4);
  outbox.push("1234");
  assert.equal(overflows, 0);
  outbox.push("5");
  assert.equal(overflows, 1);
  outbox.close();
});

Deno.test("takeUpTo takes the first frame, then the pushed ones after it while they fit", () => {
  const outbox = new Outbox<string>();
  for (const frame of ["aaaa", "bb", "cc", "d"]) outbox.push(frame);
  assert.deepEqual(outbox.takeUpTo(2), ["aaaa"]);
  assert.deepEqual(outbox.takeUpTo(4), ["bb", "cc"]);
  assert.deepEqual(outbox.takeUpTo(4), ["d"]);
  assert.deepEqual(outbox.takeUpTo(4), []);
  // A latest-wins frame is never joined: it stays the newest of its slot until taken alone.
  outbox.push("a");
  outbox.replace("progress", "p");
  outbox.push("b");
  outbox.push("c");
  assert.deepEqual(outbox.takeUpTo(10), ["a"]);
  assert.deepEqual(outbox.takeUpTo(10), ["p"]);
  assert.deepEqual(outbox.takeUpTo(10), ["b", "c"]);
  outbox.close();
});

Deno.test("a consumer that takes nothing for writeTimeout while frames wait is dropped", async () => {
  const { promise: stalled, resolve } = Promise.withResolvers<void>();
  const outbox = new Outbox<string>({ writeTimeout: 20, onStall: resolve });
  outbox.push("a");
  await stalled;
  assert.equal(outbox.closed, true);
  assert.equal(outbox.waiting, 0);
  outbox.push("b");
  assert.equal(outbox.take(), undefined);
});

Deno.test("a consumer that keeps taking, or has nothing to take, is not dropped", async () => {
  let stalls = 0;
  const outbox = new Outbox<string>({ writeTimeout: 30, onStall: () => stalls++ });
  for (let i = 0; i < 6; i++) {
    outbox.push(`${i}`);
    outbox.push(`${i}+`);
    await new Promise((resolve) => setTimeout(resolve, 10));
    outbox.take();
  }
  drain(outbox);
  // Nothing waits: the timer that fires finds nothing owed.
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(stalls, 0);
  assert.equal(outbox.closed, false);
  outbox.close();
});

Deno.test("close drops what waits, refuses what comes and is safe twice", () => {
  let stalls = 0;
  const outbox = new Outbox<string>({ writeTimeout: 10, onStall: () => stalls++ });
  outbox.push("a");
  outbox.replace("progress", "p");
  outbox.close();
  outbox.close();
  outbox.push("b");
  outbox.replace("progress", "q");
  outbox.supersede("progress", "r");
  assert.equal(outbox.take(), undefined);
  assert.equal(outbox.bytes, 0);
  assert.equal(stalls, 0);
});
