// End-to-end: src/client/client.ts and `ringside watch` against a real server (bun, deno or the
// binary: RINGSIDE_TEST_RUNTIME), real curl on the pipe's ends.
import assert from "node:assert/strict";
import { RingsideClient, RingsideError, type RingsideEvent } from "../src/client/client.ts";
import { curl, noise } from "./_curl.ts";
import { ringsideCli, ringsideCommand, startServer, testRuntime } from "./_server.ts";
import { waitForPipe } from "./_sse.ts";

const hasScript = await new Deno.Command("script", {
  args: ["--version"],
  stdout: "null",
  stderr: "null",
})
  .output().then((out) => out.success, () => false);

/** Runs `ringside watch ARGS…` on the test runtime; resolves with its code and output. */
function runWatch(args: string[], env: Record<string, string> = {}) {
  const child = ringsideCli({
    args: ["watch", ...args],
    env,
  }).spawn();
  return child.output().then((out) => ({
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  }));
}

/** A chunked curl sender whose body the test writes piece by piece. */
function sender(url: string) {
  const child = curl("-T", "-", url);
  return child;
}

/** Collects a subscription's events; `until(type)` resolves when one of that type came. */
function collect(iterable: AsyncIterable<RingsideEvent>) {
  const events: RingsideEvent[] = [];
  const waiters: { test: (e: RingsideEvent) => boolean; resolve: () => void }[] = [];
  const finished = (async () => {
    for await (const event of iterable) {
      events.push(event);
      for (const waiter of [...waiters]) {
        if (waiter.test(event)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    }
  })();
  finished.catch(() => {}); // awaited by the tests that care; never an unhandled rejection
  return {
    events,
    finished,
    until(test: (e: RingsideEvent) => boolean): Promise<void> {
      if (events.some(test)) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ test, resolve }));
    },
  };
}

/**
 * Polls the JSON snapshot at `url` (a pipe's `?progress`, a job) until `predicate` holds: the
 * spectator counts it waits for send no event.
 */
async function pollSnapshot(
  url: string,
  predicate: (snapshot: Record<string, unknown>) => boolean,
): Promise<void> {
  const deadline = AbortSignal.timeout(20_000);
  while (!deadline.aborted) {
    const response = await fetch(url, { headers: { accept: "application/json" } });
    if (response.ok && predicate(await response.json())) return;
    if (!response.ok) await response.body?.cancel();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${url} never reached the awaited state`);
}

function snapshot(event: RingsideEvent): Record<string, unknown> {
  return event.data as Record<string, unknown>;
}

Deno.test(`client follows a real pipe transfer (${testRuntime})`, async (t) => {
  await using server = await startServer();
  const client = new RingsideClient({ server: server.origin });

  await t.step("state, progress, then done, and the iteration ends", async () => {
    const size = 1_000_000;
    const bytes = noise(size, 5);
    const watching = collect(client.subscribe("pipe:c/transfer"));
    await watching.until((e) => e.type === "state");
    const send = sender(`${server.origin}/api/v1/pipe/c/transfer?size=${size}`);
    const receive = curl("-o", "/dev/null", `${server.origin}/c/transfer`);
    await send.stdin.write(bytes.subarray(0, 100_000));
    await watching.until((e) => e.type === "progress" && Number(snapshot(e).bytes) > 0);
    await send.stdin.write(bytes.subarray(100_000));
    await send.stdin.close();
    await watching.finished;
    assert.equal((await send.result).code, 0);
    assert.equal((await receive.result).code, 0);
    const types = watching.events.map((e) => e.type);
    assert.equal(types[0], "state");
    assert.ok(types.includes("progress"), types.join());
    assert.equal(types.at(-1), "done");
    const done = snapshot(watching.events.at(-1)!);
    assert.equal(done.state, "complete");
    assert.equal(done.bytes, size);
    assert.equal(done.percent, 100);
  });

  await t.step("a latecomer gets done at once; the URL forms all reach the same pipe", async () => {
    for (
      const topic of ["pipe:c/transfer", `${server.origin}/c/transfer`, "/api/v1/pipe/c/transfer"]
    ) {
      const events = await Array.fromAsync(client.subscribe(topic));
      assert.deepEqual(events.map((e) => e.type), ["done"], topic);
    }
  });

  await t.step("the sender aborting ends the iteration with error", async () => {
    const watching = collect(client.subscribe("pipe:c/abort"));
    const send = sender(`${server.origin}/api/v1/pipe/c/abort`);
    const receive = curl("-o", "/dev/null", `${server.origin}/api/v1/pipe/c/abort`);
    await send.stdin.write(noise(50_000, 2));
    await watching.until((e) => e.type === "progress");
    send.kill();
    await watching.finished;
    const last = watching.events.at(-1)!;
    assert.equal(last.type, "error");
    assert.equal(snapshot(last).state, "failed");
    await send.result;
    assert.notEqual((await receive.result).code, 0);
  });

  await t.step("breaking out of the loop closes the connection", async () => {
    for await (const event of client.subscribe("pipe:c/break")) {
      assert.equal(event.type, "state");
      break;
    }
    // The server counts spectators: the closed one must be gone.
    await pollSnapshot(`${server.origin}/api/v1/pipe/c/break?progress`, (s) => s.spectators === 0);
  });

  await t.step("an abort signal ends the iteration quietly", async () => {
    const stop = new AbortController();
    const seen: string[] = [];
    for await (const event of client.subscribe("pipe:c/signal", { signal: stop.signal })) {
      seen.push(event.type);
      stop.abort();
    }
    assert.deepEqual(seen, ["state"]);
  });

  await t.step("refusals throw RingsideError with the server's line and status", async () => {
    const invalid = await client.subscribe("pipe:bad name").next().catch((e) => e);
    assert.ok(invalid instanceof RingsideError, String(invalid));
    assert.equal(invalid.status, 400);
    assert.match(invalid.message, /^Invalid name 'bad name'/);
    assert.doesNotMatch(invalid.message, /\n/);
    const missing = await client.subscribe("/api/v1/jobs/nothing-here").next().catch((e) => e);
    assert.ok(missing instanceof RingsideError);
    assert.equal(missing.status, 404);
  });

  await t.step("more spectators than allowed: 429 thrown on the first connection", async () => {
    await using small = await startServer({ args: ["--max-spectators", "1"] });
    const smallClient = new RingsideClient({ server: small.origin });
    const first = smallClient.subscribe("pipe:full");
    assert.equal((await first.next()).value?.type, "state");
    const error = await smallClient.subscribe("pipe:full").next().catch((e) => e);
    assert.ok(error instanceof RingsideError);
    assert.equal(error.status, 429);
    await first.return();
  });
});

Deno.test(`client reconnects when the server closes the stream (${testRuntime})`, async () => {
  await using server = await startServer({ args: ["--spectator-ttl", "300ms"] });
  const client = new RingsideClient({ server: server.origin });
  const opens: number[] = [];
  const resumedFrom: (string | null)[] = [];
  let reopened: () => void;
  const twice = new Promise<void>((resolve) => reopened = resolve);
  const watching = collect(client.subscribe("pipe:ttl", {
    onOpen: ({ attempt, lastEventId }) => {
      opens.push(attempt);
      resumedFrom.push(lastEventId);
      if (opens.length === 3) reopened();
    },
  }));
  await twice;
  const receive = curl(`${server.origin}/ttl`);
  // (waitForPipe's own stream would end with the short TTL: the client's events tell instead)
  await watching.until((e) => e.type === "state" && snapshot(e).receivers === 1);
  const send = curl("--data-binary", "after the reconnects", `${server.origin}/ttl`);
  await watching.finished;
  assert.equal((await receive.result).stdout, "after the reconnects");
  assert.equal((await send.result).code, 0);
  assert.deepEqual(opens.slice(0, 3), [0, 1, 2]);
  // Pipe events carry ids: every reconnect sent the last one seen as Last-Event-ID.
  assert.equal(resumedFrom[0], null);
  assert.ok(resumedFrom.slice(1).every((id) => id !== null && id !== ""), String(resumedFrom));
  // Every connection began with the greeting; the stream ended with done.
  assert.ok(watching.events.filter((e) => e.type === "state").length >= 3);
  assert.equal(watching.events.at(-1)?.type, "done");
});

Deno.test(`client gives up after its reconnects when the server is gone (${testRuntime})`, async () => {
  const server = await startServer({ args: ["--spectator-ttl", "300ms"] });
  const client = new RingsideClient({ server: server.origin });
  const iterator = client.subscribe("pipe:gone", { reconnects: 1 });
  assert.equal((await iterator.next()).value?.type, "state");
  await server.stop();
  const error = await (async () => {
    for (;;) await iterator.next();
  })().catch((e) => e);
  assert.ok(error instanceof RingsideError, String(error));
  assert.equal(error.status, 0);
  assert.match(error.message, /Cannot reach/);
});

Deno.test(`ringside watch follows a real pipe (${testRuntime})`, async (t) => {
  await using server = await startServer();

  await t.step("success: pv-style lines, one at a time, exit 0", async () => {
    const size = 3_000_000;
    const bytes = noise(size, 9);
    const watching = runWatch([`${server.origin}/w-ok`]);
    // The watcher is connected once the pipe counts a spectator.
    await pollSnapshot(`${server.origin}/api/v1/pipe/w-ok?progress`, (s) => s.spectators === 1);
    const receive = curl("-o", "/dev/null", `${server.origin}/w-ok`);
    const send = sender(`${server.origin}/w-ok?size=${size}`);
    await send.stdin.write(bytes.subarray(0, 1_000_000));
    await waitForPipe(server.origin, "w-ok", (s) => Number(s.bytes) > 0);
    await send.stdin.write(bytes.subarray(1_000_000));
    await send.stdin.close();
    const result = await watching;
    assert.equal(result.code, 0, result.stderr);
    assert.equal((await send.result).code, 0);
    assert.equal((await receive.result).code, 0);
    assert.ok(!/[\r]/.test(result.stdout) && !result.stdout.includes("\u001b[")); // not a terminal: plain lines
    const lines = result.stdout.trimEnd().split("\n");
    assert.match(lines[0]!, /^(idle|waiting) {2}/);
    assert.match(lines.at(-1)!, /^100% {2}3\.00 MB \/ 3\.00 MB {2}\S+ [kM]B\/s {2}in \d+:\d\d$/);
    for (const line of lines.slice(1, -1)) {
      assert.match(
        line,
        /^(waiting {2}.*|\d+% {2}\S+ [kMG]?B \/ 3\.00 MB {2}\S+ [kM]B\/s( {2}ETA \d+:\d\d)?)$/,
      );
    }
    assert.equal(result.stderr, "");
  });

  await t.step({
    name: "on a terminal (script's pty) the line is redrawn in place",
    ignore: !hasScript,
    fn: async () => {
      // script(1) runs the command on a pseudo-terminal: stdout is a TTY there.
      const command = [...ringsideCommand(), "watch", `${server.origin}/w-tty`].join(" ");
      const child = new Deno.Command("script", {
        args: ["-qefc", command, "/dev/null"],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const output = child.output();
      await pollSnapshot(`${server.origin}/api/v1/pipe/w-tty?progress`, (s) => s.spectators === 1);
      const receive = curl("-o", "/dev/null", `${server.origin}/w-tty`);
      const send = curl("--data-binary", "x".repeat(100_000), `${server.origin}/w-tty`);
      const result = await output;
      const text = new TextDecoder().decode(result.stdout);
      assert.equal(result.code, 0, text);
      assert.equal((await send.result).code, 0);
      assert.equal((await receive.result).code, 0);
      assert.match(text, /^\r(idle|waiting) {2}/);
      assert.ok(text.includes("\x1b[K\r"), JSON.stringify(text));
      assert.match(text, /\r100% {2}100 kB \/ 100 kB {2}.* in \d+:\d\d\S*\[K\r?\n$/);
      assert.ok(text.endsWith("\x1b[K\r\n") || text.endsWith("\x1b[K\n"));
      assert.ok(!text.slice(0, -2).includes("\n"), "one line, redrawn");
    },
  });

  await t.step("the sender aborts: exit 1 and the reason on stderr", async () => {
    const watching = runWatch([`${server.origin}/api/v1/pipe/w-abort`]);
    await pollSnapshot(`${server.origin}/api/v1/pipe/w-abort?progress`, (s) => s.spectators === 1);
    const receive = curl("-o", "/dev/null", `${server.origin}/w-abort`);
    const send = sender(`${server.origin}/w-abort`);
    await send.stdin.write(noise(100_000, 1));
    await waitForPipe(server.origin, "w-abort", (s) => Number(s.bytes) > 0);
    send.kill();
    const result = await watching;
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stderr, /^ringside watch: failed: .+\n$/);
    await send.result;
    await receive.result;
  });

  await t.step("Ctrl-C (SIGINT) stops it with 130", async () => {
    const child = ringsideCli({
      args: ["watch", `${server.origin}/w-interrupted`],
    }).spawn();
    const output = child.output();
    await pollSnapshot(
      `${server.origin}/api/v1/pipe/w-interrupted?progress`,
      (s) => s.spectators === 1,
    );
    child.kill("SIGINT");
    const result = await output;
    assert.equal(result.code, 130, new TextDecoder().decode(result.stderr));
    assert.match(new TextDecoder().decode(result.stdout), /^(idle {2}waiting for a sender\n)?$/);
  });

  await t.step("a latecomer after the end exits at once with the outcome", async () => {
    const result = await runWatch(["pipe:w-ok", "--server", server.origin]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^100% {2}3\.00 MB \/ 3\.00 MB/);
    const failed = await runWatch([`${server.origin}/w-abort`]);
    assert.equal(failed.code, 1);
  });

  await t.step("unknown topic, bad name, unreachable server, usage: exit 2, one line", async () => {
    for (
      const [args, pattern] of [
        [[`${server.origin}/api/v1/jobs/none`], /^ringside watch: 404 .+\n$/],
        [
          [`${server.origin}/api/v1/pipe/bad%20name`],
          /^ringside watch: 400 Invalid name .*\n$/,
        ],
        [["http://127.0.0.1:9/x"], /^ringside watch: Cannot reach http:\/\/127\.0\.0\.1:9: .+\n$/],
        [["job:x"], /^ringside watch: Cannot reach http:\/\/127\.0\.0\.1:9: .+\n$/],
        // A mistyped URL is a usage error, not a crash with a stack trace.
        [
          ["http://[x/api/v1/jobs/a"],
          /^ringside watch: Invalid URL 'http:\/\/\[x\/api\/v1\/jobs\/a'\n$/,
        ],
        [
          ["http://a b/api/v1/jobs/a"],
          /^ringside watch: Invalid URL 'http:\/\/a b\/api\/v1\/jobs\/a'\n$/,
        ],
        // Only HTTP: the runtime's fetch would name the schemes it knows (Bun's s3:).
        [["ftp://x"], /^ringside watch: URL must be http:\/\/ or https:\/\/ \(got ftp:\)\n$/],
        [
          ["--server", "file:///tmp", "job:a"],
          /^ringside watch: URL must be http:\/\/ or https:\/\/ \(got file:\)\n$/,
        ],
      ] as const
    ) {
      const result = await runWatch([...args], { RINGSIDE_SERVER: "http://127.0.0.1:9" });
      assert.equal(result.code, 2, `${args}: ${result.stderr}`);
      assert.match(result.stderr, pattern);
      assert.equal(result.stdout, "");
    }
    const usage = await runWatch(["--nope"]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /^ringside watch: Unknown flag '--nope'\n/);
  });
});

Deno.test({
  name: `client drives a real job (${testRuntime})`,
  fn: async (t) => {
    await using server = await startServer({ args: ["--max-event-bytes", "2000"] });
    const client = new RingsideClient({ server: server.origin });

    await t.step("start, publish in a loop, finish: a subscriber sees it all", async () => {
      const start = await client.startJob("c/job", { message: "starting" });
      assert.equal(start.id, "c/job");
      assert.equal(start.joined, false);
      assert.equal(start.url, `${server.origin}/api/v1/jobs/c/job`);
      const watching = collect(client.subscribe(start.url));
      await watching.until((e) => e.type === "progress");
      for (let i = 1; i <= 5; i++) {
        await client.publish("c/job", { progress: i * 20, message: `step ${i}` });
        await watching.until((e) => snapshot(e).message === `step ${i}`);
      }
      const answer = await client.finish("c/job", { rows: 3 }) as Record<string, unknown>;
      assert.equal(answer.state, "success");
      await watching.finished;
      const types = watching.events.map((e) => e.type);
      assert.deepEqual(types.slice(0, 1), ["progress"]);
      assert.equal(types.at(-1), "complete");
      assert.deepEqual(snapshot(watching.events.at(-1)!).rows, 3);
      assert.equal(snapshot(watching.events[0]!).message, "starting");
      assert.equal(snapshot(watching.events.at(-2)!).progress, 100);
    });

    await t.step("joins and fresh runs", async () => {
      const joined = await client.startJob("c/job", undefined, { join: true });
      assert.equal(joined.joined, true); // the retained run
      const fresh = await client.startJob("c/job");
      assert.equal(fresh.joined, false);
      const again = await client.startJob("c/job", { ignored: true });
      assert.equal(again.joined, true);
      await client.finish("c/job", { ok: false, error: "disk full" });
      const events = await Array.fromAsync(client.subscribe("job:c/job"));
      assert.deepEqual(events.map((e) => e.type), ["error"]);
      assert.equal(snapshot(events[0]!).error, "disk full");
      // A second finish answers the recorded result.
      const second = await client.finish("c/job", { rows: 1 }) as Record<string, unknown>;
      assert.equal(second.state, "failed");
    });

    await t.step(
      "refusals: 404, 409, 413, 400 as RingsideError with the server's line",
      async () => {
        const cases: [Promise<unknown>, number, RegExp][] = [
          [client.publish("c/none", { a: 1 }), 404, /^Task not found$/],
          [client.publish("c/job", { a: 1 }), 409, /./],
          [client.startJob("c/big", { pad: "x".repeat(5000) }), 413, /./],
          [client.startJob("bad name"), 400, /./],
        ];
        for (const [promise, status, message] of cases) {
          const error = await promise.catch((e) => e);
          assert.ok(error instanceof RingsideError, String(error));
          assert.equal(error.status, status, error.message);
          assert.match(error.message, message);
          assert.doesNotMatch(error.message, /\n/);
        }
      },
    );
  },
});

Deno.test({
  name: `ringside watch follows a real job (${testRuntime})`,
  fn: async () => {
    await using server = await startServer();
    const client = new RingsideClient({ server: server.origin });
    for (const ok of [true, false]) {
      const id = `w/job-${ok}`;
      const { url } = await client.startJob(id, { progress: 0, state: "warming" });
      const watching = runWatch([url]);
      await pollSnapshot(`${server.origin}/api/v1/jobs/${id}`, (s) => s.spectators === 1);
      await client.publish(id, { progress: 50, state: "halfway", estimated_time: 65 });
      await pollSnapshot(
        `${server.origin}/api/v1/jobs/${id}`,
        (s) => (s.data as Record<string, unknown>).progress === 50,
      );
      await client.finish(id, ok ? { message: "all good" } : { ok: false, error: "disk full" });
      const result = await watching;
      assert.equal(result.code, ok ? 0 : 1, result.stdout + result.stderr);
      const lines = result.stdout.trimEnd().split("\n");
      assert.equal(lines[0], "0%  warming");
      for (const line of lines.slice(1, -1)) {
        assert.ok(["0%  warming", "50%  halfway  ETA 1:05"].includes(line), line);
      }
      if (ok) {
        assert.equal(lines.at(-1), "100%  success  all good");
        assert.equal(result.stderr, "");
      } else {
        assert.match(result.stderr, /^ringside watch: failed: disk full\n$/);
      }
    }
  },
});

Deno.test({
  name: `client posts and follows a real process (${testRuntime})`,
  fn: async (t) => {
    await using server = await startServer({ args: ["--spectator-ttl", "300ms"] });
    const client = new RingsideClient({ server: server.origin });

    await t.step("lines from an array and from a stream, then the exit status", async () => {
      const answer = await client.postStatus("c/proc", "running");
      assert.equal(answer.url, `${server.origin}/api/v1/processes/c/proc`);
      await client.postOutput("c/proc", ["one", "two"]);
      async function* errors() {
        yield "three\nfou";
        yield new TextEncoder().encode("r\n");
      }
      await client.postOutput("c/proc", errors(), { stream: "stderr" });
      const watching = collect(client.subscribe("process:c/proc"));
      await watching.until((e) => e.type === "output" && snapshot(e).seq === 4);
      await client.postStatus("c/proc", { status: "exited", exitCode: 3 });
      await watching.finished;
      const output = watching.events.filter((e) => e.type === "output").map((e) => e.data);
      assert.deepEqual(output, [
        { seq: 1, stream: "stdout", line: "one" },
        { seq: 2, stream: "stdout", line: "two" },
        { seq: 3, stream: "stderr", line: "three" },
        { seq: 4, stream: "stderr", line: "four" },
      ]);
      assert.deepEqual(watching.events.filter((e) => e.type === "output").map((e) => e.id), [
        "1",
        "2",
        "3",
        "4",
      ]);
      const last = watching.events.at(-1)!;
      assert.equal(last.type, "status");
      assert.deepEqual(last.data, { status: "exited", exitCode: 3 });
      const late = await client.postOutput("c/proc", ["late"]).catch((e) => e);
      assert.ok(late instanceof RingsideError);
      assert.equal(late.status, 409);
    });

    await t.step(
      "reconnects resume after the last line seen: every line once, in order",
      async () => {
        await client.postStatus("c/resume", "running");
        const opens: (string | null)[] = [];
        const watching = collect(client.subscribe("process:c/resume", {
          onOpen: ({ lastEventId }) => opens.push(lastEventId),
        }));
        // Lines posted across several of the spectator's 300 ms lifetimes (and 2 s retries).
        for (let i = 1; i <= 6; i++) {
          await client.postOutput("c/resume", [`line ${i}`]);
          await watching.until((e) => e.type === "output" && snapshot(e).seq === i);
          if (i % 2 === 0) {
            const count = opens.length;
            await new Promise<void>((resolve) => {
              const check = setInterval(() => {
                if (opens.length > count) {
                  clearInterval(check);
                  resolve();
                }
              }, 20);
            });
          }
        }
        await client.postStatus("c/resume", { status: "killed", exitCode: 143 });
        await watching.finished;
        const seqs = watching.events.filter((e) => e.type === "output").map((e) => snapshot(e).seq);
        assert.deepEqual(seqs, [1, 2, 3, 4, 5, 6]);
        assert.ok(opens.length >= 4, String(opens));
        assert.equal(opens[0], null);
        assert.ok(opens.slice(1).every((id) => id !== null), String(opens));
      },
    );
  },
});

Deno.test({
  name: `ringside watch follows a real process (${testRuntime})`,
  fn: async () => {
    await using server = await startServer();
    const client = new RingsideClient({ server: server.origin });
    const cases: [string, { status: "exited" | "killed" | "failed"; exitCode?: number }, number][] =
      [
        ["exit-0", { status: "exited", exitCode: 0 }, 0],
        ["exit-7", { status: "exited", exitCode: 7 }, 7],
        ["killed-15", { status: "killed", exitCode: 143 }, 143],
        ["killed", { status: "killed" }, 1],
      ];
    for (const [id, status, code] of cases) {
      await client.postStatus(`w/${id}`, "running");
      await client.postOutput(`w/${id}`, ["out 1"]);
      await client.postOutput(`w/${id}`, ["err 1"], { stream: "stderr" });
      const watching = runWatch([`${server.origin}/api/v1/processes/w/${id}`]);
      await client.postOutput(`w/${id}`, ["out 2"]);
      await client.postStatus(`w/${id}`, status);
      const result = await watching;
      assert.equal(result.code, code, `${id}: ${result.stderr}`);
      assert.equal(result.stdout, "out 1\nout 2\n");
      assert.equal(result.stderr, "err 1\n");
    }
  },
});

/** What the pen test (issue 14) sent a watcher's terminal: clipboard, title, clear, and more. */
const hostile = "\x1b]52;c;cm0gLXJmIH4K\x07\x1b]0;owned\x1b\\\x1b[2J\x1b[H\x1bP1$q\x1b\\\x9b6n\x07";

Deno.test({
  name:
    `ringside watch writes no escape sequence from a process or a job to a pipe (${testRuntime})`,
  fn: async () => {
    await using server = await startServer();
    const client = new RingsideClient({ server: server.origin });
    await client.postStatus("w/hostile", "running");
    await client.postOutput("w/hostile", [`out${hostile} \x1b[1;31mred\x1b[0m end`]);
    await client.postOutput("w/hostile", [`err${hostile}\ttab`], { stream: "stderr" });
    const watching = runWatch([`${server.origin}/api/v1/processes/w/hostile`]);
    await client.postOutput("w/hostile", ["10%\r20%\x1b[K"]);
    await client.postStatus("w/hostile", { status: "exited", exitCode: 0 });
    const process = await watching;
    assert.equal(process.code, 0, process.stderr);
    assert.equal(process.stdout, "out red end\n20%\n");
    assert.equal(process.stderr, "err\ttab\n");

    const { url } = await client.startJob("w/hostile-job", { state: `busy${hostile}` });
    const following = runWatch([url]);
    await pollSnapshot(`${server.origin}/api/v1/jobs/w/hostile-job`, (s) => s.spectators === 1);
    await client.finish("w/hostile-job", { ok: false, error: `disk${hostile} \x1b[31mfull` });
    const job = await following;
    assert.equal(job.code, 1, job.stderr);
    assert.equal(job.stdout, "busy\n");
    assert.equal(job.stderr, "ringside watch: failed: disk full\n");
    for (const output of [process.stdout, process.stderr, job.stdout, job.stderr]) {
      // deno-lint-ignore no-control-regex
      assert.doesNotMatch(output, /[\x00-\x08\x0b-\x1f\x7f-\x9f]/, JSON.stringify(output));
    }
  },
});

Deno.test({
  name:
    `ringside watch on a terminal keeps colours and drops every other sequence (${testRuntime})`,
  ignore: !hasScript,
  fn: async () => {
    await using server = await startServer();
    const client = new RingsideClient({ server: server.origin });
    await client.postStatus("w/hostile-tty", "running");
    await client.postOutput("w/hostile-tty", [`out${hostile} \x1b[1;31mred`]);
    await client.postOutput("w/hostile-tty", [`err${hostile}`], { stream: "stderr" });
    await client.postStatus("w/hostile-tty", { status: "exited", exitCode: 0 });
    // script(1) runs the command on a pseudo-terminal: stdout and stderr are TTYs there.
    const url = `${server.origin}/api/v1/processes/w/hostile-tty`;
    const result = await new Deno.Command("script", {
      args: ["-qefc", [...ringsideCommand(), "watch", url].join(" "), "/dev/null"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(result.stdout).replaceAll("\r\n", "\n");
    assert.equal(result.code, 0, text);
    // The colour left on is reset before exit; nothing else but text and newlines.
    assert.equal(text, "out \x1b[1;31mred\nerr\n\x1b[0m");
  },
});

Deno.test({
  name: `the client examples in docs/api.md run on Deno, Bun and Node (${testRuntime})`,
  fn: async () => {
    await using server = await startServer();
    const api = await Deno.readTextFile(new URL("../docs/api.md", import.meta.url));
    const section = api.slice(api.indexOf("## `src/client"));
    const [publisher = "", subscriber = ""] = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((
      m,
    ) => m[1]!);
    assert.ok(publisher.includes("startJob") && subscriber.includes("subscribe"));
    const dir = await Deno.makeTempDir({ prefix: "ringside-readme-" });
    const root = new URL("../", import.meta.url).pathname;
    const bundle = `${dir}/client.js`;
    const built = await new Deno.Command(`${root}node_modules/.bin/bun`, {
      args: ["build", `${root}src/client/client.ts`, "--outfile", bundle],
      stdout: "null",
    }).output();
    assert.ok(built.success);
    function program(code: string, file: string, client: string): string {
      const path = `${dir}/${file}`;
      Deno.writeTextFileSync(
        path,
        code.replace(/"\.\/src\/client(?:\/client)?\.ts"/, JSON.stringify(client))
          .replaceAll("http://127.0.0.1:8080", server.origin),
      );
      return path;
    }
    const runtimes: [string, string[], string][] = [
      ["deno", [`${root}node_modules/deno/deno`, "run", "-A"], `${root}src/client/client.ts`],
      ["bun", [`${root}node_modules/.bin/bun`], `${root}src/client/client.ts`],
    ];
    const node = await new Deno.Command("node", { args: ["--version"], stdout: "piped" }).output()
      .catch(() => null);
    if (node?.success) runtimes.push(["node", ["node"], bundle]);
    for (const [name, command, client] of runtimes) {
      const ext = name === "node" ? "mjs" : "ts";
      const sub = program(subscriber, `sub-${name}.${ext}`, client);
      const pub = program(publisher, `pub-${name}.${ext}`, client);
      const run = (file: string) =>
        new Deno.Command(command[0]!, {
          args: [...command.slice(1), file],
          stdout: "piped",
          stderr: "piped",
        })
          .output().then((out) => ({
            code: out.code,
            stdout: new TextDecoder().decode(out.stdout),
            stderr: new TextDecoder().decode(out.stderr),
          }));
      const published = await run(pub);
      assert.equal(published.code, 0, `${name}: ${published.stderr}`);
      assert.match(
        published.stdout,
        /^watch it: http:\/\/127\.0\.0\.1:\d+\/api\/v1\/jobs\/nightly\/import\n$/,
      );
      // A latecomer within the retention gets the terminal event and the example ends.
      const followed = await run(sub);
      assert.equal(followed.code, 0, `${name}: ${followed.stderr}`);
      assert.match(followed.stdout, /^complete \{"state":"success".*"rows":12345/m);
    }
  },
});

Deno.test(`ringside watch follows what ringside run streams (${testRuntime})`, async () => {
  await using server = await startServer();
  const ran = await ringsideCli({
    args: [
      "run",
      "--server",
      server.origin,
      "--id",
      "w/run",
      "--",
      "sh",
      "-c",
      "echo one; echo two >&2; echo three; exit 7",
    ],
  }).output();
  assert.equal(ran.code, 7, new TextDecoder().decode(ran.stderr));
  // A latecomer gets the kept lines and the final status: the same outcome as live.
  const result = await runWatch([`${server.origin}/api/v1/processes/w/run`]);
  assert.equal(result.code, 7, result.stderr);
  assert.equal(result.stdout, "one\nthree\n");
  assert.equal(result.stderr, "two\n");
});
