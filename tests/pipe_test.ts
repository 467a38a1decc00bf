// End-to-end: a real server (bun, deno or the binary: RINGSIDE_TEST_RUNTIME) on 127.0.0.1:0,
// real curl where its exit code is the point.
import assert from "node:assert/strict";
import { curl, noise, sha256 } from "./_curl.ts";
import { healthzAfterDrainBegins, startServer, testRuntime } from "./_server.ts";
import { assertCompleted, openSse, readSse, waitForPipe } from "./_sse.ts";

const tmp = await Deno.makeTempDir({ prefix: "ringside-pipe-test-" });
const SIZES = [0, 1, 65_537, 64 * 1024 * 1024];
const files = new Map<number, string>();
for (const size of SIZES) {
  const path = `${tmp}/in-${size}.bin`;
  await Deno.writeFile(path, noise(size, size + 7));
  files.set(size, path);
}

function isSenderWaiting(s: Record<string, unknown>) {
  return s.state === "waiting" && s.receivers === 0;
}

function hasReceivers(count: number) {
  return (s: Record<string, unknown>) => s.state === "waiting" && s.receivers === count;
}

/** Sends `file` with curl: `-T file` (Content-Length) or `-T -` from stdin (chunked). */
function sendFile(url: string, file: string, chunked: boolean) {
  if (!chunked) return curl("-T", file, url);
  const sender = curl("-T", "-", url);
  Deno.readFile(file).then(async (bytes) => {
    await sender.stdin.write(bytes);
    await sender.stdin.close();
  });
  return sender;
}

Deno.test(`pipes relay byte-identical data (${testRuntime})`, async (t) => {
  await using server = await startServer();
  for (const size of SIZES) {
    for (const chunked of [false, true]) {
      for (const senderFirst of [true, false]) {
        const label = `${size} bytes, ${chunked ? "chunked" : "with length"}, ${
          senderFirst ? "sender" : "receiver"
        } first`;
        await t.step(label, async () => {
          const name = `bytes-${size}-${chunked}-${senderFirst}`;
          const url = `${server.origin}/api/v1/pipe/${name}`;
          const out = `${tmp}/out-${name}.bin`;
          let sender, receiver;
          if (senderFirst) {
            sender = sendFile(url, files.get(size)!, chunked);
            await waitForPipe(server.origin, name, isSenderWaiting);
            receiver = curl("-o", out, url);
          } else {
            receiver = curl("-o", out, url);
            await waitForPipe(server.origin, name, hasReceivers(1));
            sender = sendFile(url, files.get(size)!, chunked);
          }
          const [sent, received] = await Promise.all([sender.result, receiver.result]);
          assert.equal(received.code, 0, received.stderr);
          assert.equal(sent.code, 0, sent.stderr);
          assert.match(sent.stdout, new RegExp(`Sent ${size} bytes to 1 receiver`));
          // curl writes no file for an empty body
          const got = size === 0 ? await Deno.readFile(out).catch(() => new Uint8Array()) : out;
          assert.equal(await sha256(got), await sha256(files.get(size)!));
          const done = await (await fetch(`${url}?progress`, {
            headers: { accept: "application/json" },
          })).json();
          assert.equal(done.state, "complete");
          assert.equal(done.bytes, size);
          assert.equal(done.percent, 100);
        });
      }
    }
  }

  await t.step("Expect: 100-continue is answered before the sender's log", async () => {
    // curl sends Expect: 100-continue for a file above 1 MiB and waits for 100 Continue.
    const file = `${tmp}/two-mib.bin`;
    await Deno.writeFile(file, noise(2 * 1024 * 1024, 3));
    const url = `${server.origin}/api/v1/pipe/expect`;
    const receiver = curl("-o", `${tmp}/two-mib-out.bin`, url);
    await waitForPipe(server.origin, "expect", hasReceivers(1));
    const sender = curl("-v", "-T", file, url);
    const [sent, received] = await Promise.all([sender.result, receiver.result]);
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal(received.code, 0, received.stderr);
    assert.match(sent.stderr, /> Expect: 100-continue/);
    const statuses = [...sent.stderr.matchAll(/^< HTTP\/1\.1 (\d+)/gm)].map((m) => m[1]);
    assert.deepEqual(statuses, ["100", "200"]);
    assert.equal(await sha256(`${tmp}/two-mib-out.bin`), await sha256(file));
  });

  await t.step("the short form /{name} is the same pipe", async () => {
    const receiver = curl(`${server.origin}/short/form`);
    await waitForPipe(server.origin, "short/form", hasReceivers(1));
    const sender = curl("--data-binary", "hello", `${server.origin}/api/v1/pipe/short/form`);
    assert.equal((await receiver.result).stdout, "hello");
    assert.equal((await sender.result).code, 0);
  });

  await t.step("receivers get the sender's headers; active types become text/plain", async () => {
    const name = "headers";
    const receiving = fetch(`${server.origin}/api/v1/pipe/${name}`);
    await waitForPipe(server.origin, name, hasReceivers(1));
    const sending = fetch(`${server.origin}/api/v1/pipe/${name}`, {
      method: "PUT",
      headers: {
        "content-type": "text/html",
        "content-disposition": 'attachment; filename="page.html"',
        "x-pipe-checksum": "abc123",
        "x-other": "not relayed",
      },
      body: "<script>alert(1)</script>",
    });
    const response = await receiving;
    assert.equal(response.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    assert.equal(response.headers.get("content-disposition"), 'attachment; filename="page.html"');
    assert.equal(response.headers.get("x-pipe-checksum"), "abc123");
    // Deno.serve sends every stream body chunked and drops a Content-Length header
    // (docs/decisions.md).
    if (testRuntime !== "deno") assert.equal(response.headers.get("content-length"), "25");
    assert.equal(response.headers.get("x-other"), null);
    assert.equal(response.headers.get("access-control-allow-origin"), "*");
    assert.equal(await response.text(), "<script>alert(1)</script>");
    assert.equal(response.headers.get("content-security-policy"), "sandbox");
    await (await sending).body?.cancel();
  });

  await t.step(
    "only inert types are relayed as given: text/xsl is text, SVG is bytes",
    async () => {
      const cases: [string, string][] = [
        ["text/xsl", "text/plain; charset=utf-8"],
        ["application/xslt+xml", "application/octet-stream"],
        ["image/svg+xml", "application/octet-stream"],
        ["application/gzip", "application/gzip"],
      ];
      for (const [sent, relayed] of cases) {
        const name = `type-${sent.replace(/\W/g, "-")}`;
        const receiving = fetch(`${server.origin}/api/v1/pipe/${name}`);
        await waitForPipe(server.origin, name, hasReceivers(1));
        const sending = fetch(`${server.origin}/api/v1/pipe/${name}`, {
          method: "PUT",
          headers: { "content-type": sent },
          body: "<x/>",
        });
        const response = await receiving;
        assert.equal(response.headers.get("content-type"), relayed, sent);
        assert.equal(response.headers.get("content-security-policy"), "sandbox", sent);
        assert.equal(response.headers.get("x-content-type-options"), "nosniff", sent);
        assert.equal(await response.text(), "<x/>");
        await (await sending).body?.cancel();
      }
    },
  );

  await t.step("n=2: both receivers get identical bytes", async () => {
    const name = "fanout";
    const url = `${server.origin}/api/v1/pipe/${name}?n=2`;
    const a = curl("-o", `${tmp}/fan-a.bin`, url);
    const b = curl("-o", `${tmp}/fan-b.bin`, url);
    await waitForPipe(server.origin, name, hasReceivers(2));
    const sender = sendFile(url, files.get(64 * 1024 * 1024)!, true);
    const results = await Promise.all([a.result, b.result, sender.result]);
    for (const result of results) assert.equal(result.code, 0, result.stderr);
    assert.match(results[2].stdout, /Sent 67108864 bytes to 2 receiver/);
    const expected = await sha256(files.get(64 * 1024 * 1024)!);
    assert.equal(await sha256(`${tmp}/fan-a.bin`), expected);
    assert.equal(await sha256(`${tmp}/fan-b.bin`), expected);
  });

  await t.step("n=2: a receiver drops out, the other completes", async () => {
    const name = "fanout-drop";
    const url = `${server.origin}/api/v1/pipe/${name}?n=2`;
    const stays = curl("-o", `${tmp}/stays.bin`, url);
    const leaving = new AbortController();
    const leaves = fetch(url, { signal: leaving.signal });
    await waitForPipe(server.origin, name, hasReceivers(2));
    const sender = curl("-T", "-", url);
    const first = noise(1 << 20, 3);
    const rest = noise(8 << 20, 4);
    await sender.stdin.write(first);
    const reader = (await leaves).body!.getReader();
    await reader.read();
    leaving.abort();
    await reader.cancel().catch(() => {});
    await sender.stdin.write(rest);
    await sender.stdin.close();
    const [kept, sent] = await Promise.all([stays.result, sender.result]);
    assert.equal(kept.code, 0, kept.stderr);
    assert.equal(sent.code, 0, sent.stderr);
    const whole = new Uint8Array(first.length + rest.length);
    whole.set(first);
    whole.set(rest, first.length);
    assert.equal(await sha256(`${tmp}/stays.bin`), await sha256(whole));
  });

  for (const chunked of [true, false]) {
    await t.step(
      `sender abort errors the receiver (${chunked ? "chunked" : "length"})`,
      async () => {
        const name = `sender-abort-${chunked}`;
        const url = `${server.origin}/api/v1/pipe/${name}`;
        const receiver = curl("-o", `${tmp}/${name}.bin`, url);
        await waitForPipe(server.origin, name, hasReceivers(1));
        // With a length: curl sends stdin as-is when told the Content-Length.
        const sender = chunked
          ? curl("-T", "-", url)
          : curl("-T", "-", "-H", "content-length: 10000000", "-H", "transfer-encoding:", url);
        await sender.stdin.write(noise(1 << 20, 9));
        await waitForPipe(server.origin, name, (s) => s.state === "streaming");
        sender.kill();
        const received = await receiver.result;
        assert.notEqual(received.code, 0, "a truncated stream must not look complete");
        await sender.result;
        const failed = await (await fetch(`${url}?progress&format=json`)).json();
        assert.equal(failed.state, "failed");
        assert.match(failed.error, /Sender disconnected|closed|aborted|reset|error/i);
      },
    );
  }

  await t.step("receiver abort is told to the sender, whose curl fails", async () => {
    const name = "receiver-abort";
    const url = `${server.origin}/api/v1/pipe/${name}`;
    const receiver = curl(url, "-o", "/dev/null");
    await waitForPipe(server.origin, name, hasReceivers(1));
    const sender = curl("-T", "-", url);
    await sender.stdin.write(noise(256 * 1024, 5));
    await waitForPipe(server.origin, name, (s) => s.state === "streaming");
    receiver.kill();
    await receiver.result;
    // keep writing until the server cancels the upload
    const chunk = noise(64 * 1024, 6);
    try {
      while (true) await sender.stdin.write(chunk);
    } catch {
      // curl exited: its upload was cancelled
    }
    const sent = await sender.result;
    assert.notEqual(sent.code, 0);
    const failed = await (await fetch(`${url}?progress&format=json`)).json();
    assert.equal(failed.state, "failed");
    assert.match(failed.error, /^All receivers disconnected/);
  });

  await t.step("SSE: retry, state, progress while bytes move, done, then close", async () => {
    const name = "sse-sequence";
    const url = `${server.origin}/api/v1/pipe/${name}`;
    const watching = readSse((await openSse(`${url}?progress`)).body!);
    await waitForPipe(server.origin, name, (s) => s.spectators === 1 || s.state === "idle");
    // Big enough to outlast the socket buffers at this rate for a few progress ticks.
    const receiver = curl("--limit-rate", "30M", "-o", "/dev/null", url);
    await waitForPipe(server.origin, name, hasReceivers(1));
    const size = 64 * 1024 * 1024;
    const sender = curl("-T", "-", `${url}?size=${size}`);
    await sender.stdin.write(await Deno.readFile(files.get(size)!));
    await sender.stdin.close();
    await Promise.all([receiver.result, sender.result]);
    const record = await watching;
    assert.equal(record.retry, 2000);
    const types = record.events.map((event) => event.type);
    const snapshots = record.events.map((event) => JSON.parse(event.data));
    assert.equal(types[0], "state");
    assert.equal(snapshots[0].state, "idle");
    assert.ok(types.includes("progress"), types.join());
    assert.equal(types.at(-1), "done");
    assert.deepEqual(types.filter((type) => type === "done" || type === "error"), ["done"]);
    const states = snapshots.filter((_, i) => types[i] === "state").map((s) => s.state);
    assert.deepEqual([...new Set(states)], ["idle", "waiting", "streaming"]);
    const progress = snapshots.filter((_, i) => types[i] === "progress");
    for (let i = 1; i < progress.length; i++) {
      assert.ok(progress[i].bytes > progress[i - 1].bytes, "progress only when bytes moved");
    }
    assert.equal(progress[0].total, size);
    assert.ok(progress.some((s) => s.percent > 0 && s.percent < 100 && s.mbps > 0));
    const done = snapshots.at(-1);
    assertCompleted(done, size);
    assert.ok(done.durationSec > 0 && done.mbps > 0);
  });

  await t.step("a latecomer after the end gets done at once", async () => {
    const response = await openSse(`${server.origin}/api/v1/pipe/sse-sequence?progress`);
    assert.equal(response.headers.get("cache-control"), "no-cache, no-transform");
    assert.equal(response.headers.get("x-accel-buffering"), "no");
    const record = await readSse(response.body!);
    assert.deepEqual(record.events.map((event) => event.type), ["done"]);
  });

  await t.step("content negotiation: JSON, SSE for */*", async () => {
    const url = `${server.origin}/api/v1/pipe/never-used?progress`;
    const json = await fetch(url, { headers: { accept: "application/json" } });
    assert.equal(json.headers.get("content-type"), "application/json");
    const snapshot = await json.json();
    assert.deepEqual([snapshot.kind, snapshot.state, snapshot.bytes, snapshot.percent], [
      "pipe",
      "idle",
      0,
      null,
    ]);
    const controller = new AbortController();
    const sse = await fetch(url, { headers: { accept: "*/*" }, signal: controller.signal });
    assert.equal(sse.headers.get("content-type"), "text/event-stream");
    controller.abort();
    await sse.body?.cancel().catch(() => {});
  });

  await t.step("a spectator that never reads does not stop the transfer", async () => {
    const name = "stalled";
    const url = `${server.origin}/api/v1/pipe/${name}`;
    // A raw socket that asks for the SSE stream and never reads a byte.
    const port = Number(new URL(server.origin).port);
    const stalled = await Deno.connect({ hostname: "127.0.0.1", port });
    await stalled.write(new TextEncoder().encode(
      `GET /api/v1/pipe/${name}?progress HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n`,
    ));
    const reading = readSse((await openSse(`${url}?progress`)).body!);
    const receiver = curl("-o", `${tmp}/stalled.bin`, url);
    await waitForPipe(server.origin, name, hasReceivers(1));
    const size = 32 * 1024 * 1024;
    const sender = curl("-T", "-", url);
    await sender.stdin.write(noise(size, 21));
    await sender.stdin.close();
    const [received, sent] = await Promise.all([receiver.result, sender.result]);
    assert.equal(received.code, 0);
    assert.equal(sent.code, 0);
    assert.equal(await sha256(`${tmp}/stalled.bin`), await sha256(noise(size, 21)));
    const record = await reading;
    assert.equal(record.events.at(-1)!.type, "done");
    stalled.close();
  });

  await t.step("help, version, healthz, metrics", async () => {
    const help = await (await fetch(`${server.origin}/help`)).text();
    assert.match(help, new RegExp(`curl -T - ${server.origin}/api/v1/pipe/NAME`));
    assert.match(await (await fetch(`${server.origin}/version`)).text(), /^ringside \d+\.\d+/);
    assert.equal(await (await fetch(`${server.origin}/healthz`)).text(), "ok\n");
    const metrics = await (await fetch(`${server.origin}/metrics`)).text();
    assert.match(metrics, /^ringside_transfers_complete_total [1-9]\d*$/m);
    const options = await fetch(`${server.origin}/api/v1/pipe/x`, {
      method: "OPTIONS",
      headers: { origin: "http://elsewhere", "access-control-request-method": "PUT" },
    });
    assert.equal(options.status, 204);
    assert.equal(options.headers.get("access-control-allow-origin"), "*");
    await options.body?.cancel();
  });
});

Deno.test(`past --max-topics a sender with Expect: 100-continue gets 503 (${testRuntime})`, async () => {
  await using server = await startServer({ args: ["--max-topics", "1"] });
  const held = curl(`${server.origin}/api/v1/pipe/held`);
  await waitForPipe(server.origin, "held", hasReceivers(1));
  const big = `${tmp}/over-max-topics.bin`;
  await Deno.writeFile(big, noise(2 * 1024 * 1024));
  const refused = await curl("-v", "-T", big, `${server.origin}/api/v1/pipe/one-too-many`).result;
  assert.match(refused.stderr, /> Expect: 100-continue/);
  // Whether a 100 Continue goes out first is the runtime's: Bun says it as the request arrives,
  // and Deno may say it while it drains the unread body after the answer.
  assert.match(refused.stderr, /< HTTP\/1\.1 503/);
  assert.equal(refused.stdout, "Too many topics on this server (1)\n");
  held.kill();
  await held.result;
});

Deno.test(`n must agree, a missing n meaning 1; the refused side changes nothing (${testRuntime})`, async () => {
  await using server = await startServer();
  const name = "n-agree";
  const url = `${server.origin}/api/v1/pipe/${name}`;
  const snapshot = async () => await (await fetch(`${url}?progress&format=json`)).json();
  const first = curl(`${url}?n=2`);
  await waitForPipe(server.origin, name, hasReceivers(1));
  // Before, this sender joined the receivers' n=2 and relayed to two it never asked for.
  // (--max-time: so that it fails rather than waits for a second receiver if it is not refused)
  const refused = await curl("--max-time", "20", "--data-binary", "not for two", url).result;
  assert.equal(refused.stdout, "n=1 (no n= given) does not match n=2 of pipe 'n-agree'\n");
  const plain = await fetch(url);
  assert.equal(plain.status, 400);
  assert.equal(await plain.text(), "n=1 (no n= given) does not match n=2 of pipe 'n-agree'\n");
  const explicit = await fetch(`${url}?n=1`, { method: "PUT", body: "x" });
  assert.equal(explicit.status, 400);
  assert.equal(await explicit.text(), "n=1 does not match n=2 of pipe 'n-agree'\n");
  const waiting = await snapshot();
  assert.deepEqual([waiting.state, waiting.receivers, waiting.receiversExpected], [
    "waiting",
    1,
    2,
  ]);
  const second = curl(`${url}?n=2`);
  await waitForPipe(server.origin, name, hasReceivers(2));
  const sent = await curl("--data-binary", "for both", `${url}?n=2`).result;
  assert.equal(sent.code, 0, sent.stderr);
  assert.match(sent.stdout, /Sent 8 bytes to 2 receiver\(s\)/);
  for (const receiver of await Promise.all([first.result, second.result])) {
    assert.equal(receiver.code, 0, receiver.stderr);
    assert.equal(receiver.stdout, "for both");
  }

  // The other way round: a sender without n= waits for one receiver; n=2 is refused.
  const other = `${server.origin}/api/v1/pipe/n-agree-2`;
  const sender = curl("--data-binary", "for one", other);
  await waitForPipe(server.origin, "n-agree-2", isSenderWaiting);
  const two = await fetch(`${other}?n=2`);
  assert.equal(two.status, 400);
  assert.equal(await two.text(), "n=2 does not match n=1 of pipe 'n-agree-2'\n");
  const one = await curl(other).result;
  assert.equal(one.stdout, "for one");
  assert.equal((await sender.result).code, 0);
});

Deno.test(`409, 400 and 404 with one-line messages (${testRuntime})`, async () => {
  await using server = await startServer();
  const name = "conflicts";
  const url = `${server.origin}/api/v1/pipe/${name}`;
  const receiver = curl(url);
  await waitForPipe(server.origin, name, hasReceivers(1));
  const extra = await fetch(url);
  assert.equal(extra.status, 409);
  assert.equal(await extra.text(), "Pipe 'conflicts' already has its 1 receiver(s)\n");
  const mismatch = await fetch(`${url}?n=2`);
  assert.equal(mismatch.status, 400);
  assert.equal(await mismatch.text(), "n=2 does not match n=1 of pipe 'conflicts'\n");
  receiver.kill();
  await receiver.result;

  // A second sender is refused before it is asked for its body (no 100 Continue).
  const first = curl("-T", "-", url);
  await waitForPipe(server.origin, name, isSenderWaiting);
  const big = `${tmp}/second-sender.bin`;
  await Deno.writeFile(big, noise(2 * 1024 * 1024));
  const second = await curl("-v", "-T", big, url).result;
  assert.match(second.stderr, /> Expect: 100-continue/);
  // Bun says 100 Continue itself as soon as the request arrives; on Deno it is ours to say.
  if (testRuntime === "deno") assert.doesNotMatch(second.stderr, /< HTTP\/1\.1 100/);
  assert.match(second.stderr, /< HTTP\/1\.1 409/);
  assert.equal(second.stdout, "Pipe 'conflicts' already has a sender\n");
  first.kill();
  await first.result;

  for (
    const [path, message] of [
      ["/api/v1/pipe/a//b", "Invalid name 'a//b': empty segment\n"],
      ["/api/v1/pipe/sp%20ace", "Invalid name 'sp ace': use only A-Z a-z 0-9 . _ ~ - and /\n"],
      [`/api/v1/pipe/${"x".repeat(257)}`, "Invalid name: 257 characters, at most 256\n"],
      ["/api/v1/pipe/ok?n=0", "Invalid n=0 (a whole number from 1 to 16)\n"],
      ["/api/v1/pipe/ok?n=17", "Invalid n=17 (a whole number from 1 to 16)\n"],
      ["/api/v1/pipe/ok?progress&format=xml", "Invalid format 'xml' (html, json, sse or svg)\n"],
    ]
  ) {
    const response = await fetch(server.origin + path);
    assert.equal(response.status, 400, path);
    // A receiver reads a line of text; a spectator, like every API route, JSON.
    const json = response.headers.get("content-type")!.startsWith("application/json");
    const text = await response.text();
    assert.equal(json ? `${JSON.parse(text).error}\n` : text, message, path);
    assert.equal(json, path!.includes("progress"), path);
  }
  const badSize = await fetch(`${url}?size=-1`, { method: "PUT", body: "" });
  assert.equal(badSize.status, 400);
  assert.match(await badSize.text(), /^Invalid size=-1/);
  const reserved = await fetch(`${server.origin}/api/nothing-here`);
  assert.equal(reserved.status, 404);
  await reserved.body?.cancel();
  const json = await fetch(`${server.origin}/api/v1/pipe/a//b`, {
    headers: { accept: "application/json" },
  });
  assert.deepEqual(await json.json(), { error: "Invalid name 'a//b': empty segment" });
});

Deno.test(`limits: spectators, waiting, write timeout (${testRuntime})`, async (t) => {
  // The short wait timeout is the point of the give-up steps; the crowded pipe runs on its own
  // server, where a sender that starts slowly on a busy machine still meets its receiver.
  await using server = await startServer({
    args: ["--wait-timeout", "400ms", "--progress-interval", "20ms"],
  });
  await using crowdedServer = await startServer({
    args: ["--max-spectators", "2", "--progress-interval", "20ms"],
  });

  await t.step(
    "the third spectator gets 429; spectators never take the receiver slot",
    async () => {
      const name = "crowded";
      const url = `${crowdedServer.origin}/api/v1/pipe/${name}`;
      const a = await openSse(`${url}?progress`);
      const b = await openSse(`${url}?progress`);
      const third = await fetch(`${url}?progress`);
      assert.equal(third.status, 429);
      assert.deepEqual(await third.json(), {
        error: "Too many spectators on 'crowded' (at most 2)",
      });
      const receiver = curl(url);
      const sender = curl("--data-binary", "still works", url);
      assert.equal((await receiver.result).stdout, "still works");
      assert.equal((await sender.result).code, 0);
      for (const response of [a, b]) {
        const record = await readSse(response.body!);
        assert.equal(record.events.at(-1)!.type, "done");
      }
    },
  );

  await t.step("a waiting receiver gives up with 408 and a message", async () => {
    const response = await fetch(`${server.origin}/api/v1/pipe/lonely`);
    assert.equal(response.status, 408);
    assert.equal(await response.text(), "No sender came to pipe 'lonely' within 400ms\n");
  });

  await t.step("a sender that asks to continue and sends nothing yet is waiting", async () => {
    // Watching from before the sender comes: the waiting state is seen however long the
    // machine takes, even if the sender has given up by the time the event is read.
    const watch = await openSse(`${server.origin}/api/v1/pipe/silent?progress`);
    const { hostname, port } = new URL(server.origin);
    const connection = await Deno.connect({ hostname, port: Number(port) });
    await connection.write(new TextEncoder().encode(
      "PUT /api/v1/pipe/silent HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n" +
        "Transfer-Encoding: chunked\r\n\r\n",
    ));
    const reader = connection.readable.getReader();
    const { value } = await reader.read();
    assert.match(new TextDecoder().decode(value), /^HTTP\/1\.1 100 Continue\r\n/);
    await readSse(watch.body!, (event) => isSenderWaiting(JSON.parse(event.data)));
    let text = "";
    try {
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        text += new TextDecoder().decode(chunk.value);
      }
    } catch (error) {
      // Bun resets a connection whose request body was never read to its end.
      if (!(error instanceof Deno.errors.ConnectionReset)) throw error;
    }
    assert.match(text, /\[ERROR\] No receiver came within 400ms\./);
  });

  await t.step("a waiting sender gives up with a message and a failing curl", async () => {
    const sender = curl("--data-binary", "nobody listens", `${server.origin}/api/v1/pipe/alone`);
    const result = await sender.result;
    assert.notEqual(result.code, 0);
    assert.match(result.stdout, /\[ERROR\] No receiver came within 400ms\./);
    const snapshot = await (await fetch(`${server.origin}/alone?progress&format=json`)).json();
    assert.equal(snapshot.state, "idle");
  });
});

Deno.test(`SIGTERM drains: running transfers finish, new ones get 503 (${testRuntime})`, async () => {
  const server = await startServer({ args: ["--drain-timeout", "20s"] });
  try {
    const url = `${server.origin}/api/v1/pipe/draining`;
    // Slow enough to outlast the socket buffers for a few seconds.
    const receiver = curl("--limit-rate", "20M", "-o", `${tmp}/drained.bin`, url);
    await waitForPipe(server.origin, "draining", hasReceivers(1));
    const file = files.get(64 * 1024 * 1024)!;
    const sender = sendFile(url, file, false);
    await waitForPipe(server.origin, "draining", (s) => s.state === "streaming");
    const exited = server.stop("SIGTERM");
    assert.equal(await healthzAfterDrainBegins(server.origin), 503);
    const refused = await fetch(`${server.origin}/api/v1/pipe/new-one`, {
      method: "PUT",
      body: "x",
    });
    assert.equal(refused.status, 503);
    assert.equal(await refused.text(), "Server is shutting down; try again shortly\n");
    assert.equal((await receiver.result).code, 0);
    assert.equal((await sender.result).code, 0);
    assert.equal(await sha256(`${tmp}/drained.bin`), await sha256(file));
    assert.equal(await exited, 0);
    assert.match(server.output(), /drained/);
  } finally {
    await server.stop();
  }
});

Deno.test(`SIGTERM tells waiting senders and receivers, and exits (${testRuntime})`, async () => {
  // Nothing can start once the server drains (a new side gets 503), so a waiting side would only
  // hold the graceful stop open until --drain-timeout and then meet a reset, with no message.
  const server = await startServer({ args: ["--drain-timeout", "1m"] });
  try {
    const receiver = fetch(`${server.origin}/api/v1/pipe/lonely-receiver`);
    await waitForPipe(server.origin, "lonely-receiver", hasReceivers(1));
    const sender = curl("--data-binary", "nobody listens", `${server.origin}/api/v1/pipe/alone`);
    await waitForPipe(server.origin, "alone", isSenderWaiting);
    const exited = server.stop("SIGTERM");
    const refused = await receiver;
    assert.equal(refused.status, 503);
    assert.equal(await refused.text(), "Server is shutting down\n");
    const result = await sender.result;
    assert.notEqual(result.code, 0);
    assert.match(result.stdout, /\[ERROR\] Server is shutting down\.\n$/);
    assert.equal(await exited, 0);
  } finally {
    await server.stop();
  }
});

Deno.test(`a pipe's spectators are told when another comes or goes, with no transfer (${testRuntime})`, async () => {
  await using server = await startServer();
  const url = `${server.origin}/api/v1/pipe/audience?progress`;
  const first = await openSse(url);
  let second: Response | null = await openSse(url);
  const counts: number[] = [];
  await readSse(first.body!, (event) => {
    assert.equal(event.type, "state");
    const snapshot = JSON.parse(event.data);
    assert.equal(snapshot.state, "idle");
    counts.push(snapshot.spectators);
    if (snapshot.spectators === 2 && second) {
      // The second one leaves: the first is told again.
      void second.body!.cancel();
      second = null;
    }
    return counts.length > 1 && snapshot.spectators === 1;
  });
  // The greeting (the first alone), the second came, the second left: no publish in between.
  assert.deepEqual(counts, [1, 2, 1]);
});
