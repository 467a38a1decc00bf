// End-to-end for processes: a real server (bun, deno or the binary: RINGSIDE_TEST_RUNTIME) on
// 127.0.0.1:0, `ringside run` as a real child process on the same runtime, real commands.
import assert from "node:assert/strict";
import { curl } from "./_curl.ts";
import { healthzAfterDrainBegins, ringsideCli, startServer, testRuntime } from "./_server.ts";
import { decodeText, openSse, readSse, type SseEvent } from "./_sse.ts";

const encoder = new TextEncoder();

interface Line {
  seq: number;
  stream: string;
  line: string;
}

/** A `ringside run` child: its stdin is ours to write (the command inherits it). */
interface RunChild {
  stdin: WritableStreamDefaultWriter<Uint8Array>;
  /** Resolves once run's stderr contains `text`. */
  stderrHas(text: string): Promise<void>;
  /** Resolves once run's stdout contains `text`. */
  stdoutHas(text: string): Promise<void>;
  kill(signal: Deno.Signal): void;
  result: Promise<{ code: number; stdout: Uint8Array; stderr: string }>;
}

function ringsideRun(args: string[], env: Record<string, string> = {}): RunChild {
  const child = ringsideCli({
    args: ["run", ...args],
    env,
    stdin: "piped",
  }).spawn();
  let stdoutText = "";
  let stderrText = "";
  const chunks: Uint8Array[] = [];
  const waiters: { check: () => boolean; resolve: () => void }[] = [];
  const wake = () => {
    for (const waiter of [...waiters]) {
      if (waiter.check()) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  const decoder = new TextDecoder();
  const stdout = (async () => {
    for await (const chunk of child.stdout) {
      chunks.push(chunk);
      stdoutText += decoder.decode(chunk, { stream: true });
      wake();
    }
  })();
  const stderr = (async () => {
    for await (const text of decodeText(child.stderr)) {
      stderrText += text;
      wake();
    }
  })();
  const until = (check: () => boolean) =>
    new Promise<void>((resolve, reject) => {
      if (check()) return resolve();
      waiters.push({ check, resolve });
      child.status.then(() => {
        setTimeout(() => check() ? resolve() : reject(new Error(`run ended: ${stderrText}`)), 100);
      });
    });
  return {
    stdin: child.stdin.getWriter(),
    stderrHas: (text) => until(() => stderrText.includes(text)),
    stdoutHas: (text) => until(() => stdoutText.includes(text)),
    kill: (signal) => child.kill(signal),
    result: child.status.then(async (status) => {
      await Promise.all([stdout, stderr]);
      return {
        code: status.code,
        stdout: new Uint8Array(await new Blob(chunks as BlobPart[]).arrayBuffer()),
        stderr: stderrText,
      };
    }),
  };
}

/** Follows a process over SSE until its final status (or `until` holds); returns the events. */
async function follow(
  url: string,
  options: { lastEventId?: string; until?: (event: SseEvent) => boolean } = {},
): Promise<SseEvent[]> {
  const response = await fetch(url, {
    headers: {
      accept: "text/event-stream",
      ...(options.lastEventId ? { "last-event-id": options.lastEventId } : {}),
    },
    signal: AbortSignal.timeout(60_000),
  });
  if (response.status !== 200) {
    throw new Error(`Cannot follow ${url}: ${response.status} ${await response.text()}`);
  }
  const record = await readSse(response.body!, (event) => options.until?.(event));
  return record.events;
}

function outputs(events: SseEvent[]): Line[] {
  return events.filter((event) => event.type === "output").map((event) => JSON.parse(event.data));
}

function finalStatus(events: SseEvent[]): { status: string; exitCode: number | null } {
  const last = events.at(-1)!;
  assert.equal(last.type, "status");
  return JSON.parse(last.data);
}

/** Whether process `pid` runs, from `/proc`: a zombie has ended, only its parent has not reaped it. */
async function processState(pid: number): Promise<"alive" | "zombie" | "gone"> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z") ? "zombie" : "alive";
  } catch {
    return "gone";
  }
}

/** Waits until the process exists on the server (its first post arrived). */
async function exists(origin: string, id: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const response = await fetch(`${origin}/api/v1/processes/${id}?format=json`);
    await response.body?.cancel();
    if (response.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Process '${id}' never appeared`);
}

/** Polls a process's JSON snapshot until `predicate` holds. */
async function until(
  url: string,
  predicate: (snapshot: Record<string, unknown>) => boolean,
): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const response = await fetch(`${url}?format=json`);
    if (response.status !== 200) await response.body?.cancel();
    else if (predicate(await response.json())) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${url} never reached the awaited state`);
}

/** A request body that hands out chunks when told to. */
function trickle(): { body: ReadableStream<Uint8Array>; send(text: string): void; end(): void } {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  return {
    body,
    send: (text) => controller.enqueue(encoder.encode(text)),
    end: () => controller.close(),
  };
}

function post(url: string, body: BodyInit, headers: Record<string, string> = {}) {
  return fetch(url, { method: "POST", body, headers, duplex: "half" } as RequestInit);
}

Deno.test(`ringside run streams a command (${testRuntime})`, async (t) => {
  await using server = await startServer();
  const env = { RINGSIDE_SERVER: server.origin };
  const api = `${server.origin}/api/v1/processes`;

  await t.step("10,000 lines arrive complete and in order, live", async () => {
    // The command waits for a line on its stdin (inherited through run) so that the spectator
    // is attached before the first line.
    const run = ringsideRun(["--id", "ten-k", "--", "sh", "-c", "read go; seq 1 10000"], env);
    await run.stderrHas("live output at");
    const events = follow(`${api}/ten-k`);
    await exists(server.origin, "ten-k");
    await new Promise((resolve) => setTimeout(resolve, 100));
    await run.stdin.write(encoder.encode("go\n"));
    await run.stdin.close();
    const lines = outputs(await events);
    assert.equal(lines.length, 10_000);
    lines.forEach((line, i) => {
      assert.deepEqual(line, { seq: i + 1, stream: "stdout", line: String(i + 1) });
    });
    const { code, stdout } = await run.result;
    assert.equal(code, 0);
    assert.equal(new TextDecoder().decode(stdout).split("\n").length, 10_001);
  });

  await t.step("output passes through unchanged: bytes, colours, no added newline", async () => {
    const script = String.raw`printf '\033[31mred\033[0m\r\nhalf'; printf 'err\n' >&2; exit 0`;
    const run = ringsideRun(["--id", "bytes", "--", "sh", "-c", script], env);
    const { code, stdout, stderr } = await run.result;
    assert.equal(code, 0);
    assert.deepEqual(stdout, encoder.encode("\x1b[31mred\x1b[0m\r\nhalf"));
    assert.match(stderr, /^ringside: live output at http:\/\/\S+\/api\/v1\/processes\/bytes\n/);
    assert.match(stderr, /\nerr\n/);
    const snapshot = await (await fetch(`${api}/bytes?format=json`)).json();
    assert.equal(snapshot.status, "exited");
    const lines = snapshot.tail.map((line: Line) => [line.stream, line.line]).sort();
    assert.deepEqual(lines, [["stderr", "err"], ["stdout", "\x1b[31mred\x1b[0m"], [
      "stdout",
      "half",
    ]]);
  });

  await t.step("stdout and stderr both arrive, marked, each in its order", async () => {
    const script = "for i in 1 2 3 4 5; do echo out$i; echo err$i >&2; done";
    const run = ringsideRun(["--id", "both", "--", "sh", "-c", script], env);
    assert.equal((await run.result).code, 0);
    const events = await follow(`${api}/both`);
    const lines = outputs(events);
    assert.deepEqual(lines.map((line) => line.seq), [...Array(10).keys()].map((i) => i + 1));
    const of = (stream: string) => lines.filter((l) => l.stream === stream).map((l) => l.line);
    assert.deepEqual(of("stdout"), ["out1", "out2", "out3", "out4", "out5"]);
    assert.deepEqual(of("stderr"), ["err1", "err2", "err3", "err4", "err5"]);
    assert.deepEqual(finalStatus(events), { status: "exited", exitCode: 0 });
  });

  for (
    const [label, script, code, status] of [
      ["exit code 0", "exit 0", 0, "exited"],
      ["exit code 7", "echo seven; exit 7", 7, "exited"],
      ["a signal: 128+N, killed", "kill -TERM $$", 143, "killed"],
    ] as const
  ) {
    await t.step(`${label} passes through`, async () => {
      const id = `code-${code}`;
      const run = ringsideRun(["--id", id, "--", "sh", "-c", script], env);
      assert.equal((await run.result).code, code);
      const events = await follow(`${api}/${id}`);
      assert.deepEqual(finalStatus(events), { status, exitCode: code });
    });
  }

  await t.step("Ctrl-C is forwarded to the command", async () => {
    const run = ringsideRun(["--id", "ctrl-c", "--", "sh", "-c", "echo ready; exec sleep 30"], env);
    await run.stdoutHas("ready");
    run.kill("SIGINT");
    assert.equal((await run.result).code, 130);
    const events = await follow(`${api}/ctrl-c`);
    assert.deepEqual(finalStatus(events), { status: "killed", exitCode: 130 });
  });

  await t.step("a command that cannot start: 127, status failed", async () => {
    const run = ringsideRun(["--id", "missing", "--", "no-such-command-ringside"], env);
    const { code, stderr } = await run.result;
    assert.equal(code, 127);
    assert.match(stderr, /cannot run 'no-such-command-ringside'/);
    const events = await follow(`${api}/missing`);
    assert.equal(finalStatus(events).status, "failed");
  });

  await t.step("bad arguments: exit 2 with a line", async () => {
    for (const args of [[], ["--id", "a/../b", "--", "true"], ["--bogus", "--", "true"]]) {
      const { code, stderr } = await ringsideRun(args, env).result;
      assert.equal(code, 2, stderr);
      assert.match(stderr, /^ringside run: .+\n$/);
    }
  });
});

Deno.test(`ringside run without a server keeps the command's code (${testRuntime})`, async (t) => {
  await t.step("unreachable from the start", async () => {
    const run = ringsideRun([
      "--server",
      "http://127.0.0.1:1",
      "--",
      "sh",
      "-c",
      "echo hi; exit 3",
    ]);
    const { code, stdout, stderr } = await run.result;
    assert.equal(code, 3);
    assert.equal(new TextDecoder().decode(stdout), "hi\n");
    assert.equal(stderr.match(/nobody can watch/g)?.length, 1, stderr);
  });

  await t.step("the server killed mid-run", async () => {
    const server = await startServer();
    const script = "echo before; read go; seq 1 2000; echo after; exit 5";
    const run = ringsideRun(["--server", server.origin, "--id", "dies", "--", "sh", "-c", script]);
    await run.stdoutHas("before");
    await exists(server.origin, "dies");
    await follow(`${server.origin}/api/v1/processes/dies`, {
      until: (event) => event.type === "output" && JSON.parse(event.data).line === "before",
    });
    await server.stop("SIGKILL");
    await run.stdin.write(encoder.encode("go\n"));
    await run.stdin.close();
    const { code, stdout, stderr } = await run.result;
    assert.equal(code, 5);
    assert.match(new TextDecoder().decode(stdout), /^before\n1\n[\s\S]*\n2000\nafter\n$/);
    assert.equal(stderr.match(/nobody can watch/g)?.length, 1, stderr);
  });
});

Deno.test(`process routes (${testRuntime})`, async (t) => {
  await using server = await startServer({ args: ["--history-lines", "5"] });
  const api = `${server.origin}/api/v1/processes`;

  await t.step("a trickling body yields events before it ends", async () => {
    const body = trickle();
    const posting = post(`${api}/trickle/output`, body.body);
    body.send("one\n");
    await exists(server.origin, "trickle");
    const seen: string[] = [];
    const response = await openSse(`${api}/trickle`);
    const reading = readSse(response.body!, (event) => {
      if (event.type !== "output") return;
      seen.push(JSON.parse(event.data).line);
      if (seen.length === 1) body.send("two\n");
      if (seen.length === 2) body.send("thr");
      if (seen.length === 2) setTimeout(() => body.send("ee\n"), 50);
      if (seen.length === 3) body.end();
      return seen.length === 3;
    });
    await reading;
    assert.deepEqual(seen, ["one", "two", "three"]);
    assert.deepEqual(await (await posting).json(), { id: "trickle", lines: 3, seq: 3 });
  });

  await t.step("curl -T - (a PUT) publishes output and status, as the README shows", async () => {
    const output = curl("-sS", "-f", "-T", "-", `${api}/put-by-hand/output`);
    await output.stdin.write(encoder.encode("deploying\ndone\n"));
    await output.stdin.close();
    const posted = await output.result;
    assert.equal(posted.code, 0, posted.stderr);
    assert.deepEqual(JSON.parse(posted.stdout), { id: "put-by-hand", lines: 2, seq: 2 });
    const status = await fetch(`${api}/put-by-hand/status`, {
      method: "PUT",
      body: '{"status":"exited","exitCode":0}',
    });
    assert.equal(status.status, 200);
    await status.body?.cancel();
    const snapshot = await (await fetch(`${api}/put-by-hand`, {
      headers: { accept: "application/json" },
    })).json();
    assert.deepEqual(snapshot.tail.map((line: Line) => line.line), ["deploying", "done"]);
    assert.equal(snapshot.status, "exited");
  });

  await t.step("two output streams at once keep each one's order", async () => {
    const out = trickle();
    const err = trickle();
    const posts = [
      post(`${api}/two/output?stream=stdout`, out.body),
      post(`${api}/two/output?stream=stderr`, err.body),
    ];
    for (let i = 0; i < 50; i++) {
      out.send(`o${i}\n`);
      err.send(`e${i}\n`);
    }
    out.end();
    err.end();
    await Promise.all(posts.map(async (p) => assert.equal((await p).status, 200)));
    await (await post(`${api}/two/status`, '{"status":"exited","exitCode":0}')).body?.cancel();
    const snapshot = await (await fetch(`${api}/two?format=json`)).json();
    assert.equal(snapshot.lines, 100);
    // The ring keeps 5; the order within each stream was checked by seq on the wire.
    const seqs = snapshot.tail.map((line: Line) => line.seq);
    assert.deepEqual(seqs, [96, 97, 98, 99, 100]);
  });

  await t.step("a latecomer gets the ring, then live lines", async () => {
    const body = trickle();
    const posting = post(`${api}/late/output`, body.body);
    body.send([...Array(20).keys()].map((i) => `line ${i + 1}\n`).join(""));
    await until(`${api}/late`, (snapshot) => snapshot.lines === 20);
    const events = await follow(`${api}/late`, { until: (event) => event.type === "status" });
    assert.deepEqual(outputs(events).map((line) => line.seq), [16, 17, 18, 19, 20]);
    assert.equal(events.at(-1)!.type, "status");
    assert.equal(events.at(-1)!.id, "20");
    const live = follow(`${api}/late`, {
      until: (event) => event.type === "output" && JSON.parse(event.data).seq === 21,
    });
    setTimeout(() => body.send("line 21\n"), 100);
    const lines = outputs(await live).map((line) => line.line);
    assert.deepEqual(lines.slice(-2), ["line 20", "line 21"]);
    body.end();
    await (await posting).body?.cancel();
  });

  await t.step("Last-Event-ID resumes, with a gap when lines left the ring", async () => {
    const withinRing = await follow(`${api}/late`, {
      lastEventId: "18",
      until: (event) => event.type === "status",
    });
    assert.deepEqual(withinRing.map((event) => event.type), [
      "output",
      "output",
      "output",
      "status",
    ]);
    assert.deepEqual(outputs(withinRing).map((line) => line.seq), [19, 20, 21]);
    const gapped = await follow(`${api}/late`, {
      lastEventId: "10",
      until: (event) => event.type === "status",
    });
    assert.equal(gapped[0]!.type, "gap");
    assert.deepEqual(JSON.parse(gapped[0]!.data), { missed: 6 });
    assert.equal(gapped[0]!.id, "16");
    assert.deepEqual(outputs(gapped).map((line) => line.seq), [17, 18, 19, 20, 21]);
    // After the final status, its id means "seen it all": 204 stops EventSource.
    const end = await post(`${api}/late/status`, '{"status":"killed","exitCode":137}');
    assert.equal(end.status, 200);
    await end.body?.cancel();
    const ended = await follow(`${api}/late`, { lastEventId: "21" });
    assert.deepEqual(finalStatus(ended), { status: "killed", exitCode: 137 });
    assert.equal(ended.at(-1)!.id, "21.end");
    const done = await fetch(`${api}/late`, { headers: { "last-event-id": "21.end" } });
    assert.equal(done.status, 204);
  });

  await t.step("dropped lines reported with ?missed= become a gap", async () => {
    await (await post(`${api}/gappy/output`, "a\n")).body?.cancel();
    const response = await post(`${api}/gappy/output?missed=3`, "b\n");
    assert.deepEqual(await response.json(), { id: "gappy", lines: 1, seq: 5 });
    const events = await follow(`${api}/gappy`, { until: (event) => event.type === "status" });
    assert.deepEqual(events.map((event) => [event.type, event.id, event.data]), [
      ["output", "1", '{"seq":1,"stream":"stdout","line":"a"}'],
      ["gap", "4", '{"missed":3}'],
      ["output", "5", '{"seq":5,"stream":"stdout","line":"b"}'],
      ["status", "5", '{"status":"running","exitCode":null}'],
    ]);
    const bad = await post(`${api}/gappy/output?missed=-1`, "c\n");
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
    // Line numbers stay exact and resumable (Last-Event-ID takes up to 15 digits): a gap that
    // would take them past 999,999,999,999,999 is refused, and nothing changes.
    const huge = "999999999999990";
    const taken = await post(`${api}/gappy/output?missed=${huge}`, "");
    assert.equal((await taken.json()).seq, 5 + Number(huge));
    const over = await post(`${api}/gappy/output?missed=${huge}`, "d\n");
    assert.equal(over.status, 400);
    assert.match((await over.json()).error, /^Invalid missed=999999999999990: .*$/);
    const snapshot = await (await fetch(`${api}/gappy?format=json`)).json();
    assert.equal(snapshot.lines, 5 + Number(huge));
  });

  await t.step("bad status 400; every post after a final status 409", async () => {
    for (
      const body of [
        "nope",
        "[]",
        '{"status":"done"}',
        '{"status":"exited"}',
        '{"status":"exited","exitCode":1.5}',
      ]
    ) {
      const response = await post(`${api}/strict/status`, body);
      assert.equal(response.status, 400, body);
      assert.match((await response.json()).error, /^.+$/);
    }
    const first = await post(`${api}/strict/status`, '{"status":"failed"}');
    assert.equal(first.status, 200);
    await first.body?.cancel();
    for (
      const [path, body] of [
        ["status", '{"status":"exited","exitCode":0}'],
        ["status", '{"status":"running"}'],
        ["output", "late\n"],
      ] as const
    ) {
      const response = await post(`${api}/strict/${path}`, body);
      assert.equal(response.status, 409);
      assert.deepEqual(await response.json(), { error: "Process 'strict' already failed" });
    }
    const stream = await post(`${api}/strict/output?stream=both`, "x\n");
    assert.equal(stream.status, 400);
    await stream.body?.cancel();
  });

  await t.step("an oversize status body is 413 while it is still coming, never held", async () => {
    // The body never ends: a server that reads it whole before checking its size never answers
    // (and holds every byte an abuser sends).
    const body = trickle();
    body.send(`{"status":"running","pad":"${"x".repeat(128 * 1024)}`);
    // Its own connection: the server drops it with the upload unread, and a pooled one would
    // then fail the next request.
    using client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
    const response = await fetch(`${api}/oversize/status`, {
      method: "POST",
      body: body.body,
      duplex: "half",
      client,
      signal: AbortSignal.timeout(30_000),
    } as RequestInit);
    assert.equal(response.status, 413);
    assert.match((await response.json()).error, /^.*over the limit of 65536 bytes.*$/);
    try {
      body.end();
    } catch {
      // the server cancelled the upload
    }
    const missing = await fetch(`${api}/oversize?format=json`);
    assert.equal(missing.status, 404, "a refused status creates no process");
    await missing.body?.cancel();
  });

  await t.step("unknown ids: 404 with a line", async () => {
    const get = await fetch(`${api}/nobody`, { headers: { accept: "application/json" } });
    assert.equal(get.status, 404);
    assert.deepEqual(await get.json(), { error: "Process 'nobody' not found" });
    const del = await fetch(`${api}/nobody`, { method: "DELETE" });
    assert.equal(del.status, 404);
    await del.body?.cancel();
    // A name no process can have is a 400 with the reason, as for every other route.
    for (const method of ["GET", "DELETE"]) {
      const bad = await fetch(`${api}/a//b`, { method, headers: { accept: "application/json" } });
      assert.equal(bad.status, 400, method);
      assert.match((await bad.json()).error, /^Invalid name 'a\/\/b'/);
    }
  });

  await t.step("/metrics counts processes", async () => {
    const text = await (await fetch(`${server.origin}/metrics`)).text();
    assert.match(text, /^ringside_processes_running \d+$/m);
    assert.match(text, /^ringside_processes_ended_total\{status="killed"\} 1$/m);
    assert.match(text, /^ringside_processes_ended_total\{status="failed"\} 1$/m);
  });
});

/** Opens a raw HTTP/1.1 GET that we read only when we choose to. */
async function rawGet(origin: string, path: string): Promise<Deno.TcpConn> {
  const url = new URL(origin);
  const connection = await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
  await connection.write(
    encoder.encode(
      `GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nAccept: text/event-stream\r\n` +
        `Connection: close\r\n\r\n`,
    ),
  );
  return connection;
}

/** Reads a raw HTTP/1.1 response to its end and returns its de-chunked body as text. */
async function readChunkedBody(connection: Deno.TcpConn): Promise<string> {
  const bytes = new Uint8Array(await new Response(connection.readable).arrayBuffer());
  const text = new TextDecoder().decode(bytes);
  let at = text.indexOf("\r\n\r\n") + 4;
  let body = "";
  while (at < text.length) {
    const lineEnd = text.indexOf("\r\n", at);
    const size = parseInt(text.slice(at, lineEnd), 16);
    if (!(size > 0)) break;
    // Sizes are in bytes; the lines here are ASCII, so characters are bytes.
    body += text.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
  return body;
}

Deno.test(`20 MB without a newline: latecomers get about 1 MiB of history (${testRuntime})`, async () => {
  // The pen test (issue 14): the ring kept 1000 pieces of 64 KiB, up to 64 MB per process.
  await using server = await startServer();
  const url = `${server.origin}/api/v1/processes/no-newline`;
  const megabyte = new Uint8Array(1024 * 1024).fill(0x78);
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent++ < 20) controller.enqueue(megabyte);
      else controller.close();
    },
  });
  const posted = await post(`${url}/output`, body);
  assert.equal(posted.status, 200);
  assert.deepEqual(await posted.json(), { id: "no-newline", lines: 320, seq: 320 });
  const historyBytes = 1024 * 1024;

  const snapshot = await (await fetch(`${url}?format=json`)).json();
  const tail = snapshot.tail as Line[];
  assert.equal(snapshot.lines, 320);
  assert.equal(tail.reduce((sum, line) => sum + line.line.length, 0), historyBytes);
  assert.deepEqual([tail[0]!.seq, tail.at(-1)!.seq], [305, 320]);

  const latecomer = await follow(url, { until: (event) => event.type === "status" });
  const lines = outputs(latecomer);
  assert.equal(lines.length, 16, "16 pieces of 64 KiB");
  assert.ok(lines.every((line) => line.line.length === 65_536));
  assert.equal(lines[0]!.seq, 305);

  const reconnect = await follow(url, {
    lastEventId: "10",
    until: (event) => event.type === "status",
  });
  assert.equal(reconnect[0]!.type, "gap");
  assert.deepEqual(JSON.parse(reconnect[0]!.data), { missed: 294 });
  assert.equal(reconnect[0]!.id, "304");
  assert.deepEqual(outputs(reconnect).map((line) => line.seq)[0], 305);
  const end = await post(`${url}/status`, '{"status":"exited","exitCode":0}');
  await end.body?.cancel();
});

Deno.test(`SIGTERM drain: running processes still post, new ones get 503 (${testRuntime})`, async () => {
  const server = await startServer({ args: ["--drain-timeout", "20s"] });
  try {
    const api = `${server.origin}/api/v1/processes`;
    await (await post(`${api}/draining/status`, '{"status":"running"}')).body?.cancel();
    // A pipe transfer that lasts until we end it keeps the server draining.
    const pipe = `${server.origin}/api/v1/pipe/keep-draining`;
    const receiver = fetch(pipe);
    const upload = trickle();
    const sender = post(pipe, upload.body);
    upload.send("some bytes");
    for (let state = ""; state !== "streaming";) {
      const snapshot = await (await fetch(`${pipe}?progress&format=json`)).json();
      state = snapshot.state;
    }
    const exited = server.stop("SIGTERM");
    assert.equal(await healthzAfterDrainBegins(server.origin), 503);

    const output = await post(`${api}/draining/output`, "said while draining\n");
    assert.equal(output.status, 200, await output.clone().text());
    assert.equal((await output.json()).lines, 1);
    const status = await post(`${api}/draining/status`, '{"status":"exited","exitCode":0}');
    assert.equal(status.status, 200, await status.clone().text());
    await status.body?.cancel();
    const fresh = await post(`${api}/fresh/status`, '{"status":"running"}');
    assert.equal(fresh.status, 503);
    await fresh.body?.cancel();

    upload.end();
    await (await receiver).body?.cancel();
    await (await sender).body?.cancel();
    assert.equal(await exited, 0);
  } finally {
    await server.stop();
  }
});

Deno.test(`SSE spectators of a process are bounded (${testRuntime})`, async (t) => {
  const lines = `${"x".repeat(200)}\n`.repeat(5000);

  await t.step(
    "one that does not read is cut off after its queue, and resumes with a gap",
    async () => {
      await using server = await startServer();
      const api = `${server.origin}/api/v1/processes`;
      await (await post(`${api}/flood/output`, "start\n")).body?.cancel();
      const silent = await rawGet(server.origin, "/api/v1/processes/flood");
      await until(`${api}/flood`, (snapshot) => snapshot.spectators === 1);
      // ~30 MB of lines while the spectator reads nothing: the publisher is never held.
      const body = trickle();
      const posting = post(`${api}/flood/output`, body.body);
      for (let i = 0; i < 30; i++) body.send(lines);
      body.end();
      assert.deepEqual(await (await posting).json(), { id: "flood", lines: 150_000, seq: 150_001 });
      // What the spectator gets when it reads at last: its bounded queue, then the end.
      const text = await readChunkedBody(silent);
      assert.match(text, /: too far behind: reconnect with Last-Event-ID\n\n$/);
      const ids = text.match(/^id: \d+$/gm)!;
      const lastId = ids.at(-1)!.slice(4);
      assert.ok(text.length < 64 * 1024 * 1024, `${text.length} bytes held for one spectator`);
      assert.ok(Number(lastId) < 150_001, lastId);
      const resumed = await follow(`${api}/flood`, {
        lastEventId: lastId,
        until: (event) => event.type === "status",
      });
      assert.equal(resumed[0]!.type, "gap");
      assert.equal(outputs(resumed).at(-1)!.seq, 150_001);
    },
  );

  await t.step("one that takes no write for --write-timeout is dropped", async () => {
    await using server = await startServer({ args: ["--write-timeout", "1s"] });
    const api = `${server.origin}/api/v1/processes`;
    await (await post(`${api}/stuck/output`, "start\n")).body?.cancel();
    const silent = await rawGet(server.origin, "/api/v1/processes/stuck");
    await until(`${api}/stuck`, (snapshot) => snapshot.spectators === 1);
    // The socket's buffers may take the first batches whole (their size is the kernel's): keep
    // the output coming until a write waits on the silent reader and it is dropped.
    for (let batch = 1;; batch++) {
      const response = await post(`${api}/stuck/output`, lines.repeat(20));
      assert.equal((await response.json()).lines, 100_000);
      const snapshot = await (await fetch(`${api}/stuck?format=json`)).json();
      if (snapshot.spectators === 0) break;
      assert.ok(batch < 60, "a reader that takes nothing is never dropped");
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    silent.close();
  });
});

Deno.test(`named tasks (${testRuntime})`, async (t) => {
  await using server = await startServer({
    args: [
      "--task",
      "hello=sh -c 'echo hello from a task; echo to stderr >&2; exit 4'",
      "--task",
      "sleeper=sleep 30",
      "--task",
      "stubborn=sh -c 'trap \"\" TERM; echo ready; sleep 30'",
      "--task",
      "env=env",
      "--task",
      "family=sh -c 'sleep 31 & echo $!; wait'",
      "--task-env",
      "LISTED_VAR",
    ],
    env: { LISTED_VAR: "listed", SECRET_TOKEN: "must-not-leak" },
  });
  const api = `${server.origin}/api/v1/processes`;

  await t.step("a named task runs; its output and exit code arrive", async () => {
    const response = await post(`${api}?task=hello&id=hello-1`, "");
    assert.equal(response.status, 202);
    const started = await response.json();
    assert.equal(started.id, "hello-1");
    assert.equal(started.url, `${api}/hello-1`);
    const events = await follow(`${api}/hello-1`);
    const lines = outputs(events).map((line) => [line.stream, line.line]).sort();
    assert.deepEqual(lines, [["stderr", "to stderr"], ["stdout", "hello from a task"]]);
    assert.deepEqual(finalStatus(events), { status: "exited", exitCode: 4 });
    // Without an id, one is made from the task's name.
    const again = await (await post(`${api}?task=hello`, "")).json();
    assert.match(again.id, /^hello-[0-9a-z]{12}$/);
  });

  await t.step("an unnamed task is refused; no request names a command", async () => {
    const unknown = await post(`${api}?task=rm`, "");
    assert.equal(unknown.status, 404);
    assert.match((await unknown.json()).error, /^Unknown task 'rm' \(known: .*\)$/);
    const none = await post(api, "sh -c 'id'");
    assert.equal(none.status, 400);
    await none.body?.cancel();
  });

  await t.step("a task's environment is PATH and the --task-env names only", async () => {
    const { id } = await (await post(`${api}?task=env`, "")).json();
    const events = await follow(`${api}/${id}`);
    const names = outputs(events).map((line) => line.line.split("=")[0]).sort();
    // sh may add PWD on its own; env itself adds nothing.
    assert.deepEqual(names, ["LISTED_VAR", "PATH"]);
    assert.ok(outputs(events).some((line) => line.line === "LISTED_VAR=listed"));
  });

  await t.step("DELETE stops a named task: SIGTERM, status killed", async () => {
    await (await post(`${api}?task=sleeper&id=sleepy`, "")).body?.cancel();
    const busy = await post(`${api}?task=sleeper&id=sleepy`, "");
    assert.equal(busy.status, 409);
    await busy.body?.cancel();
    const response = await fetch(`${api}/sleepy`, { method: "DELETE" });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { id: "sleepy", status: "killed", exitCode: 143 });
    const events = await follow(`${api}/sleepy`);
    assert.deepEqual(finalStatus(events), { status: "killed", exitCode: 143 });
    const twice = await fetch(`${api}/sleepy`, { method: "DELETE" });
    assert.equal(twice.status, 409);
    assert.match(await twice.text(), /already killed/);
    // The same id runs again as a new run.
    const rerun = await post(`${api}?task=sleeper&id=sleepy`, "");
    assert.equal(rerun.status, 202);
    await rerun.body?.cancel();
    const stopped = await fetch(`${api}/sleepy`, { method: "DELETE" });
    assert.equal((await stopped.json()).status, "killed");
  });

  await t.step("a task that ignores SIGTERM gets SIGKILL", async () => {
    await (await post(`${api}?task=stubborn&id=stubborn`, "")).body?.cancel();
    await follow(`${api}/stubborn`, { until: (event) => event.data.includes("ready") });
    const response = await fetch(`${api}/stubborn`, { method: "DELETE" });
    assert.deepEqual(await response.json(), { id: "stubborn", status: "killed", exitCode: 137 });
  });

  await t.step("DELETE stops what the task started too (its process group)", async () => {
    await (await post(`${api}?task=family&id=family`, "")).body?.cancel();
    const started = await follow(`${api}/family`, {
      until: (event) => event.type === "output" && /^\d+$/.test(JSON.parse(event.data).line),
    });
    const grandchild = Number(outputs(started).at(-1)!.line);
    assert.equal(await processState(grandchild), "alive", "the task's sleep is running");
    const response = await fetch(`${api}/family`, { method: "DELETE" });
    assert.deepEqual(await response.json(), { id: "family", status: "killed", exitCode: 143 });
    // The sleep got the SIGTERM as well: it is gone, or a zombie waiting for init to reap it.
    for (let attempt = 0; await processState(grandchild) === "alive"; attempt++) {
      assert.ok(attempt < 100, `the task's sleep ${grandchild} outlived the DELETE`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });

  await t.step("a task's output and status come from its command only: posts are 409", async () => {
    await (await post(`${api}?task=sleeper&id=guarded`, "")).body?.cancel();
    for (
      const [path, body] of [
        ["status", '{"status":"exited","exitCode":0}'],
        ["output", "not from the task\n"],
      ] as const
    ) {
      const response = await post(`${api}/guarded/${path}`, body);
      assert.equal(response.status, 409, path);
      assert.match((await response.json()).error, /^Process 'guarded' is a task this server runs/);
    }
    const snapshot = await (await fetch(`${api}/guarded?format=json`)).json();
    assert.equal(snapshot.status, "running");
    assert.equal(snapshot.lines, 0);
    // Still ours to stop: a posted "exited" would have left its sleep running, out of reach.
    const response = await fetch(`${api}/guarded`, { method: "DELETE" });
    assert.deepEqual(await response.json(), { id: "guarded", status: "killed", exitCode: 143 });
  });

  await t.step("DELETE of a process this server did not start: 409", async () => {
    await (await post(`${api}/elsewhere/status`, '{"status":"running"}')).body?.cancel();
    const response = await fetch(`${api}/elsewhere`, { method: "DELETE" });
    assert.equal(response.status, 409);
    assert.match(await response.text(), /not started by this server/);
  });
});

Deno.test(`a process's spectators are told when another comes, with no output (${testRuntime})`, async () => {
  await using server = await startServer();
  const url = `${server.origin}/api/v1/processes/audience`;
  const running = await post(`${url}/status`, JSON.stringify({ status: "running" }));
  assert.equal(running.status, 200);
  await running.body?.cancel();
  const posted = await post(`${url}/output`, "one\ntwo\n");
  assert.equal(posted.status, 200);
  await posted.body?.cancel();
  const first = await openSse(url);
  const second = await openSse(url);
  const events: SseEvent[] = [];
  await readSse(first.body!, (event) => {
    events.push(event);
    return event.type === "spectators" && JSON.parse(event.data).spectators === 2;
  });
  // The greeting says 1 (unless the 2 replaced it unsent: the count is latest-wins).
  assert.deepEqual(events.filter((e) => e.type !== "spectators").map((e) => e.type), [
    "output",
    "output",
    "status",
  ]);
  const told = events.at(-1)!;
  assert.deepEqual(JSON.parse(told.data), { spectators: 2 });
  // Its id is the last line's: a reconnect from here resumes after line 2, missing nothing.
  assert.equal(told.id, "2");
  await second.body!.cancel();
  const exited = await post(`${url}/status`, JSON.stringify({ status: "exited", exitCode: 0 }));
  await exited.body?.cancel();
});
