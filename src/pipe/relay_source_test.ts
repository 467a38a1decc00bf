// One case per promise of RelaySource (readAhead's and ended): no chunk lost, a cancel settles
// it, an error settles it.
import assert from "node:assert/strict";
import { FanOut } from "./fan_out.ts";
import { recordingSource } from "./_recording_source.ts";
import { RelaySource } from "./relay_source.ts";

const chunk = (...bytes: number[]) => new Uint8Array(bytes);

/** A body whose first read stays pending until it is cancelled. */
function silentBody() {
  const record = { cancelled: undefined as unknown };
  const body = new ReadableStream<Uint8Array>({
    cancel(reason) {
      record.cancelled = reason;
    },
  }, { highWaterMark: 0 });
  return { body, record };
}

Deno.test("readAhead asks for the first chunk at once, and the relay loses none", async () => {
  const chunks = [chunk(1), chunk(2, 3)];
  const { stream: body, record } = recordingSource(chunks);
  const source = new RelaySource(body);
  await source.readAhead();
  assert.equal(record.pulls, 1);
  const fanOut = new FanOut(source, 2);
  const results = await Promise.all(fanOut.outputs.map((output) => Array.fromAsync(output)));
  for (const result of results) assert.deepEqual(result, chunks);
  assert.equal(fanOut.bytes, 3);
});

Deno.test("readAhead: a cancel settles it and cancels the body", async () => {
  const { body, record } = silentBody();
  const source = new RelaySource(body);
  const started = source.readAhead();
  await source.cancel("sender left");
  await started;
  assert.equal(record.cancelled, "sender left");
});

Deno.test("readAhead: a body that errors settles it, and the relay's receivers get the error", async () => {
  const broken = new TypeError("reset");
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.error(broken);
    },
  });
  const source = new RelaySource(body);
  await source.readAhead();
  const fanOut = new FanOut(source, 1);
  await assert.rejects(Array.fromAsync(fanOut.outputs[0]!), (error) => error === broken);
});

Deno.test("ended settles once the relay read the last chunk, and not before", async () => {
  const chunks = [chunk(1), chunk(2)];
  const { stream: body } = recordingSource(chunks);
  const source = new RelaySource(body);
  let ended = false;
  source.ended.then(() => ended = true);
  const fanOut = new FanOut(source, 1);
  const reader = fanOut.outputs[0]!.getReader();
  assert.deepEqual((await reader.read()).value, chunk(1));
  assert.equal(ended, false);
  const rest = [];
  for (let result = await reader.read(); !result.done; result = await reader.read()) {
    rest.push(result.value);
  }
  assert.deepEqual(rest, [chunk(2)]);
  await source.ended;
});

Deno.test("ended: every receiver leaving cancels the body and settles it", async () => {
  const { body, record } = silentBody();
  const source = new RelaySource(body);
  const fanOut = new FanOut(source, 1);
  const reader = fanOut.outputs[0]!.getReader();
  const pending = reader.read();
  await reader.cancel("receiver left");
  await pending;
  await source.ended;
  assert.match(String(record.cancelled), /All receivers disconnected \(receiver left\)/);
});

Deno.test("ended: a body that errors mid-upload settles it", async () => {
  const broken = new Error("sender went away");
  const { stream: body } = recordingSource([chunk(1)], { fail: broken });
  const source = new RelaySource(body);
  const fanOut = new FanOut(source, 1);
  await assert.rejects(Array.fromAsync(fanOut.outputs[0]!), (error) => error === broken);
  await source.ended;
});

Deno.test("a null body is an empty one: the relay completes and ended settles", async () => {
  const source = new RelaySource(null);
  await source.readAhead();
  const fanOut = new FanOut(source, 1);
  assert.deepEqual(await Array.fromAsync(fanOut.outputs[0]!), []);
  await source.ended;
});
