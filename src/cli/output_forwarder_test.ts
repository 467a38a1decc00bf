import assert from "node:assert/strict";
import { OutputForwarder } from "./output_forwarder.ts";

const encoder = new TextEncoder();

interface Received {
  missed: number;
  text: string;
}

/** A real HTTP server on 127.0.0.1:0 recording each output post; `slow` ms per body read. */
function recordingServer(slow = 0) {
  const received: Received[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const missed = Number(new URL(request.url).searchParams.get("missed") ?? 0);
    const record = { missed, text: "" };
    received.push(record);
    const decoder = new TextDecoder();
    for await (const chunk of request.body!) {
      record.text += decoder.decode(chunk, { stream: true });
      if (slow > 0) await new Promise((resolve) => setTimeout(resolve, slow));
    }
    return Response.json({ ok: true });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/api/v1/processes/p/output?stream=stdout`,
    received,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

function lines(from: number, to: number): Uint8Array {
  let text = "";
  for (let i = from; i < to; i++) text += `line ${i}\n`;
  return encoder.encode(text);
}

Deno.test("a server that keeps up gets every byte, in one request", async () => {
  await using server = recordingServer();
  const forwarder = new OutputForwarder({ url: server.url });
  forwarder.push(encoder.encode("a\nhalf"));
  forwarder.push(encoder.encode(" line\n\x1b[31mred\x1b[0m"));
  await forwarder.finish();
  assert.deepEqual(server.received, [{ missed: 0, text: "a\nhalf line\n\x1b[31mred\x1b[0m" }]);
  assert.equal(forwarder.dropped, 0);
});

Deno.test("a slow server: whole lines are dropped, counted, and reported in place", async () => {
  await using server = recordingServer(5);
  const forwarder = new OutputForwarder({ url: server.url, maxBufferBytes: 16 * 1024 });
  const total = 20_000;
  for (let i = 0; i < total; i += 100) {
    forwarder.push(lines(i, i + 100));
    if (i % 2000 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await forwarder.finish();
  assert.ok(forwarder.dropped > 0, "nothing was dropped: the server was not slow enough");
  const got: number[] = [];
  let missed = 0;
  for (const record of server.received) {
    missed += record.missed;
    for (const line of record.text.split("\n").slice(0, -1)) {
      assert.match(line, /^line \d+$/);
      got.push(Number(line.slice(5)));
    }
  }
  assert.equal(got.length + missed, total);
  assert.equal(missed, forwarder.dropped);
  for (let i = 1; i < got.length; i++) assert.ok(got[i]! > got[i - 1]!, `order at ${i}`);
  // Each gap sits where the lines are missing: the request after a gap starts past it.
  let expected = 0;
  for (const record of server.received) {
    expected += record.missed;
    const first = record.text.split("\n")[0];
    if (first) {
      assert.equal(Number(first.slice(5)), expected);
      expected += record.text.split("\n").length - 1;
    }
  }
});

Deno.test("an unreachable server: onError once, later output ignored", async () => {
  const errors: Error[] = [];
  const forwarder = new OutputForwarder({
    url: "http://127.0.0.1:1/api/v1/processes/p/output?stream=stdout",
    onError: (error) => errors.push(error),
  });
  forwarder.push(encoder.encode("a\n"));
  await forwarder.finish();
  forwarder.push(encoder.encode("b\n"));
  assert.equal(errors.length, 1);
  assert.equal(forwarder.dead, true);
});

Deno.test("a server that refuses: onError with its line", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("Process 'p' already exited\n", { status: 409 }),
  );
  const errors: Error[] = [];
  const forwarder = new OutputForwarder({
    url: `http://127.0.0.1:${server.addr.port}/x?stream=stdout`,
    onError: (error) => errors.push(error),
  });
  forwarder.push(encoder.encode("a\n"));
  await forwarder.finish();
  await server.shutdown();
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.message, "409 Process 'p' already exited");
});
