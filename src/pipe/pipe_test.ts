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

Deno.test("a side whose connection closed before it joined never holds the pipe", async () => {
  // The route awaits (a watch link, a token check) before it joins: the client may leave then,
  // and an abort listener added to an aborted signal never fires.
  // A short wait timeout only so that a wrong outcome fails instead of hanging.
  const pipe = new Pipe("gone", { waitTimeout: 500 });
  const receiving = pipe.receive({ n: null, signal: AbortSignal.abort() });
  await assert.rejects(receiving, { status: 408, message: "Receiver disconnected" });
  assert.equal(pipe.busy, false);
  const body = ReadableStream.from([new TextEncoder().encode("lost")]);
  const log = pipe.send({
    body,
    n: null,
    total: null,
    headers: new Headers(),
    signal: AbortSignal.abort(),
  });
  await assert.rejects(new Response(log).text(), /Sender disconnected/);
  assert.equal(pipe.busy, false);
  assert.equal(pipe.topic.state, "idle");
  // The name is free: the next sender is not refused as a second one.
  pipe.send({
    body: null,
    n: null,
    total: null,
    headers: new Headers(),
    signal: new AbortController().signal,
  });
  pipe.abort("Test over");
});
