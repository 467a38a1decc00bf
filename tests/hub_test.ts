// End-to-end: the WebSocket hub /api/v1/ws and /api/v1/stats on a real server (bun, deno or the
// binary: RINGSIDE_TEST_RUNTIME), with Deno's WebSocket as the client and real curl transfers.
import assert from "node:assert/strict";
import { sign } from "hono/jwt";
import { curl, noise } from "./_curl.ts";
import { expectedWatchId, ringsideCli, runGated, startServer, testRuntime } from "./_server.ts";
import { startRedis } from "./_redis.ts";
import { openSse, waitForPipe } from "./_sse.ts";
import { frameHeader, HubConnection, type HubMessage, rawWebSocket } from "./_ws.ts";

const tmp = await Deno.makeTempDir({ prefix: "ringside-hub-test-" });
const BIG = `${tmp}/big.bin`;
await Deno.writeFile(BIG, noise(32 * 1024 * 1024, 5));

function isFinal(message: HubMessage): boolean {
  return message.type === "pipe_progress" &&
    (message.data.state === "complete" || message.data.state === "failed");
}

/** Polls `/api/v1/stats` until `predicate` holds (the hub has no event for a dropped client). */
async function waitForStats(
  origin: string,
  predicate: (stats: HubMessage) => boolean,
  headers: HeadersInit = {},
): Promise<HubMessage> {
  for (;;) {
    const stats = await (await fetch(`${origin}/api/v1/stats`, { headers })).json();
    if (predicate(stats)) return stats;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

Deno.test(`hub: a pipe's progress through a real transfer (${testRuntime})`, async (t) => {
  await using server = await startServer({ args: ["--progress-interval", "20ms"] });

  await t.step("a subscriber waits on an idle pipe and follows it to the end", async () => {
    using hub = await HubConnection.open(server.origin);
    await hub.subscribe("pipe:movie");
    const first = await hub.next();
    assert.deepEqual([first.type, first.channel, first.data.state, first.data.spectators], [
      "pipe_progress",
      "pipe:movie",
      "idle",
      1,
    ]);

    const url = `${server.origin}/api/v1/pipe/movie`;
    const receiver = curl("-o", `${tmp}/movie.out`, url);
    const sender = curl("-T", BIG, url);
    const last = await hub.until(isFinal);
    assert.equal((await sender.result).code, 0);
    assert.equal((await receiver.result).code, 0);
    assert.equal(last.data.state, "complete");
    assert.equal(last.data.bytes, 32 * 1024 * 1024);
    assert.equal(last.data.percent, 100);
    assert.deepEqual(await hub.next(), { type: "unsubscribed", data: "pipe:movie" });
    const states = hub.messages.filter((m) => m.type === "pipe_progress").map((m) => m.data.state);
    assert.ok(states.includes("waiting") || states.includes("streaming"), states.join());
    // Every snapshot is whole and in order: bytes never go back.
    const bytes = hub.messages.filter((m) => m.type === "pipe_progress").map((m) => m.data.bytes);
    assert.deepEqual(bytes, [...bytes].sort((a, b) => a - b));
  });

  await t.step("a latecomer gets the final snapshot at once, then unsubscribed", async () => {
    using hub = await HubConnection.open(server.origin);
    await hub.subscribe("pipe:movie");
    const last = await hub.next();
    assert.equal(last.data.state, "complete");
    assert.deepEqual(await hub.next(), { type: "unsubscribed", data: "pipe:movie" });
  });

  await t.step("a failed transfer ends with a failed snapshot", async () => {
    using hub = await HubConnection.open(server.origin);
    hub.send({ type: "subscribe", data: "pipe:broken" });
    await hub.until((m) => m.type === "pipe_progress" && m.data.state === "idle");
    const url = `${server.origin}/api/v1/pipe/broken`;
    const receiver = curl(url);
    const sender = curl("-T", "-", url);
    await sender.stdin.write(new TextEncoder().encode("half of it"));
    await hub.until((m) => m.type === "pipe_progress" && m.data.state === "streaming");
    sender.kill();
    const last = await hub.until(isFinal);
    assert.equal(last.data.state, "failed");
    assert.ok(last.data.error);
    await sender.result;
    assert.notEqual((await receiver.result).code, 0);
  });
});

Deno.test(`hub: protocol answers and limits (${testRuntime})`, async (t) => {
  await using server = await startServer();

  await t.step("ping, subscribe, unsubscribe", async () => {
    using hub = await HubConnection.open(server.origin);
    hub.send({ type: "ping" });
    assert.deepEqual(await hub.next(), { type: "pong" });
    await hub.subscribe("pipe:a/b");
    assert.equal((await hub.next()).type, "pipe_progress");
    await hub.subscribe("pipe:a/b");
    hub.send({ type: "unsubscribe", data: "pipe:a/b" });
    assert.deepEqual(await hub.next(), { type: "unsubscribed", data: "pipe:a/b" });
    // Not subscribed any more: what the client wanted, so the same answer, not an error.
    hub.send({ type: "unsubscribe", data: "pipe:a/b" });
    assert.deepEqual(await hub.next(), { type: "unsubscribed", data: "pipe:a/b" });
  });

  await t.step("bad messages get one-line errors and the connection stays", async () => {
    using hub = await HubConnection.open(server.origin);
    const cases: [unknown, RegExp][] = [
      ["{not json", /^Malformed JSON/],
      ["[1,2]", /^Invalid message/],
      [{ type: "dance" }, /^Unknown message type 'dance'/],
      [{ type: "subscribe" }, /needs a channel/],
      [{ type: "subscribe", data: "movie" }, /^Invalid channel 'movie'/],
      [{ type: "subscribe", data: "pipe:a/../b" }, /'\.' and '\.\.' segments/],
      [{ type: "subscribe", data: "job:nope" }, /^Job 'nope' not found$/],
      [{ type: "subscribe", data: "process:nope" }, /^Process 'nope' not found$/],
      [{ type: "subscribe", data: "watch:abc" }, /^Unknown watch link 'abc'$/],
    ];
    for (const [message, expected] of cases) {
      hub.send(message);
      const answer = await hub.next();
      assert.equal(answer.type, "error", JSON.stringify(message));
      assert.match(answer.data, expected);
      assert.ok(!answer.data.includes("\n"));
    }
    assert.deepEqual(await hub.roundTrip(), []);
  });

  await t.step("a 64 KiB frame is read; one byte more closes the connection (1009)", async () => {
    using hub = await HubConnection.open(server.origin);
    hub.send(`"${"x".repeat(64 * 1024 - 2)}"`);
    assert.equal((await hub.next()).type, "error");
    hub.send("x".repeat(64 * 1024 + 1));
    const closed = await hub.closed;
    assert.equal(closed.code, 1009);
  });

  await t.step("the 129th subscription is an error; the 128 stay", async () => {
    using hub = await HubConnection.open(server.origin);
    for (let i = 0; i < 129; i++) hub.send({ type: "subscribe", data: `pipe:many-${i}` });
    const answers = await hub.roundTrip();
    const subscribed = answers.filter((m) => m.type === "subscribed");
    assert.equal(subscribed.length, 128);
    const errors = answers.filter((m) => m.type === "error");
    assert.deepEqual(errors.map((m) => m.data), [
      "Too many subscriptions on this connection (at most 128)",
    ]);
    const stats = await (await fetch(`${server.origin}/api/v1/stats`)).json();
    assert.equal(stats.spectators, 128);
    assert.equal(stats.channels, 128);
    await hub.close();
    await waitForStats(server.origin, (s) => s.spectators === 0 && s.pipes === 0);
  });

  await t.step("without an upgrade, /api/v1/ws is 426", async () => {
    const response = await fetch(`${server.origin}/api/v1/ws`);
    assert.equal(response.status, 426);
    assert.match(await response.text(), /Expected a WebSocket upgrade/);
  });
});

/**
 * Sends one text message of `total` bytes in frames of `fragment` bytes on a raw connection,
 * answering the server's pings between frames (an idle check must not end it), and stops
 * sending once the server has closed the connection (or after `stopAfter` payload bytes, the
 * rest never sent). Resolves once the server has ended the connection, with its close code
 * (`null`: dropped without a close frame) and the payload bytes written.
 */
async function sendMessage(
  origin: string,
  total: number,
  fragment: number,
  stopAfter = Infinity,
): Promise<{ closeCode: number | null; sent: number }> {
  using raw = await rawWebSocket(origin);
  let ended = false;
  let inFrame = false;
  const pings: Uint8Array[] = [];
  const closed = (async () => {
    for await (const { opcode, payload } of raw.frames()) {
      if (opcode === 0x8) {
        return payload.length >= 2 ? new DataView(payload.buffer).getUint16(0) : 1005;
      }
      // A pong may not cut into a frame: it waits for the frame's end.
      if (opcode === 0x9 && inFrame) pings.push(payload);
      else if (opcode === 0x9) await raw.pong(payload).catch(() => {});
    }
    return null;
  })().finally(() => ended = true);
  const payload = new Uint8Array(1024 * 1024).fill(0x61);
  let sent = 0;
  try {
    for (let start = 0; start < total && !ended && sent < stopAfter; start += fragment) {
      const length = Math.min(fragment, total - start);
      inFrame = true;
      await raw.write(frameHeader(start === 0 ? 0x1 : 0x0, length, start + length === total));
      for (let at = 0; at < length && !ended && sent < stopAfter; at += payload.length) {
        const size = Math.min(payload.length, length - at, stopAfter - sent);
        await raw.write(payload.subarray(0, size));
        sent += size;
      }
      inFrame = false;
      for (const ping of pings.splice(0)) await raw.pong(ping);
    }
  } catch {
    // The server closed the connection while we were writing.
  }
  return { closeCode: await closed, sent };
}

const MiB = 1024 * 1024;

Deno.test(`hub: oversize messages (${testRuntime})`, async (t) => {
  const deno = testRuntime === "deno";
  // A short idle check, to see the end of a connection Deno stops reading.
  await using server = await startServer({ args: ["--hub-idle", deno ? "4s" : "8s"] });

  await t.step("a 1 MiB frame closes the connection (1009)", async () => {
    using hub = await HubConnection.open(server.origin);
    hub.send("x".repeat(MiB));
    assert.equal((await hub.closed).code, 1009);
  });

  await t.step("80 KiB in fragments of 16 KiB closes the connection (1009)", async () => {
    const { closeCode } = await sendMessage(server.origin, 80 * 1024, 16 * 1024);
    assert.equal(closeCode, 1009);
  });

  if (testRuntime === "deno") {
    // Deno has no limit to set: it drops a frame of 64 MiB or more once it has its header and
    // a byte (no close frame), and reads anything smaller whole before the hub closes it.
    await t.step("Deno drops a frame of 64 MiB at its header, without a close frame", async () => {
      const result = await sendMessage(server.origin, 64 * MiB, 64 * MiB, 1);
      assert.deepEqual(result, { closeCode: null, sent: 1 });
    });
  } else {
    await t.step("Bun closes with 1009 long before a 60 MiB frame has arrived", async () => {
      const { closeCode } = await sendMessage(server.origin, 60 * MiB, 60 * MiB, MiB);
      assert.equal(closeCode, 1009);
    });
  }

  await t.step("a text message over 512 MiB in fragments does not stop the server", async () => {
    // Past V8's longest string, Deno's WebSocket fails in its own read loop; unhandled, that
    // ended the process. It then reads nothing more on that connection, which ends at the
    // next idle check, unanswered (1001).
    const { closeCode, sent } = await sendMessage(server.origin, 520 * MiB, 8 * MiB);
    if (deno) assert.deepEqual({ closeCode, sent }, { closeCode: 1001, sent: 520 * MiB });
    else assert.equal(closeCode, 1009);
    await waitForStats(server.origin, (stats) => stats.clients === 0);
    assert.doesNotMatch(server.output(), /Uncaught|error/i);
  });
});

Deno.test(`hub: subscriptions are spectators (${testRuntime})`, async () => {
  await using server = await startServer({ args: ["--max-spectators", "2"] });
  const url = `${server.origin}/api/v1/pipe/crowded?progress`;
  using first = await HubConnection.open(server.origin);
  first.send({ type: "subscribe", data: "pipe:crowded" });
  await first.until((m) => m.type === "pipe_progress");
  const sse = await openSse(url);
  // One hub subscription and one SSE stream: the topic is full for both.
  const refused = await fetch(url);
  assert.equal(refused.status, 429);
  await refused.body?.cancel();
  using second = await HubConnection.open(server.origin);
  second.send({ type: "subscribe", data: "pipe:crowded" });
  assert.deepEqual(await second.next(), {
    type: "error",
    data: "Too many spectators on 'crowded' (at most 2)",
  });
  first.send({ type: "unsubscribe", data: "pipe:crowded" });
  await first.until((m) => m.type === "unsubscribed");
  await second.subscribe("pipe:crowded");
  assert.equal((await second.next()).data.spectators, 2);
  await sse.body?.cancel();
});

Deno.test(`hub: a client that never reads is dropped; the transfer is not slowed (${testRuntime})`, async () => {
  await using server = await startServer({
    args: ["--write-timeout", "1s", "--progress-interval", "20ms"],
  });
  using watcher = await HubConnection.open(server.origin);
  watcher.send({ type: "subscribe", data: "pipe:busy" });
  await watcher.until((m) => m.type === "pipe_progress");
  using stalled = await rawWebSocket(server.origin);
  await stalled.send(JSON.stringify({ type: "subscribe", data: "pipe:busy" }));
  await waitForStats(server.origin, (s) => s.clients === 2 && s.spectators === 2);

  const url = `${server.origin}/api/v1/pipe/busy`;
  const receiver = curl("-o", `${tmp}/busy.out`, url);
  const sender = curl("-T", BIG, url);
  // The stalled client asks for far more than its socket holds and reads none of it.
  const flood: string[] = [];
  for (let i = 0; i < 2000; i++) {
    flood.push(JSON.stringify({ type: "subscribe", data: `pipe:flood-${i % 100}` }));
    flood.push(JSON.stringify({ type: "unsubscribe", data: `pipe:flood-${i % 100}` }));
  }
  const sending = (async () => {
    for (let round = 0; round < 20; round++) await stalled.send(...flood);
  })().catch(() => {});
  const [sent, received] = await Promise.all([sender.result, receiver.result]);
  assert.equal(sent.code, 0, sent.stderr);
  assert.equal(received.code, 0, received.stderr);
  const last = await watcher.until(isFinal);
  assert.equal(last.data.state, "complete");
  await waitForStats(server.origin, (s) => s.clients === 1);
  await sending;
  // The server ended the connection: what it had buffered ends with a close frame (Deno) or
  // the end of the connection (Bun terminates it).
  const { bytes, closeCode } = await stalled.drain();
  assert.ok(bytes > 0);
  assert.ok(closeCode === null || closeCode === 1008, String(closeCode));
  assert.deepEqual(await watcher.roundTrip(), [{ type: "unsubscribed", data: "pipe:busy" }]);
});

Deno.test(`hub: stats and metrics (${testRuntime})`, async () => {
  await using server = await startServer({ args: ["--token", "sesame"] });
  using a = await HubConnection.open(server.origin);
  using b = await HubConnection.open(server.origin, "token=sesame");
  for (const hub of [a, b]) {
    hub.send({ type: "subscribe", data: "pipe:counted" });
    await hub.until((m) => m.type === "pipe_progress");
  }
  b.send({ type: "subscribe", data: "pipe:other" });
  await b.until((m) => m.type === "pipe_progress");
  const sse = await openSse(`${server.origin}/api/v1/pipe/counted?progress`);

  const open = await (await fetch(`${server.origin}/api/v1/stats`)).json();
  assert.deepEqual(open, {
    clients: 2,
    channels: 2,
    pipes: 2,
    jobs: 0,
    processes: 0,
    spectators: 4,
  });
  const withToken = await (await fetch(`${server.origin}/api/v1/stats`, {
    headers: { authorization: "Bearer sesame" },
  })).json();
  assert.deepEqual(withToken.subscribers, { "pipe:counted": 2, "pipe:other": 1 });
  const refused = await fetch(`${server.origin}/api/v1/stats?token=wrong`);
  assert.equal(refused.status, 401);
  assert.deepEqual(await refused.json(), { error: "Invalid token" });
  const badWs = await fetch(`${server.origin}/api/v1/ws?token=wrong`, {
    headers: { upgrade: "websocket" },
  });
  assert.equal(badWs.status, 401);
  await badWs.body?.cancel();

  const metrics = await (await fetch(`${server.origin}/metrics`)).text();
  assert.match(metrics, /^ringside_hub_clients 2$/m);
  assert.match(metrics, /^ringside_hub_subscriptions 3$/m);
  assert.match(metrics, /^ringside_spectators 4$/m);
  await sse.body?.cancel();
  await a.close();
  await waitForStats(server.origin, (s) => s.clients === 1 && s.spectators === 2);
});

Deno.test(`hub: with --private only watch channels are open without a token (${testRuntime})`, async () => {
  await using server = await startServer({ args: ["--private", "--token", "sesame"] });
  using anonymous = await HubConnection.open(server.origin);
  anonymous.send({ type: "subscribe", data: "pipe:secret" });
  const refused = await anonymous.next();
  assert.equal(refused.type, "error");
  assert.match(refused.data, /^A token is needed to watch 'pipe:secret'/);
  anonymous.send({ type: "auth", data: "wrong" });
  assert.deepEqual(await anonymous.next(), { type: "error", data: "Invalid token" });
  anonymous.send({ type: "auth", data: "sesame" });
  await anonymous.subscribe("pipe:secret");

  using withQuery = await HubConnection.open(server.origin, "token=sesame");
  await withQuery.subscribe("pipe:secret");
});

/**
 * The `--hub-idle` the tests use, in ms: Bun's least (8 s; it takes only multiples of 4 s); Deno
 * takes any, and 2 s leaves a client's pong 1 s to arrive on a loaded machine.
 */
const HUB_IDLE_MS = testRuntime === "deno" ? 2_000 : 8_000;
/**
 * Silent clients, one after another, whose lives add up to more than twice `HUB_IDLE_MS`. Deno
 * closes one after exactly `--hub-idle`; Bun checks on a 4 s tick, so after more than
 * `--hub-idle` minus 4 s (4.1 s to 8 s measured for 8s).
 */
const SILENT_CLIENTS = testRuntime === "deno" ? 3 : 4;

/** `promise`, or a rejection naming `what` after `ms`: only so that a broken server cannot hang the suite. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test(`hub: --hub-idle closes a client that answers no ping; one that answers stays (${testRuntime})`, async (t) => {
  await using server = await startServer({ args: ["--hub-idle", `${HUB_IDLE_MS}ms`] });
  const bound = 30 * HUB_IDLE_MS;
  const jobs = `${server.origin}/api/v1/jobs/heartbeat`;
  const started = await fetch(jobs, { method: "POST", body: JSON.stringify({ progress: 0 }) });
  assert.equal(started.status, 201);
  await started.body?.cancel();
  // Deno's WebSocket answers every ping by itself; from here on this client sends nothing.
  using watcher = await HubConnection.open(server.origin);
  await watcher.subscribe("job:heartbeat");
  assert.equal((await watcher.next()).type, "job_progress");

  // Each silent client connects only once the one before is gone: when the last is closed, the
  // watcher has sent nothing but pongs for more than twice --hub-idle.
  for (let i = 1; i <= SILENT_CLIENTS; i++) {
    await t.step(
      `silent client ${i} of ${SILENT_CLIENTS}: pinged, unanswered, closed`,
      async () => {
        using silent = await rawWebSocket(server.origin);
        await within(waitForStats(server.origin, (s) => s.clients === 2), bound, "connected");
        const { closeCode, pings } = await within(silent.drain(), bound, "closed");
        assert.ok(pings >= 1, "pinged before the close");
        // Bun (uWebSockets) drops the connection; Deno sends 1001 and waits for the client's own
        // close frame, but forgets the client at once (stats below).
        assert.equal(closeCode, testRuntime === "deno" ? 1001 : null);
        await within(waitForStats(server.origin, (s) => s.clients === 1), bound, "forgotten");
      },
    );
  }

  await t.step("the client that answers pings is still there and gets messages", async () => {
    assert.equal(watcher.socket.readyState, WebSocket.OPEN);
    assert.deepEqual(watcher.messages.length, 2, JSON.stringify(watcher.messages));
    const published = await fetch(`${jobs}/progress`, {
      method: "POST",
      body: JSON.stringify({ progress: 50, message: "still here" }),
    });
    assert.ok(published.ok, String(published.status));
    await published.body?.cancel();
    const message = await within(
      watcher.until((m) => m.type === "job_progress" && m.data.data.progress === 50),
      bound,
      "progress",
    );
    assert.equal(message.data.data.message, "still here");
    const stats = await (await fetch(`${server.origin}/api/v1/stats`)).json();
    assert.equal(stats.clients, 1);
    assert.equal(stats.spectators, 1);
  });
});

Deno.test(`hub: a --hub-idle the runtime cannot honour is refused at start-up (${testRuntime})`, async () => {
  const refused = testRuntime === "deno"
    ? {
      "0s": "Invalid --hub-idle '0ms': on Deno it must be from 1ms to 24h",
      "25h": "Invalid --hub-idle '25h': on Deno it must be from 1ms to 24h",
    }
    : {
      "10s": "Invalid --hub-idle '10s': on Bun it must be a multiple of 4s from 8s to 960s",
      "4s": "Invalid --hub-idle '4s': on Bun it must be a multiple of 4s from 8s to 960s",
      "1500ms": "Invalid --hub-idle '1500ms': on Bun it must be a multiple of 4s from 8s to 960s",
    };
  for (const [value, message] of Object.entries(refused)) {
    const { code, stdout, stderr } = await ringsideCli({
      args: ["serve", "--host", "127.0.0.1", "--port", "0", "--hub-idle", value],
    }).output();
    assert.equal(code, 2, value);
    assert.equal(new TextDecoder().decode(stdout), "", "never listened");
    const line = new TextDecoder().decode(stderr);
    assert.ok(line.startsWith(`ringside: ${message}`), line);
    assert.equal(line.trim().split("\n").length, 1, line);
  }
});

Deno.test(`hub: a job's progress to its end (${testRuntime})`, async () => {
  await using server = await startServer();
  using hub = await HubConnection.open(server.origin);
  hub.send({ type: "subscribe", data: "job:encode" });
  assert.deepEqual(await hub.next(), { type: "error", data: "Job 'encode' not found" });
  const jobs = `${server.origin}/api/v1/jobs/encode`;
  const started = await fetch(jobs, { method: "POST", body: JSON.stringify({ progress: 0 }) });
  assert.equal(started.status, 201);
  await started.body?.cancel();
  await hub.subscribe("job:encode");
  const first = await hub.next();
  const { kind, state, spectators } = first.data;
  assert.deepEqual([first.type, first.channel, kind, state, spectators], [
    "job_progress",
    "job:encode",
    "job",
    "running",
    1,
  ]);
  for (const progress of [40, 80]) {
    const published = await fetch(`${jobs}/progress`, {
      method: "POST",
      body: JSON.stringify({ progress, message: `at ${progress}` }),
    });
    assert.ok(published.ok, String(published.status));
    await published.body?.cancel();
    const message = await hub.until((m) =>
      m.type === "job_progress" && m.data.data.progress === progress
    );
    assert.equal(message.data.data.message, `at ${progress}`);
  }
  const finished = await fetch(`${jobs}/finish`, {
    method: "POST",
    body: JSON.stringify({ ok: true, url: "https://example.com/out.mp4" }),
  });
  assert.equal(finished.status, 200);
  await finished.body?.cancel();
  const last = await hub.until((m) => m.type === "job_progress" && m.data.state !== "running");
  assert.equal(last.data.state, "success");
  assert.deepEqual(await hub.next(), { type: "unsubscribed", data: "job:encode" });
});

/** `count` lines `line N`, one body. */
function lines(count: number, from = 1): string {
  return Array.from({ length: count }, (_, i) => `line ${from + i}\n`).join("");
}

Deno.test(`hub: a process's output and status (${testRuntime})`, async (t) => {
  await using server = await startServer();
  const process = `${server.origin}/api/v1/processes/build-1`;
  using hub = await HubConnection.open(server.origin);
  hub.send({ type: "subscribe", data: "process:build-1" });
  assert.deepEqual(await hub.next(), { type: "error", data: "Process 'build-1' not found" });

  await t.step("10,000 lines arrive in order with the right processId and channel", async () => {
    const running = await fetch(`${process}/status`, {
      method: "POST",
      body: JSON.stringify({ status: "running" }),
    });
    assert.equal(running.status, 200);
    await running.body?.cancel();
    await hub.subscribe("process:build-1");
    const posted = await fetch(`${process}/output`, { method: "POST", body: lines(10_000) });
    assert.equal(posted.status, 200, await posted.text());
    const received: HubMessage[] = [];
    while (received.length < 10_000) {
      const message = await hub.next();
      if (message.type === "process_output") received.push(message);
    }
    assert.deepEqual(
      received.map((m) => m.data),
      Array.from({ length: 10_000 }, (_, i) => `line ${i + 1}`),
    );
    assert.deepEqual(received.map((m) => m.seq), Array.from({ length: 10_000 }, (_, i) => i + 1));
    assert.ok(received.every((m) => m.processId === "build-1" && m.channel === "process:build-1"));
    assert.ok(received.every((m) => m.stream === "stdout"));
  });

  await t.step("stderr lines are marked; the final status ends the subscription", async () => {
    const posted = await fetch(`${process}/output?stream=stderr`, {
      method: "POST",
      body: "oops\n",
    });
    assert.equal(posted.status, 200);
    await posted.body?.cancel();
    const line = await hub.until((m) => m.type === "process_output");
    assert.deepEqual([line.stream, line.data, line.seq], ["stderr", "oops", 10_001]);
    const exited = await fetch(`${process}/status`, {
      method: "POST",
      body: JSON.stringify({ status: "exited", exitCode: 3 }),
    });
    assert.equal(exited.status, 200);
    await exited.body?.cancel();
    assert.deepEqual(await hub.until((m) => m.type === "process_status"), {
      type: "process_status",
      channel: "process:build-1",
      processId: "build-1",
      data: { status: "exited", exitCode: 3 },
    });
    assert.deepEqual(await hub.next(), { type: "unsubscribed", data: "process:build-1" });
    // A client that unsubscribes once it sees the end (its message crossed ours) is answered
    // as it asked, not with an error.
    hub.send({ type: "unsubscribe", data: "process:build-1" });
    assert.deepEqual(await hub.next(), { type: "unsubscribed", data: "process:build-1" });
  });

  await t.step("a latecomer gets the ring and the status at once", async () => {
    using late = await HubConnection.open(server.origin);
    await late.subscribe("process:build-1");
    const history = [];
    for (let m = await late.next(); m.type !== "unsubscribed"; m = await late.next()) {
      history.push(m);
    }
    const output = history.filter((m) => m.type === "process_output");
    assert.equal(output.length, 1000);
    assert.equal(output.at(-1)!.seq, 10_001);
    assert.equal(output[0]!.seq, 9_002);
    assert.deepEqual(history.at(-1)!.data, { status: "exited", exitCode: 3 });
  });
});

Deno.test(`hub: a reader that never reads is dropped; a process publisher is not slowed (${testRuntime})`, async () => {
  await using server = await startServer({ args: ["--write-timeout", "1s"] });
  const process = `${server.origin}/api/v1/processes/flood`;
  const running = await fetch(`${process}/status`, {
    method: "POST",
    body: JSON.stringify({ status: "running" }),
  });
  await running.body?.cancel();
  using stalled = await rawWebSocket(server.origin);
  await stalled.send(JSON.stringify({ type: "subscribe", data: "process:flood" }));
  await waitForStats(server.origin, (s) => s.clients === 1 && s.spectators === 1);
  // Far more than the socket buffers, the 1 MiB high-water mark and the 8 MiB queue hold.
  const count = 200_000;
  const body = Array.from({ length: count }, (_, i) => `${"x".repeat(40)} ${i + 1}\n`).join("");
  const posted = await fetch(`${process}/output`, { method: "POST", body });
  assert.equal(posted.status, 200, await posted.text());
  await waitForStats(server.origin, (s) => s.clients === 0 && s.spectators === 0);
  const { bytes, closeCode } = await stalled.drain();
  assert.ok(bytes > 0);
  assert.ok(closeCode === null || closeCode === 1008, String(closeCode));
  // The topic went on: a new subscriber gets the ring up to the last line.
  using late = await HubConnection.open(server.origin);
  late.send({ type: "subscribe", data: "process:flood" });
  const status = await late.until((m) => m.type === "process_status");
  const ring = late.messages.filter((m) => m.type === "process_output");
  assert.equal(ring.length, 1000);
  assert.equal(ring.at(-1)!.seq, count);
  assert.equal(status.data.status, "running");
});

Deno.test(`hub: a channel another node owns is served through Redis (${testRuntime})`, async () => {
  await using redis = await startRedis();
  const cluster = ["--redis", redis.url, "--progress-interval", "20ms"];
  await using owner = await startServer({ args: [...cluster, "--node", "a"] });
  await using other = await startServer({ args: [...cluster, "--node", "b"] });
  const url = `${owner.origin}/api/v1/pipe/far`;
  const receiver = curl("-o", `${tmp}/far.out`, url);
  await waitForPipe(owner.origin, "far", (s) => s.receivers === 1);
  using hub = await HubConnection.open(other.origin);
  // The owner shares its run a moment after it starts: until then, node b has an idle pipe.
  let first: HubMessage;
  for (;;) {
    await hub.subscribe("pipe:far");
    first = await hub.next();
    if (first.data.state === "waiting") break;
    hub.send({ type: "unsubscribe", data: "pipe:far" });
    await hub.until((m) => m.type === "unsubscribed");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.equal(first.data.receivers, 1);
  const sender = curl("-T", BIG, url);
  const last = await hub.until(isFinal);
  assert.equal(last.data.state, "complete");
  assert.equal(last.data.bytes, 32 * 1024 * 1024);
  assert.deepEqual(await hub.next(), { type: "unsubscribed", data: "pipe:far" });
  assert.equal((await sender.result).code, 0);
  assert.equal((await receiver.result).code, 0);
});

Deno.test(`hub: 10,000 lines through ringside run reach a subscriber (${testRuntime})`, async () => {
  await using server = await startServer();
  const flag = `${tmp}/go-${crypto.randomUUID()}`;
  // The command waits for the subscriber before printing, so that it sees every line live.
  const child = runGated(server.origin, "run-1", { gate: flag, lines: 10_000 });
  const stdout = new Response(child.stdout).text();
  const stderr = new Response(child.stderr).text();
  using hub = await HubConnection.open(server.origin);
  for (;;) {
    hub.send({ type: "subscribe", data: "process:run-1" });
    const answer = await hub.next();
    if (answer.type === "subscribed") break;
    assert.equal(answer.data, "Process 'run-1' not found");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await Deno.writeTextFile(flag, "");
  const lines: HubMessage[] = [];
  let status: HubMessage | undefined;
  while (!status) {
    const message = await hub.next();
    if (message.type === "process_output") lines.push(message);
    if (message.type === "process_status" && message.data.status !== "running") status = message;
  }
  assert.deepEqual(
    lines.map((m) => m.data),
    Array.from({ length: 10_000 }, (_, i) => String(i + 1)),
  );
  assert.ok(lines.every((m) => m.channel === "process:run-1" && m.processId === "run-1"));
  assert.deepEqual(status.data, { status: "exited", exitCode: 0 });
  assert.equal((await child.status).code, 0, await stderr);
  assert.equal((await stdout).split("\n").length, 10_001);
});

Deno.test(`hub: a watch channel needs no token and never shows the name (${testRuntime})`, async () => {
  const secret = "hub-watch-secret";
  await using server = await startServer({
    args: ["--private", "--token", "sesame", "--secret", secret],
  });
  const name = "hidden-name-7f3";
  const started = await fetch(`${server.origin}/api/v1/jobs/${name}`, {
    method: "POST",
    headers: { authorization: "Bearer sesame" },
    body: JSON.stringify({ progress: 5 }),
  });
  assert.equal(started.status, 201);
  await started.body?.cancel();
  const id = await expectedWatchId(secret, "job", name);
  using hub = await HubConnection.open(server.origin);
  hub.send({ type: "subscribe", data: `job:${name}` });
  assert.match((await hub.next()).data, /^A token is needed/);
  await hub.subscribe(`watch:${id}`);
  const first = await hub.next();
  assert.equal(first.type, "job_progress");
  assert.equal(first.channel, `watch:${id}`);
  assert.equal(first.data.id, id);
  assert.equal(first.data.data.progress, 5);
  // Only the refused subscribe (which named it) says the name.
  assert.ok(!JSON.stringify(hub.messages.slice(1)).includes(name));
});

Deno.test(`hub: a JWT that expires in 30 days keeps its connection open (${testRuntime})`, async () => {
  const jwtSecret = "hub-jwt-secret-31d";
  await using server = await startServer({ args: ["--private", "--jwt-secret", jwtSecret] });
  // Past 2^31 ms (24.8 days) a runtime's timer fires at once: the expiry must not close it.
  const exp = Math.floor(Date.now() / 1000) + 30 * 24 * 3600;
  const token = await sign({ sub: "dashboard", exp }, jwtSecret);
  using withQuery = await HubConnection.open(server.origin, `token=${token}`);
  using withAuth = await HubConnection.open(server.origin);
  withAuth.send({ type: "auth", data: token });
  for (const hub of [withQuery, withAuth]) {
    await hub.subscribe("pipe:long-lived");
    assert.equal((await hub.next()).type, "pipe_progress");
    await hub.roundTrip();
  }
});

Deno.test(`hub: a watch channel refused for too many spectators does not say the name (${testRuntime})`, async () => {
  const secret = "hub-watch-limit-secret";
  await using server = await startServer({ args: ["--secret", secret, "--max-spectators", "1"] });
  const name = "hidden-limit-4c1";
  const started = await fetch(`${server.origin}/api/v1/jobs/${name}`, { method: "POST" });
  assert.equal(started.status, 201);
  await started.body?.cancel();
  const id = await expectedWatchId(secret, "job", name);
  using first = await HubConnection.open(server.origin);
  await first.subscribe(`watch:${id}`);
  using second = await HubConnection.open(server.origin);
  second.send({ type: "subscribe", data: `watch:${id}` });
  const refused = await second.next();
  assert.equal(refused.type, "error");
  assert.match(refused.data, /^Too many spectators/);
  assert.ok(!refused.data.includes(name), refused.data);
  assert.ok(refused.data.includes(id), refused.data);
});

Deno.test(`hub: a pipe watched and left on a node with Redis stops being shared (${testRuntime})`, async () => {
  await using redis = await startRedis();
  await using server = await startServer({
    args: ["--redis", redis.url, "--node", "a", "--retention", "1s"],
  });
  const exists = async (key: string) => {
    const out = await new Deno.Command("redis-cli", {
      args: ["-p", String(redis.port), "EXISTS", key],
      stdout: "piped",
    }).output();
    return new TextDecoder().decode(out.stdout).trim() === "1";
  };
  using hub = await HubConnection.open(server.origin);
  await hub.subscribe("pipe:left-idle");
  for (let tries = 0; !(await exists("ringside:pipe:left-idle")); tries++) {
    assert.ok(tries < 400, "the idle pipe was never shared");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  hub.send({ type: "unsubscribe", data: "pipe:left-idle" });
  await hub.until((message) => message.type === "unsubscribed");
  await waitForStats(server.origin, (stats) => stats.pipes === 0);
  // The node forgot the pipe: its record must go too, not be kept alive for ever (a record
  // refreshed every second, with a 2 s expiry, would outlive every one of these looks).
  for (let tries = 0; await exists("ringside:pipe:left-idle"); tries++) {
    assert.ok(tries < 100, "the forgotten pipe's record is still kept alive in Redis");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
});

Deno.test(`hub: a client gone while Redis is asked leaves no idle pipe behind (${testRuntime})`, async () => {
  await using redis = await startRedis();
  await using server = await startServer({ args: ["--redis", redis.url, "--node", "a"] });
  const channels = async () => {
    const out = await new Deno.Command("redis-cli", {
      args: ["-p", String(redis.port), "PUBSUB", "CHANNELS", "ringside:pipe:*"],
      stdout: "piped",
    }).output();
    return new TextDecoder().decode(out.stdout).trim();
  };
  const hub = await HubConnection.open(server.origin);
  redis.pause();
  try {
    // The pipe is not here: the node asks Redis whether another node has it, and waits.
    hub.send({ type: "subscribe", data: "pipe:asked-then-left" });
    await hub.close();
    await waitForStats(server.origin, (stats) => stats.clients === 0);
  } finally {
    redis.resume();
  }
  // Redis answers "no node has it" (the node then unsubscribes); the client is long gone.
  for (let tries = 0; (await channels()) !== ""; tries++) {
    assert.ok(tries < 400, "the node never stopped asking Redis");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const stats = await waitForStats(server.origin, () => true);
  assert.equal(stats.pipes, 0, "an idle pipe made for a client that left stays for ever");
  assert.equal(stats.spectators, 0);
});

Deno.test(`hub: a JWT's exp closes the connection with 1008 Token expired (${testRuntime})`, async () => {
  const jwtSecret = "hub-jwt-secret-exp";
  await using server = await startServer({
    args: ["--private", "--jwt-secret", jwtSecret, "--token", "stats-reader"],
  });
  // Seconds of margin so that a slow machine still connects and subscribes before it expires.
  const token = await sign({ exp: Math.floor(Date.now() / 1000) + 6 }, jwtSecret);
  using hub = await HubConnection.open(server.origin, `token=${token}`);
  await hub.subscribe("pipe:until-exp");
  // A client that reads can take a close frame: it is told why, not cut off.
  const closed = await hub.closed;
  assert.equal(closed.code, 1008);
  assert.equal(closed.reason, "Token expired");
  await waitForStats(
    server.origin,
    (stats) => stats.clients === 0 && stats.spectators === 0,
    { authorization: "Bearer stats-reader" },
  );
});

Deno.test(`hub: a job whose data says "kind":"job" still gets the job's snapshot (${testRuntime})`, async () => {
  await using server = await startServer();
  const jobs = `${server.origin}/api/v1/jobs/kind-field`;
  // A publisher's own object may carry any field, `kind` included.
  const first = { kind: "job", progress: 10 };
  const started = await fetch(jobs, { method: "POST", body: JSON.stringify(first) });
  assert.equal(started.status, 201);
  await started.body?.cancel();
  using hub = await HubConnection.open(server.origin);
  await hub.subscribe("job:kind-field");
  const greeting = await hub.next();
  assert.equal(greeting.data.id, "kind-field");
  assert.equal(greeting.data.state, "running");
  assert.equal(greeting.data.data.progress, 10);
  const published = await fetch(`${jobs}/progress`, {
    method: "POST",
    body: JSON.stringify({ kind: "job", progress: 60 }),
  });
  await published.body?.cancel();
  const live = await hub.next();
  assert.equal(live.data.state, "running");
  assert.equal(live.data.data.progress, 60);
  const finished = await fetch(`${jobs}/finish`, {
    method: "POST",
    body: JSON.stringify({ ok: true, kind: "job" }),
  });
  await finished.body?.cancel();
  const last = await hub.next();
  assert.equal(last.data.state, "success");
  assert.equal(last.data.id, "kind-field");
  assert.deepEqual(await hub.next(), { type: "unsubscribed", data: "job:kind-field" });
});

Deno.test(`hub: anonymous subscriptions to pipes nobody sends on never starve publishers (${testRuntime})`, async () => {
  await using server = await startServer({
    args: ["--max-topics", "3", "--max-waiting-topics", "5"],
  });
  using hub = await HubConnection.open(server.origin);
  for (let i = 0; i < 6; i++) hub.send({ type: "subscribe", data: `pipe:nobody-${i}` });
  const answers = await hub.roundTrip();
  assert.equal(answers.filter((m) => m.type === "subscribed").length, 5);
  assert.deepEqual(answers.filter((m) => m.type === "error"), [
    { type: "error", data: "Too many topics waiting for a publisher on this server (5)" },
  ]);
  // An SSE spectator of a pipe that does not exist is refused the same way, in one line…
  const refused = await fetch(`${server.origin}/api/v1/pipe/nobody-else?progress`, {
    headers: { accept: "text/event-stream" },
  });
  assert.equal(refused.status, 503);
  assert.deepEqual(await refused.json(), {
    error: "Too many topics waiting for a publisher on this server (5)",
  });
  // …while a job starts and a pipe relays, in the room kept for publishers.
  const job = await fetch(`${server.origin}/api/v1/jobs/still-room`, { method: "POST" });
  assert.equal(job.status, 201);
  await job.body?.cancel();
  const url = `${server.origin}/api/v1/pipe/real`;
  const receiving = fetch(url);
  const sent = await fetch(url, { method: "PUT", body: "bytes for a real receiver" });
  assert.equal(sent.status, 200);
  await sent.text();
  assert.equal(await (await receiving).text(), "bytes for a real receiver");
  // A sender on a pipe the hub waits on takes it into the publishers' room: the subscriber
  // sees the transfer, and one waiting slot is free again.
  const watched = `${server.origin}/api/v1/pipe/nobody-0`;
  const receiver = fetch(watched);
  const sender = await fetch(watched, { method: "PUT", body: "at last" });
  await sender.text();
  assert.equal(await (await receiver).text(), "at last");
  const end = await hub.until((m) => m.channel === "pipe:nobody-0" && isFinal(m));
  assert.equal(end.data.state, "complete");
  hub.send({ type: "subscribe", data: "pipe:nobody-6" });
  assert.deepEqual(await hub.until((m) => m.data === "pipe:nobody-6" || m.type === "error"), {
    type: "subscribed",
    data: "pipe:nobody-6",
  });
  await hub.close();
  await waitForStats(server.origin, (s) => s.spectators === 0 && s.pipes === 2);
});

Deno.test(`hub: subscribers are told when the audience changes, on every kind (${testRuntime})`, async () => {
  await using server = await startServer();
  const api = `${server.origin}/api/v1`;
  const started = await fetch(`${api}/jobs/told`, { method: "POST", body: '{"progress":1}' });
  assert.equal(started.status, 201);
  await started.body?.cancel();
  const process = await fetch(`${api}/processes/told/status`, {
    method: "POST",
    body: '{"status":"running"}',
  });
  assert.equal(process.status, 200);
  await process.body?.cancel();
  using hub = await HubConnection.open(server.origin);
  const channels = ["pipe:told", "job:told", "process:told"];
  for (const channel of channels) hub.send({ type: "subscribe", data: channel });
  await hub.roundTrip();
  // A second spectator of each, over SSE; no publish, no output, no transfer.
  const watchers = await Promise.all([
    openSse(`${api}/pipe/told?progress`),
    openSse(`${api}/jobs/told`),
    openSse(`${api}/processes/told`),
  ]);
  // Each channel's news, in whatever order the three topics' timers fire.
  const told = new Map<string, HubMessage>();
  while (told.size < 3) {
    const message = await hub.next();
    if (message.data?.spectators === 2) told.set(message.channel, message);
  }
  const pipe = told.get("pipe:told")!;
  assert.equal(pipe.type, "pipe_progress");
  assert.equal(pipe.data.state, "idle");
  const job = told.get("job:told")!;
  assert.equal(job.type, "job_progress");
  assert.deepEqual(job.data.data, { progress: 1 });
  assert.deepEqual(told.get("process:told"), {
    type: "process_spectators",
    channel: "process:told",
    processId: "told",
    data: { spectators: 2 },
  });
  for (const watcher of watchers) await watcher.body?.cancel();
});
