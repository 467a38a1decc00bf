// End-to-end for jobs: a real server (bun, deno or the binary: RINGSIDE_TEST_RUNTIME) on
// 127.0.0.1:0; publishers and spectators over real sockets (fetch, curl, a raw TCP reader).
import assert from "node:assert/strict";
import { curl } from "./_curl.ts";
import { startServer, testRuntime, type TestServer } from "./_server.ts";
import { openSse, readSse, type SseEvent, type SseRecord } from "./_sse.ts";

type Json = Record<string, unknown>;

/** POSTs `body` (a string as is, anything else as JSON) and returns the status and JSON. */
async function post(
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Json | null; text: string }> {
  const res = await fetch(url, {
    method: "POST",
    headers,
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: Json | null = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON (204 has no body)
  }
  return { status: res.status, json, text };
}

async function snapshot(url: string): Promise<Json> {
  const res = await fetch(url, { headers: { accept: "application/json" } });
  assert.equal(res.status, 200);
  return await res.json();
}

/** Follows a job's SSE stream, keeping every event, so a test can wait for the next one. */
class Follower {
  readonly events: SseEvent[] = [];
  /** Resolves when the server closes the stream. */
  readonly closed: Promise<SseRecord>;
  #waiters: (() => void)[] = [];

  constructor(response: Response) {
    this.closed = readSse(response.body!, (event) => {
      this.events.push(event);
      for (const wake of this.#waiters.splice(0)) wake();
    }).finally(() => {
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  static async open(url: string): Promise<Follower> {
    return new Follower(await openSse(url, AbortSignal.timeout(60_000)));
  }

  /** Waits until `count` events have arrived; rejects if the stream closes first. */
  async until(count: number): Promise<SseEvent[]> {
    let open = true;
    this.closed.then(() => open = false, () => open = false);
    while (this.events.length < count) {
      if (!open) throw new Error(`Stream closed after ${JSON.stringify(this.events)}`);
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    return this.events;
  }

  /** Waits for an event that satisfies `predicate`. */
  async waitFor(predicate: (event: SseEvent, data: Json) => boolean): Promise<SseEvent> {
    for (let i = 0;; i++) {
      await this.until(i + 1);
      const event = this.events[i]!;
      if (predicate(event, JSON.parse(event.data))) return event;
    }
  }
}

function jobs(server: TestServer): string {
  return `${server.origin}/api/v1/jobs`;
}

Deno.test(`jobs: start, publish, finish, spectate (${testRuntime})`, async (t) => {
  await using server = await startServer();
  const base = jobs(server);

  await t.step("32 concurrent starts of one id: exactly one 201, the rest join", async () => {
    const answers = await Promise.all(
      Array.from({ length: 32 }, (_, i) => post(`${base}/race`, { starter: i })),
    );
    const created = answers.filter((a) => a.status === 201);
    assert.equal(created.length, 1);
    assert.equal(answers.filter((a) => a.status === 200).length, 31);
    assert.equal(created[0]!.json!.joined, false);
    for (const a of answers) {
      if (a.status === 200) assert.equal(a.json!.joined, true);
      assert.equal(a.json!.id, "race");
      assert.equal(a.json!.url, `${base}/race`);
      assert.match(String(a.json!.watch), /^http:\/\/127\.0\.0\.1:\d+\/w\/[\w-]{22}$/);
    }
    // The creator's body is the first snapshot; the joiners' bodies change nothing.
    const data = (await snapshot(`${base}/race`)).data as Json;
    assert.equal(data.starter, answers.findIndex((a) => a.status === 201));
    const metrics = await (await fetch(`${server.origin}/metrics`)).text();
    assert.match(metrics, /^ringside_jobs_started_total 1$/m);
    await post(`${base}/race/finish`, { ok: true });
  });

  await t.step("a latecomer gets the latest snapshot only, then live, then complete", async () => {
    const url = `${base}/ci/build/7`;
    assert.equal((await post(url, { progress: 0 })).status, 201);
    const early = await Follower.open(url);
    for (let n = 1; n <= 5; n++) {
      assert.equal((await post(`${url}/progress`, { progress: n * 10, n })).status, 204);
    }
    await early.waitFor((_, data) => data.n === 5);
    const late = await Follower.open(url);
    const [first] = await late.until(1);
    assert.equal(first!.type, "progress");
    const data = JSON.parse(first!.data);
    assert.equal(data.n, 5);
    assert.equal(data.progress, 50);
    assert.equal(data.task_id, "ci/build/7");
    assert.ok(!Number.isNaN(Date.parse(data.updated_at)));
    assert.equal((await post(`${url}/progress`, { progress: 60, n: 6 })).status, 204);
    await late.waitFor((_, d) => d.n === 6);
    const finish = await post(`${url}/finish`, { ok: true, artifact: "build-7.tar" });
    assert.equal(finish.status, 200);
    assert.equal(finish.json!.state, "success");
    await late.closed;
    // (Besides `spectators`: the audience changed when `late` came.)
    const told = late.events.filter((e) => e.type !== "spectators");
    assert.deepEqual(told.map((e) => e.type), ["progress", "progress", "complete"]);
    assert.deepEqual(JSON.parse(told[2]!.data), {
      state: "success",
      ok: true,
      artifact: "build-7.tar",
    });
    await early.closed;
    assert.equal(early.events.at(-1)!.type, "complete");
    const final = await snapshot(url);
    assert.equal(final.state, "success");
    assert.deepEqual(final.data, { progress: 60, n: 6 });
    assert.deepEqual(final.result, { ok: true, artifact: "build-7.tar" });
  });

  await t.step(
    "start after finish: a fresh run whose spectators never see the old end",
    async () => {
      const url = `${base}/nightly`;
      await post(url, { run: 1 });
      await post(`${url}/finish`, { ok: false, error: "first run failed" });
      const again = await post(url, { run: 2 });
      assert.equal(again.status, 201);
      assert.equal(again.json!.joined, false);
      const watcher = await Follower.open(url);
      const [greeting] = await watcher.until(1);
      assert.equal(greeting!.type, "progress");
      assert.equal(JSON.parse(greeting!.data).run, 2);
      const fresh = await snapshot(url);
      assert.equal(fresh.state, "running");
      assert.equal(fresh.error, null);
      await post(`${url}/progress`, { run: 2, progress: 100 });
      await post(`${url}/finish`, { ok: true });
      await watcher.closed;
      assert.deepEqual(
        watcher.events.map((e) => e.type).filter((t) => t !== "progress" && t !== "spectators"),
        ["complete"],
      );
    },
  );

  await t.step("join after finish gets the retained run and its end", async () => {
    const url = `${base}/retained`;
    await post(url);
    await post(`${url}/finish`, { ok: false, error: "disk full" });
    const joined = await post(`${url}?join`, { ignored: true });
    assert.equal(joined.status, 200);
    assert.equal(joined.json!.joined, true);
    const watcher = await Follower.open(url);
    await watcher.closed;
    assert.deepEqual(
      watcher.events.map(({ type, data }) => ({ type, data })),
      [{ type: "error", data: '{"error":"disk full"}' }],
    );
    const retained = await snapshot(url);
    assert.equal(retained.state, "failed");
    assert.equal(retained.error, "disk full");
    // start-or-join on an unknown id creates it
    assert.equal((await post(`${base}/joined-new?join`)).status, 201);
    await post(`${base}/joined-new/finish`, { ok: true });
  });

  await t.step("finish is idempotent: the first wins, later ones answer it", async () => {
    const url = `${base}/once`;
    await post(url);
    const first = await post(`${url}/finish`, { ok: true, size: 1 });
    assert.equal(first.status, 200);
    const second = await post(`${url}/finish`, { ok: false, error: "too late" });
    assert.equal(second.status, 200);
    for (const answer of [first, second]) {
      assert.equal(answer.json!.state, "success");
      assert.deepEqual(answer.json!.result, { ok: true, size: 1 });
      assert.equal(answer.json!.error, null);
    }
  });

  await t.step("publish after the end: 409 and nothing changes", async () => {
    const url = `${base}/ended`;
    await post(url, { progress: 1 });
    await post(`${url}/finish`, { ok: true });
    const late = await post(`${url}/progress`, { progress: 2 });
    assert.equal(late.status, 409);
    assert.equal(late.text.trim().split("\n").length, 1);
    assert.match(String(late.json!.error), /has ended/);
    assert.deepEqual((await snapshot(url)).data, { progress: 1 });
  });

  await t.step("unknown id: 404 Task not found for spectate, publish and finish", async () => {
    for (
      const answer of [
        await fetch(`${base}/nobody`),
        await fetch(`${base}/nobody`, { headers: { accept: "text/html" } }),
        await fetch(`${base}/nobody/progress`, { method: "POST", body: "{}" }),
        await fetch(`${base}/nobody/finish`, { method: "POST", body: '{"ok":true}' }),
      ]
    ) {
      assert.equal(answer.status, 404);
      assert.equal(await answer.text(), '{"error":"Task not found"}');
    }
  });

  await t.step("malformed bodies and ids: 400, one line, nothing changes", async () => {
    const url = `${base}/strict`;
    await post(url, { progress: 1 });
    const bad: [string, unknown][] = [
      [`${url}/progress`, "not json"],
      [`${url}/progress`, "[1,2]"],
      [`${url}/progress`, "42"],
      [`${url}/progress`, "null"],
      [`${url}/progress`, ""],
      [`${url}/finish`, '{"ok":"yes"}'],
      [`${url}/finish`, '{"ok":false,"error":7}'],
      [`${url}/finish`, "{"],
      [`${base}/strict-new?join`, "not json"],
      [`${base}/strict-new`, '"a string"'],
      [`${base}/a%20b`, "{}"],
      [`${base}/a//b`, "{}"],
      [`${base}/progress`, "{}"],
    ];
    for (const [target, body] of bad) {
      const answer = await post(target, body as string);
      assert.equal(answer.status, 400, `${target} ${body}: ${answer.text}`);
      assert.equal(answer.text.trim().split("\n").length, 1);
      assert.equal(typeof answer.json!.error, "string");
    }
    const invalidUtf8 = await fetch(`${url}/progress`, {
      method: "POST",
      body: new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]),
    });
    assert.equal(invalidUtf8.status, 400);
    await invalidUtf8.body?.cancel();
    const after = await snapshot(url);
    assert.equal(after.state, "running");
    assert.deepEqual(after.data, { progress: 1 });
    assert.equal((await fetch(`${base}/strict-new`)).status, 404);
    await post(`${url}/finish`, { ok: true });
  });

  await t.step("an empty start body is no first snapshot, whatever its Content-Type", async () => {
    const answer = await post(`${base}/empty`, "", { "content-type": "application/json" });
    assert.equal(answer.status, 201);
    assert.deepEqual((await snapshot(`${base}/empty`)).data, {});
    await post(`${base}/empty/finish`);
    assert.equal((await snapshot(`${base}/empty`)).state, "success");
  });

  await t.step("curl -d works (a form Content-Type is read as JSON)", async () => {
    const start = await curl("-d", '{"progress":3}', `${base}/curl-job`).result;
    assert.equal(start.code, 0, start.stderr);
    assert.equal(JSON.parse(start.stdout).joined, false);
    const publish = await curl(
      "-w",
      "%{http_code}",
      "-d",
      '{"progress":70,"message":"chunk 7/10"}',
      `${base}/curl-job/progress`,
    ).result;
    assert.equal(publish.stdout, "204");
    const finish = await curl("-d", '{"ok":true}', `${base}/curl-job/finish`).result;
    assert.equal(JSON.parse(finish.stdout).state, "success");
  });

  await t.step("other methods: 405 with Allow", async () => {
    const answer = await fetch(`${base}/strict`, { method: "DELETE" });
    assert.equal(answer.status, 405);
    assert.equal(answer.headers.get("allow"), "GET, HEAD, POST, OPTIONS");
    await answer.body?.cancel();
  });
});

Deno.test(`jobs: oversize bodies are 413 (${testRuntime})`, async () => {
  await using server = await startServer({ args: ["--max-event-bytes", "1000"] });
  const base = jobs(server);
  const payload = (bytes: number) => JSON.stringify({ pad: "x".repeat(bytes - 10) });
  assert.equal(payload(1000).length, 1000);
  assert.equal((await post(`${base}/big`, payload(1000))).status, 201);
  assert.equal((await post(`${base}/big/progress`, payload(1000))).status, 204);
  const withLength = await post(`${base}/big/progress`, payload(5000));
  assert.equal(withLength.status, 413);
  assert.match(String(withLength.json!.error), /over the limit of 1000 bytes/);
  // Chunked (no Content-Length): refused once the bytes read pass the limit.
  const chunked = await fetch(`${base}/big/progress`, {
    method: "POST",
    body: ReadableStream.from([new TextEncoder().encode(payload(1001))]),
  });
  assert.equal(chunked.status, 413);
  await chunked.body?.cancel();
  assert.equal((await post(`${base}/other`, payload(2000))).status, 413);
  assert.equal((await fetch(`${base}/other`)).status, 404, "a refused start creates nothing");
  assert.equal(((await snapshot(`${base}/big`)).data as Json).pad, "x".repeat(990));
  await post(`${base}/big/finish`, { ok: true });
});

Deno.test(`jobs: JSON nested past 64 levels is 400; 64 levels renders a bounded page (${testRuntime})`, async () => {
  await using server = await startServer();
  const base = jobs(server);
  // The pen test's body: 60 KB, under --max-event-bytes, 30,001 levels deep. Before the limit,
  // opening its page cost Bun ~20 s of CPU and ~2 GB, and Deno answered 500.
  const deep = `{"a":${"[".repeat(30_000)}${"]".repeat(30_000)}}`;
  const refusedStart = await post(`${base}/deep`, deep);
  assert.equal(refusedStart.status, 400);
  assert.equal(refusedStart.json!.error, "Body nests objects and arrays deeper than 64 levels");
  assert.equal((await fetch(`${base}/deep`)).status, 404, "a refused start creates nothing");
  assert.equal((await post(`${base}/deep`, { progress: 1 })).status, 201);
  const refused = await post(`${base}/deep/progress`, deep);
  assert.equal(refused.status, 400);
  assert.match(String(refused.json!.error), /deeper than 64 levels/);
  const refusedFinish = await post(`${base}/deep/finish`, `{"ok":true,"r":${deep}}`);
  assert.equal(refusedFinish.status, 400);
  assert.equal((await fetch(`${server.origin}/healthz`)).status, 200);
  assert.equal((await snapshot(`${base}/deep`)).state, "running", "the job is untouched");

  const emptyPage = await (await fetch(`${base}/deep`, { headers: { accept: "text/html" } }))
    .text();
  // At the limit: the body's object and 63 arrays, with a marker at the bottom and a wide
  // level there (indented JSON of it would be ~130 characters a line).
  const bottom = `"bottom-marker",${Array(2000).fill(7).join(",")}`;
  const limit = `{"progress":3,"a":${"[".repeat(63)}${bottom}${"]".repeat(63)}}`;
  const watcher = await Follower.open(`${base}/deep`);
  assert.equal((await post(`${base}/deep/progress`, limit)).status, 204);
  await watcher.waitFor((event) => event.data.includes("bottom-marker"));
  const res = await fetch(`${base}/deep`, { headers: { accept: "text/html" } });
  assert.equal(res.status, 200);
  const page = await res.text();
  assert.ok(page.includes("bottom-marker"), "the page carries the value for the browser");
  assert.ok(
    page.length - emptyPage.length < 2 * limit.length,
    `the page grew by ${page.length - emptyPage.length} for a body of ${limit.length}`,
  );
  assert.equal(JSON.stringify((await snapshot(`${base}/deep`)).data), limit);
  assert.equal((await post(`${base}/deep/finish`, { ok: true })).status, 200);
  await watcher.closed;
});

Deno.test(`jobs: a stream that outlives --stream-timeout gets timeout (${testRuntime})`, async () => {
  await using server = await startServer({ args: ["--stream-timeout", "500ms"] });
  const url = `${jobs(server)}/long`;
  await post(url, { progress: 1 });
  const watcher = await Follower.open(url);
  await watcher.closed;
  // (The greeting's `spectators` comes too unless the farewell came first: it is latest-wins.)
  const events = watcher.events.filter((e) => e.type !== "spectators");
  assert.deepEqual(events.map((e) => e.type), ["progress", "timeout"]);
  assert.deepEqual(JSON.parse(events[1]!.data), { message: "Stream timeout" });
  assert.equal((await snapshot(url)).state, "running", "the job goes on");
  await post(`${url}/finish`, { ok: true });
});

Deno.test(`jobs: a job with no publish for --job-idle fails (${testRuntime})`, async () => {
  await using server = await startServer({ args: ["--job-idle", "400ms"] });
  const url = `${jobs(server)}/crashed`;
  await post(url, { progress: 10 });
  const watcher = await Follower.open(url);
  await watcher.closed;
  const last = watcher.events.at(-1)!;
  assert.deepEqual({ type: last.type, data: last.data }, {
    type: "error",
    data: '{"error":"No update for 400ms"}',
  });
  const failed = await snapshot(url);
  assert.equal(failed.state, "failed");
  assert.equal(failed.error, "No update for 400ms");
  assert.equal((await post(`${url}/progress`, { progress: 11 })).status, 409);
  const metrics = await (await fetch(`${server.origin}/metrics`)).text();
  assert.match(metrics, /^ringside_jobs_failed_total 1$/m);
});

/** Opens a job's SSE stream on a raw TCP socket and does not read it until asked. */
async function rawSpectator(origin: string, path: string) {
  const { hostname, port } = new URL(origin);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  await conn.write(
    new TextEncoder().encode(
      `GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n`,
    ),
  );
  let text = "";
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(64 * 1024);
  return {
    /** Reads until what came so far matches `pattern`; returns all of it. */
    async readUntil(pattern: RegExp): Promise<string> {
      while (!pattern.test(text)) {
        const n = await conn.read(buffer);
        if (n === null) throw new Error(`Closed before ${pattern}:\n${text.slice(-500)}`);
        text += decoder.decode(buffer.subarray(0, n), { stream: true });
      }
      return text;
    },
    close: () => conn.close(),
  };
}

Deno.test(`jobs: --progress-interval 0 delivers every publish (${testRuntime})`, async () => {
  // 0 used to be dropped as falsy and meant the default 250 ms: 100 quick publishes reached a
  // spectator as one or two events.
  await using server = await startServer({ args: ["--progress-interval", "0"] });
  const url = `${jobs(server)}/every`;
  await post(url);
  const follower = await Follower.open(url);
  await follower.until(1); // the greeting
  const publishes = 100;
  for (let n = 1; n <= publishes; n++) {
    const res = await fetch(`${url}/progress`, { method: "POST", body: JSON.stringify({ n }) });
    assert.equal(res.status, 204);
    await res.body?.cancel();
  }
  await post(`${url}/finish`, { ok: true });
  await follower.closed;
  const seen = follower.events.filter((e) => e.type === "progress").slice(1)
    .map((e) => JSON.parse(e.data).n as number);
  assert.deepEqual(seen, Array.from({ length: publishes }, (_, i) => i + 1));
  assert.equal(follower.events.at(-1)?.type, "complete");
});

Deno.test(`jobs: a spectator that takes nothing for --write-timeout is cut off (${testRuntime})`, async () => {
  await using server = await startServer({
    args: ["--progress-interval", "1ms", "--write-timeout", "1s"],
  });
  const url = `${jobs(server)}/deaf`;
  await post(url, { n: 0 });
  const stalled = await rawSpectator(server.origin, "/api/v1/jobs/deaf");
  while ((await snapshot(url)).spectators !== 1) await new Promise((r) => setTimeout(r, 20));
  // Publish until the socket's buffers are full and a snapshot waits for more than a second:
  // then the server drops the spectator (and gives its place back).
  const pad = "p".repeat(16_384);
  for (let n = 1; n <= 20_000 && (await snapshot(url)).spectators === 1; n++) {
    const res = await fetch(`${url}/progress`, {
      method: "POST",
      body: JSON.stringify({ n, pad }),
    });
    assert.equal(res.status, 204);
    await res.body?.cancel();
  }
  assert.equal((await snapshot(url)).spectators, 0, "the stalled spectator was dropped");
  stalled.close();
});

Deno.test(`jobs: a spectator that does not read never holds the publisher back (${testRuntime})`, async () => {
  // A 1 ms cadence sends nearly every publish towards the socket nobody reads, so the socket's
  // buffers fill and the spectator's latest-wins slot is what holds the rest; a long write
  // timeout keeps the stalled spectator connected however slow this machine is today.
  await using server = await startServer({
    args: ["--progress-interval", "1ms", "--write-timeout", "10m"],
  });
  const url = `${jobs(server)}/firehose`;
  await post(url, { n: 0 });
  const stalled = await rawSpectator(server.origin, "/api/v1/jobs/firehose");
  // Wait until the server counts it, so every publish below goes past it.
  while ((await snapshot(url)).spectators !== 1) await new Promise((r) => setTimeout(r, 20));
  const pad = "p".repeat(8192); // a backlog of 10,000 such snapshots would be 80 MB
  const publishes = 10_000;
  for (let n = 1; n <= publishes; n++) {
    const res = await fetch(`${url}/progress`, {
      method: "POST",
      body: JSON.stringify({ n, pad }),
    });
    assert.equal(res.status, 204);
    await res.body?.cancel();
  }
  assert.equal(((await snapshot(url)).data as Json).n, publishes);
  // Now it reads: what the socket buffers held, then the newest snapshot.
  await stalled.readUntil(new RegExp(`"n":${publishes},`));
  await post(`${url}/finish`, { ok: true });
  const text = await stalled.readUntil(/\r\n0\r\n\r\n$/); // the end of the chunked body
  stalled.close();
  const progress = [...text.matchAll(/event: progress\r?\ndata: (\{.*?\})\r?\n/g)].map((m) =>
    JSON.parse(m[1]!).n as number
  );
  // What the socket buffers held (a few MB), then the newest: not 10,000 events.
  assert.ok(progress.length < publishes / 2, `a backlog: ${progress.length} progress events`);
  assert.equal(progress.at(-1), publishes, "the newest snapshot comes last");
  assert.match(text, /event: complete\r?\ndata: \{"state":"success","ok":true\}/);
});

Deno.test(`jobs: spectator limits and metrics (${testRuntime})`, async () => {
  await using server = await startServer({ args: ["--max-spectators", "1"] });
  const base = jobs(server);
  await post(`${base}/ok`);
  await post(`${base}/bad`);
  await post(`${base}/running`);
  await post(`${base}/ok/finish`, { ok: true });
  await post(`${base}/bad/finish`, { ok: false, error: "broken" });
  const watcher = await Follower.open(`${base}/running`);
  await watcher.until(1);
  const refused = await fetch(`${base}/running`, { headers: { accept: "text/event-stream" } });
  assert.equal(refused.status, 429);
  assert.match((await refused.json()).error, /Too many spectators/);
  const metrics = await (await fetch(`${server.origin}/metrics`)).text();
  assert.match(metrics, /^ringside_jobs_running 1$/m);
  assert.match(metrics, /^ringside_jobs_started_total 3$/m);
  assert.match(metrics, /^ringside_jobs_succeeded_total 1$/m);
  assert.match(metrics, /^ringside_jobs_failed_total 1$/m);
  assert.match(metrics, /^ringside_runs_ended_total\{kind="job",state="failed"\} 1$/m);
  await post(`${base}/running/finish`, { ok: true });
  await watcher.closed;
});

Deno.test(`jobs: an EventSource that has the end is answered 204, on a watch link and the job URL (${testRuntime})`, async () => {
  await using server = await startServer();
  const url = `${jobs(server)}/watched-to-the-end`;
  const started = await post(url, { progress: 0 });
  assert.equal(started.status, 201);
  const watch = String(started.json!.watch);
  // Every event the link sends has an id, the greeting's too.
  const follower = await Follower.open(watch);
  const [greeting] = await follower.until(1);
  assert.equal(greeting!.type, "progress");
  assert.match(greeting!.id, /^\S+$/);
  assert.equal((await post(`${url}/finish`, { ok: true })).status, 200);
  await follower.closed;
  const end = follower.events.at(-1)!;
  assert.equal(end.type, "complete");
  assert.notEqual(end.id, greeting!.id);
  // What a plain EventSource does 2 s later: the end's id as Last-Event-ID.
  const again = await fetch(watch, {
    headers: { accept: "text/event-stream", "last-event-id": end.id },
  });
  assert.equal(again.status, 204);
  assert.equal(await again.text(), "");
  // The job's own URL answers the same.
  const own = await fetch(url, {
    headers: { accept: "text/event-stream", "last-event-id": end.id },
  });
  assert.equal(own.status, 204);
  await own.body?.cancel();
  // Any other id (or none) is a latecomer: it gets the end once.
  const latecomer = await fetch(watch, {
    headers: { accept: "text/event-stream", "last-event-id": greeting!.id },
  });
  assert.equal(latecomer.status, 200);
  const record = await readSse(latecomer.body!);
  assert.deepEqual(record.events.map((e) => [e.type, e.id]), [["complete", end.id]]);
});

Deno.test(`jobs: spectators are told when another comes, with no publish (${testRuntime})`, async () => {
  await using server = await startServer();
  const url = `${jobs(server)}/audience`;
  assert.equal((await post(url, { progress: 7 })).status, 201);
  const first = await Follower.open(url);
  const second = await Follower.open(url);
  const told = await first.waitFor((event, data) =>
    event.type === "spectators" && data.spectators === 2
  );
  assert.deepEqual(JSON.parse(told.data), { spectators: 2 });
  assert.match(told.id, /^\S+$/);
  assert.equal((await snapshot(url)).spectators, 2);
  // Nothing was published: every progress the first got is the one object.
  for (const event of first.events.filter((e) => e.type === "progress")) {
    assert.equal(JSON.parse(event.data).progress, 7);
  }
  await post(`${url}/finish`, { ok: true });
  await Promise.all([first.closed, second.closed]);
  assert.equal(first.events.at(-1)!.type, "complete");
});
