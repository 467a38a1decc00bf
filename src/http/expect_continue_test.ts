import assert from "node:assert/strict";
import { readAhead } from "./expect_continue.ts";

Deno.test("readAhead reads the first chunk before anyone asks, and loses nothing", async () => {
  let pulls = 0;
  const chunks = [new Uint8Array([1]), new Uint8Array([2, 3])];
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks[pulls++];
      if (chunk) controller.enqueue(chunk);
      else controller.close();
    },
  }, { highWaterMark: 0 });
  const ahead = readAhead(body);
  await ahead.started;
  assert.equal(pulls, 1);
  assert.deepEqual(await Array.fromAsync(ahead.body), chunks);
});

Deno.test("readAhead: cancelling the returned body settles started and cancels the body", async () => {
  let cancelled: unknown;
  const body = new ReadableStream<Uint8Array>({
    cancel(reason) {
      cancelled = reason;
    },
  });
  const ahead = readAhead(body);
  await ahead.body.cancel("sender left");
  await ahead.started;
  assert.equal(cancelled, "sender left");
});

Deno.test("readAhead: a body that errors settles started and errors the returned body", async () => {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.error(new TypeError("reset"));
    },
  });
  const ahead = readAhead(body);
  await ahead.started;
  await assert.rejects(Array.fromAsync(ahead.body), TypeError);
});
