import assert from "node:assert/strict";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Pipe } from "./pipe.ts";
import { Spectator } from "../sse/spectator.ts";

setFlagsFromString("--expose-gc");
const gc: () => void = runInNewContext("gc");

/** One whole transfer with a spectator; returns weak references to what it used. */
async function transfer(pipe: Pipe): Promise<WeakRef<object>[]> {
  const body = ReadableStream.from([new Uint8Array(1 << 20), new Uint8Array(1 << 20)]);
  const request = { headers: new Headers(), signal: new AbortController().signal };
  const spectator = new Spectator(pipe.topic);
  const watched = new Response(spectator.stream).text();
  const receiving = pipe.receive({ n: null, signal: new AbortController().signal });
  const log = pipe.send({ body, n: null, total: null, ...request });
  const { body: output } = await receiving;
  assert.equal((await new Response(output).arrayBuffer()).byteLength, 2 << 20);
  assert.match(await new Response(log).text(), /Sent 2097152 bytes/);
  assert.match(await watched, /event: done/);
  return [new WeakRef(body), new WeakRef(output), new WeakRef(request)];
}

Deno.test("an ended run keeps its final snapshot, not its streams or the sender's request", async () => {
  const pipe = new Pipe("retained");
  const refs = await transfer(pipe);
  // Let the streams' last promise jobs run, then collect.
  await new Promise((resolve) => setTimeout(resolve, 0));
  gc();
  assert.equal(pipe.topic.snapshot().state, "complete");
  assert.equal(pipe.topic.snapshot().bytes, 2 << 20);
  assert.deepEqual(refs.map((ref) => ref.deref() === undefined), [true, true, true]);
});
