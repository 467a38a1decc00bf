import assert from "node:assert/strict";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Pipe } from "./pipe.ts";
import type { TopicEvent } from "../progress/topic.ts";
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

const encoder = new TextEncoder();

function sender(n: number | null, text = "data") {
  return {
    body: ReadableStream.from([encoder.encode(text)]),
    n,
    total: null,
    headers: new Headers(),
    signal: new AbortController().signal,
  };
}

function receiver(n: number | null) {
  return { n, signal: new AbortController().signal };
}

/** Whether `promise` has settled by the time pending jobs and timers have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(() => done = true, () => done = true);
  await new Promise((resolve) => setTimeout(resolve, 0));
  return done;
}

function refusal(action: () => unknown): { status: number; message: string } {
  try {
    action();
  } catch (error) {
    const { status, message } = error as { status: number; message: string };
    return { status, message };
  }
  throw new Error("Not refused");
}

Deno.test("n must agree, a missing n meaning 1: receivers with n=2, then a sender without n", async () => {
  const pipe = new Pipe("agree");
  const first = pipe.receive(receiver(2));
  // Before, the sender joined the receivers' n=2 and relayed to two it never asked for.
  assert.deepEqual(refusal(() => pipe.send(sender(null))), {
    status: 400,
    message: "n=1 (no n= given) does not match n=2 of pipe 'agree'",
  });
  assert.deepEqual(refusal(() => pipe.send(sender(1))), {
    status: 400,
    message: "n=1 does not match n=2 of pipe 'agree'",
  });
  assert.deepEqual(refusal(() => pipe.receive(receiver(null))), {
    status: 400,
    message: "n=1 (no n= given) does not match n=2 of pipe 'agree'",
  });
  // The waiting receiver is untouched: still waiting, still expecting two.
  assert.equal(await settled(first), false);
  const waiting = pipe.topic.snapshot();
  assert.deepEqual([waiting.state, waiting.receivers, waiting.receiversExpected], [
    "waiting",
    1,
    2,
  ]);
  const second = pipe.receive(receiver(2));
  const log = pipe.send(sender(2, "both"));
  for (const receiving of [first, second]) {
    assert.equal(await new Response((await receiving).body).text(), "both");
  }
  assert.match(await new Response(log).text(), /Sent 4 bytes to 2 receiver\(s\)/);
});

Deno.test("n must agree: a sender without n first refuses receivers with n=2", async () => {
  const pipe = new Pipe("agree-sender-first");
  const log = pipe.send(sender(null, "one"));
  const message = "n=2 does not match n=1 of pipe 'agree-sender-first'";
  assert.deepEqual(refusal(() => pipe.receive(receiver(2))), { status: 400, message });
  assert.deepEqual(refusal(() => pipe.checkReceive(2)), { status: 400, message });
  assert.equal(pipe.topic.snapshot().receiversExpected, 1);
  assert.equal(pipe.topic.snapshot().receivers, 0);
  // `n=1` and no `n=` are the same request.
  const receiving = pipe.receive(receiver(1));
  assert.equal(await new Response((await receiving).body).text(), "one");
  assert.match(await new Response(log).text(), /Sent 3 bytes to 1 receiver\(s\)/);
});

Deno.test("n must agree: a receiver without n first refuses n=2 on either side", async () => {
  const pipe = new Pipe("agree-receiver-first");
  const receiving = pipe.receive(receiver(null));
  const message = "n=2 does not match n=1 of pipe 'agree-receiver-first'";
  assert.deepEqual(refusal(() => pipe.receive(receiver(2))), { status: 400, message });
  assert.deepEqual(refusal(() => pipe.send(sender(2))), { status: 400, message });
  assert.deepEqual(refusal(() => pipe.checkSend(2)), { status: 400, message });
  assert.equal(await settled(receiving), false);
  pipe.send(sender(null, "ok"));
  assert.equal(await new Response((await receiving).body).text(), "ok");
});

Deno.test("n is free again once the waiting sides have left", async () => {
  const pipe = new Pipe("agree-again", { waitTimeout: 500 });
  const leaving = new AbortController();
  const waiting = pipe.receive({ n: 2, signal: leaving.signal });
  leaving.abort();
  await assert.rejects(waiting, { status: 408 });
  const receiving = pipe.receive(receiver(null));
  pipe.send(sender(null, "fresh"));
  assert.equal(await new Response((await receiving).body).text(), "fresh");
});

Deno.test("progressInterval 0 samples on every timer turn, not every 250 ms", async () => {
  const pipe = new Pipe("fast", { progressInterval: 0 });
  const chunks = 5;
  let pulled = 0;
  const { promise: allRead, resolve } = Promise.withResolvers<void>();
  // One chunk per timer turn: the sampler sees the count move between them.
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      await new Promise((wake) => setTimeout(wake, 5));
      if (pulled++ < chunks) controller.enqueue(new Uint8Array(1024));
      else {
        controller.close();
        resolve();
      }
    },
  }, { highWaterMark: 0 });
  const counts: number[] = [];
  const watch = (topic = pipe.topic) =>
    topic.addEventListener("progress", (e) => {
      counts.push(((e as TopicEvent).data as { bytes: number }).bytes);
    });
  watch();
  const receiving = pipe.receive({ n: null, signal: new AbortController().signal });
  const log = pipe.send({
    body,
    n: null,
    total: null,
    headers: new Headers(),
    signal: new AbortController().signal,
  });
  const { body: output } = await receiving;
  assert.equal((await new Response(output).arrayBuffer()).byteLength, chunks * 1024);
  await allRead;
  await new Response(log).text();
  // At 250 ms (what 0 meant before) a 25 ms transfer is sampled at most once.
  assert.ok(counts.length >= 2, `progress counts: ${counts.join(", ")}`);
});
