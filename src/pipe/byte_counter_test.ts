import assert from "node:assert/strict";
import { ByteCounter } from "./byte_counter.ts";

Deno.test("ByteCounter passes the same chunks through and counts them", async () => {
  const chunks = [new Uint8Array(5), new Uint8Array(0), new Uint8Array(70_000)];
  const counter = new ByteCounter();
  const out = await Array.fromAsync(ReadableStream.from(chunks).pipeThrough(counter));
  assert.equal(out.length, 3);
  out.forEach((chunk, i) => assert.equal(chunk, chunks[i]));
  assert.equal(counter.bytes, 70_005);
});

Deno.test("ByteCounter: cancelling the output cancels the source with the reason", async () => {
  const { promise: cancelled, resolve } = Promise.withResolvers<unknown>();
  const source = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.enqueue(new Uint8Array(10));
    },
    cancel: resolve,
  });
  const counter = new ByteCounter();
  const reader = source.pipeThrough(counter).getReader();
  await reader.read();
  await reader.cancel("receiver left");
  assert.equal(await cancelled, "receiver left");
  assert.ok(counter.bytes >= 10);
});

Deno.test("ByteCounter: a source that errors errors the output; the count stays", async () => {
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new Uint8Array(3));
      controller.error(new TypeError("sender reset"));
    },
  });
  const counter = new ByteCounter();
  const reader = source.pipeThrough(counter).getReader();
  await assert.rejects(async () => {
    while (!(await reader.read()).done);
  }, TypeError);
  assert.ok(counter.bytes <= 3);
});
