import assert from "node:assert/strict";
import { readAhead } from "./expect_continue.ts";
import { FanOut } from "../pipe/fan_out.ts";

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
  const { reader, started } = readAhead(body);
  await started;
  assert.equal(pulls, 1);
  const fanOut = new FanOut(reader, 1);
  assert.deepEqual(await Array.fromAsync(fanOut.outputs[0]!), chunks);
});

Deno.test("readAhead: cancelling the reader settles started and cancels the body", async () => {
  let cancelled: unknown;
  const body = new ReadableStream<Uint8Array>({
    cancel(reason) {
      cancelled = reason;
    },
  });
  const { reader, started } = readAhead(body);
  await reader.cancel("sender left");
  await started;
  assert.equal(cancelled, "sender left");
});

Deno.test("readAhead: a body that errors settles started; the reader gets the error", async () => {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.error(new TypeError("reset"));
    },
  });
  const { reader, started } = readAhead(body);
  await started;
  await assert.rejects(reader.read(), TypeError);
});
