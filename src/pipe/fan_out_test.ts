// One case per line of FanOut's cancel/error matrix (see its doc comment).
import assert from "node:assert/strict";
import { FanOut } from "./fan_out.ts";
import { recordingSource } from "./_recording_source.ts";

const chunk = (...bytes: number[]) => new Uint8Array(bytes);

function outcomes() {
  const seen: { complete: number; errors: Error[] } = { complete: 0, errors: [] };
  return {
    seen,
    options: {
      onComplete: () => seen.complete++,
      onError: (reason: Error) => seen.errors.push(reason),
    },
  };
}

Deno.test("every output gets the same bytes, and the relay completes once", async () => {
  const { seen, options } = outcomes();
  const fanOut = new FanOut(ReadableStream.from([chunk(1, 2), chunk(3)]), 3, options);
  const results = await Promise.all(fanOut.outputs.map((output) => Array.fromAsync(output)));
  for (const result of results) assert.deepEqual(result, [chunk(1, 2), chunk(3)]);
  assert.deepEqual([fanOut.bytes, fanOut.delivered, seen.complete, seen.errors.length], [
    3,
    3,
    1,
    0,
  ]);
});

Deno.test("the source errors: every output is errored with that reason", async () => {
  const { seen, options } = outcomes();
  const broken = new Error("sender went away");
  const { stream } = recordingSource([chunk(1)], { fail: broken });
  const fanOut = new FanOut(stream, 2, options);
  for (const output of fanOut.outputs) {
    await assert.rejects(Array.fromAsync(output), (error) => error === broken);
  }
  assert.deepEqual([seen.complete, seen.errors], [0, [broken]]);
});

Deno.test("one output cancelled: the others go on to the end", async () => {
  const { seen, options } = outcomes();
  const fanOut = new FanOut(ReadableStream.from([chunk(1), chunk(2), chunk(3)]), 2, options);
  const [gone, kept] = fanOut.outputs;
  await gone!.cancel("receiver closed");
  assert.deepEqual(await Array.fromAsync(kept!), [chunk(1), chunk(2), chunk(3)]);
  assert.deepEqual([fanOut.open, fanOut.delivered, seen.complete, seen.errors.length], [
    0,
    1,
    1,
    0,
  ]);
});

Deno.test("the last output cancelled: the source is cancelled and the relay fails", async () => {
  const { seen, options } = outcomes();
  const { stream, record } = recordingSource([chunk(1), chunk(2)]);
  const fanOut = new FanOut(stream, 2, options);
  await fanOut.outputs[0]!.cancel("first left");
  await fanOut.outputs[1]!.cancel("second left");
  assert.equal(seen.errors.length, 1);
  assert.equal(seen.errors[0]!.message, "All receivers disconnected (second left)");
  assert.equal(record.cancelled, seen.errors[0]);
  assert.equal(seen.complete, 0);
});

Deno.test("abort: every output is errored and the source cancelled; twice is safe", async () => {
  const { seen, options } = outcomes();
  const { stream, record } = recordingSource([chunk(1), chunk(2)]);
  const fanOut = new FanOut(stream, 2, options);
  const reason = new Error("server draining");
  fanOut.abort(reason);
  fanOut.abort(new Error("again"));
  for (const output of fanOut.outputs) {
    await assert.rejects(Array.fromAsync(output), (error) => error === reason);
  }
  assert.equal(record.cancelled, reason);
  assert.deepEqual(seen.errors, [reason]);
});

Deno.test("abort after the source ended: the outputs still get every byte", async () => {
  const { seen, options } = outcomes();
  const fanOut = new FanOut(ReadableStream.from([chunk(7)]), 1, options);
  const reader = fanOut.outputs[0]!.getReader();
  assert.deepEqual((await reader.read()).value, chunk(7));
  // The end is read on the next pull; then abort comes too late to take anything away.
  const end = reader.read();
  await new Promise((resolve) => setTimeout(resolve, 0));
  fanOut.abort(new Error("late"));
  assert.equal((await end).done, true);
  assert.deepEqual([seen.complete, seen.errors.length], [1, 0]);
});

Deno.test("the slowest reader paces the source: nothing is read past its high-water mark", async () => {
  const chunks = Array.from({ length: 20 }, (_, i) => chunk(i));
  const { stream, record } = recordingSource(chunks);
  const fanOut = new FanOut(stream, 2, { highWaterMark: 2 });
  const [fast, slow] = fanOut.outputs;
  const fastReader = fast!.getReader();
  // The fast reader takes what it can; the slow one reads nothing.
  const taken: Uint8Array[] = [];
  for (let i = 0; i < 2; i++) taken.push((await fastReader.read()).value!);
  await new Promise((resolve) => setTimeout(resolve, 10));
  // Read: the two chunks the fast one took, the slow one's queue holds them (its mark is 2).
  assert.ok(record.pulls <= 3, `source pulled ${record.pulls} times`);
  const slowAll = Array.fromAsync(slow!);
  const fastRest = (async () => {
    for (;;) {
      const { value, done } = await fastReader.read();
      if (done) return;
      taken.push(value);
    }
  })();
  await fastRest;
  assert.deepEqual(taken, chunks);
  assert.deepEqual(await slowAll, chunks);
});

Deno.test("cancelOutput: that output is errored, the others go on", async () => {
  const { seen, options } = outcomes();
  const fanOut = new FanOut(ReadableStream.from([chunk(1), chunk(2)]), 2, options);
  const reason = new Error("receiver's socket closed");
  fanOut.cancelOutput(0, reason);
  fanOut.cancelOutput(0, new Error("twice"));
  await assert.rejects(Array.fromAsync(fanOut.outputs[0]!), (error) => error === reason);
  assert.deepEqual(await Array.fromAsync(fanOut.outputs[1]!), [chunk(1), chunk(2)]);
  assert.deepEqual([seen.complete, seen.errors.length], [1, 0]);
});
