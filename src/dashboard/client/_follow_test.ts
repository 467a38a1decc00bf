import assert from "node:assert/strict";
import { follow, type Following } from "./_follow.ts";

/** A real SSE server on 127.0.0.1:0 whose answers a test scripts, one per request. */
function sseServer(answers: ((request: Request) => Response)[]) {
  /** Each request's headers, taken while it is alive. */
  const requests: Headers[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    requests.push(new Headers(request.headers));
    const answer = answers[requests.length - 1];
    return answer ? answer(request) : new Response("no more answers", { status: 503 });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/events`,
    requests,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

/** An SSE response that sends `text` in pieces and then ends (or stays open). */
function stream(pieces: string[], options: { open?: boolean } = {}): () => Response {
  return () => {
    const encoder = new TextEncoder();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const piece = pieces.shift();
        if (piece === undefined) {
          if (!options.open) controller.close();
          else await new Promise((resolve) => timer = setTimeout(resolve, 60_000));
          return;
        }
        controller.enqueue(encoder.encode(piece));
      },
      cancel() {
        clearTimeout(timer);
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  };
}

/** Follows `url` and records what happens until a handler or the test resolves `done`. */
function record(url: string, stopOn: string, extra: { once?: boolean } = {}) {
  const seen: string[] = [];
  let resolve!: () => void;
  const done = new Promise<void>((r) => resolve = r);
  const following: Following = follow({
    url,
    retryMs: 10,
    ...extra,
    onConnection: (connection) => seen.push(`[${connection}]`),
    on: {
      output: (data) => void seen.push(`output ${data}`),
      status: (data) => {
        seen.push(`status ${data}`);
        if (data === stopOn) {
          resolve();
          return true;
        }
      },
      error: (data) => void seen.push(`error ${data}`),
    },
  });
  return { seen, done, following, resolve };
}

/** What following `url` records until a `status end` event stops it. */
async function seenUntilEnd(url: string): Promise<string[]> {
  const { seen, done } = record(url, "end");
  await done;
  return seen;
}

Deno.test("follow() delivers named events in order and stops when a handler says so", async () => {
  await using server = sseServer([
    stream([
      "retry: 10\n\nid: 1\nevent: output\ndata: a\n\n",
      "id: 2\nevent: out",
      'put\ndata: b\n\nevent: error\ndata: {"error":"x"}\n\nevent: status\ndata: end\n\n',
      "event: output\ndata: after the end\n\n",
    ], { open: true }),
  ]);
  assert.deepEqual(await seenUntilEnd(server.url), [
    "[live]",
    "output a",
    "output b",
    'error {"error":"x"}',
    "status end",
  ]);
  assert.equal(server.requests.length, 1);
  assert.equal(server.requests[0]!.get("accept"), "text/event-stream");
  assert.equal(server.requests[0]!.get("last-event-id"), null);
});

Deno.test("follow() reconnects after the stream ends or is refused, resuming with Last-Event-ID", async () => {
  await using server = sseServer([
    stream(["retry: 10\n\nid: 1\nevent: output\ndata: a\n\nid: 2\nevent: output\ndata: b\n\n"]),
    () => new Response("Too many spectators", { status: 429 }),
    stream(["id: 3\nevent: output\ndata: c\n\nevent: status\ndata: end\n\n"], { open: true }),
  ]);
  assert.deepEqual(await seenUntilEnd(server.url), [
    "[live]",
    "output a",
    "output b",
    "[reconnecting]",
    "[reconnecting]",
    "[live]",
    "output c",
    "status end",
  ]);
  assert.deepEqual(
    server.requests.map((headers) => headers.get("last-event-id")),
    [null, "2", "2"],
  );
});

Deno.test("follow({ once }) reads one stream and never reconnects", async () => {
  await using server = sseServer([
    stream(["id: 7\nevent: output\ndata: history\n\n"]),
  ]);
  const { seen, following } = record(server.url, "never", { once: true });
  // Give the ended stream time to be noticed (an absence cannot be awaited): once stopped,
  // a reopen() does nothing.
  while (!seen.includes("output history")) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 100));
  following.reopen();
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(server.requests.length, 1);
  assert.deepEqual(seen, ["[live]", "output history"]);
});

Deno.test("follow().reopen() drops the stream and opens the next at once; stop() is final", async () => {
  await using server = sseServer([
    stream(["event: output\ndata: first\n\n"], { open: true }),
    stream(["event: output\ndata: second\n\n"], { open: true }),
  ]);
  const { seen, following } = record(server.url, "never");
  while (!seen.includes("output first")) await new Promise((r) => setTimeout(r, 5));
  following.reopen();
  while (!seen.includes("output second")) await new Promise((r) => setTimeout(r, 5));
  following.stop();
  following.stop();
  following.reopen();
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(server.requests.length, 2);
  assert.deepEqual(seen.filter((s) => s.startsWith("output")), ["output first", "output second"]);
});
